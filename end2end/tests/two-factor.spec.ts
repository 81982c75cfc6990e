import { createHmac } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, PASSWORD } from './fixtures';

// Two-factor sign-in against the release server: set up in My account
// from the key beside the QR code, recovery codes shown once, then signing
// in asks for the code after the password. axe on each page.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

/** RFC 6238 (SHA-1, 6 digits, 30 s), as an authenticator app computes it. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

test('two-factor sign-in is set up with the key and then asked for at sign-in', async ({ page, browser }) => {
  await signIn(page, 'admin21', '/account');
  await hydrated(page);
  await page.locator('#two-factor-start-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await page.locator('code.key').textContent())!.trim();
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await noViolations(page);

  await page.getByLabel('Code from the app').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  await noViolations(page);
  await page.getByLabel('Code from the app').fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('Two-factor sign-in is on.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  await noViolations(page);

  // Another browser: the password, then the code (the next step's, as a
  // phone whose clock runs a little ahead would show).
  const other = await (await browser.newContext()).newPage();
  await other.goto('/company/event-url');
  await other.getByLabel('Username').fill('admin21');
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other).toHaveURL(/\/login\/two-factor\?next=/);
  await noViolations(other);
  await other.getByLabel('Code').fill('123456');
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByRole('alert')).toContainText('That code is not right');
  await noViolations(other);
  await other.getByLabel('Code').fill(totp(key, Date.now() + 30_000));
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other).toHaveURL('/company/event-url');
  await expect(other.getByRole('button', { name: 'Save' })).toHaveCount(2);
});

test('an operator sets up two-factor sign-in in the console and is then asked for a code', async ({ page, browser }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill('oscar');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/provider/tenants');
  await page.getByRole('link', { name: 'My account' }).click();
  await expect(page).toHaveURL('/provider/account');
  await expect(page.getByRole('heading', { name: 'Two-factor sign-in' })).toBeVisible();
  await noViolations(page);
  await page.locator('#two-factor-start-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await page.locator('code.key').textContent())!.trim();
  await page.getByLabel('Code from the app').fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('Two-factor sign-in is on.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  const recovery = (await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').first().textContent())!.trim();
  await noViolations(page);

  // Another browser: the password, a wrong code (refused, in the log),
  // then a recovery code: the console.
  const other = await (await browser.newContext()).newPage();
  await other.goto('/login');
  await other.getByLabel('Username').fill('oscar');
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other).toHaveURL(/\/login\/two-factor\?next=/);
  await other.getByLabel('Code').fill('654321');
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByRole('alert')).toContainText('That code is not right');
  await other.getByLabel('Code').fill(recovery);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other).toHaveURL('/provider/tenants');
  await other.getByRole('link', { name: 'Activity' }).click();
  const log = other.getByRole('region', { name: 'Operator activity' });
  await expect(log.getByRole('row', { name: /Sign-in refused.*wrong two-factor code/ }).first()).toBeVisible();
  await expect(log.getByRole('row', { name: /signed in with a recovery code \(9 left\)/ })).toBeVisible();
  await expect(log.getByRole('row', { name: /Two-factor sign-in on/ })).toBeVisible();
  await noViolations(other);
});
