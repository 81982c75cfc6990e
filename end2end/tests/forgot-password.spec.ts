import AxeBuilder from '@axe-core/playwright';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, signIn, PASSWORD } from './fixtures';

// Forgot password against the release server and a real SMTP server
// (aiosmtpd, its maildir in end2end/.data/mail): the address saved in My
// account and confirmed with the link emailed to it, a reset link asked
// for on the sign-in page, read from the letter, used once to set a new
// password; axe clean on every page.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

function linkTo(to: string, pattern: RegExp): string | undefined {
  const dir = join(__dirname, '..', '.data', 'mail', 'new');
  for (const file of readdirSync(dir)) {
    // Quoted-printable, as lettre sends a body with long lines: soft line
    // breaks joined, =XX decoded.
    const text = readFileSync(join(dir, file), 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    if (!text.includes(`To: ${to}`)) continue;
    const found = text.match(pattern);
    if (found) return found[0];
  }
  return undefined;
}

test('a reset link is emailed and sets a new password once', async ({ page }) => {
  await signIn(page, 'admin22', '/account');
  await page.getByRole('textbox', { name: 'Email address' }).fill('admin22@example.com');
  await page.getByLabel('Password to confirm the change').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save email address' }).click();
  await expect(page.getByText('A confirmation link is on its way')).toBeVisible();
  await expect(page.getByText('Waiting for confirmation: admin22@example.com')).toBeVisible();
  await noViolations(page);

  let confirm: string | undefined;
  const confirmation = /\/email\/confirm\?token=euc_[A-Za-z0-9_-]+/;
  await expect.poll(() => (confirm = linkTo('admin22@example.com', confirmation)), { timeout: 15_000 }).toBeTruthy();
  await page.goto(confirm!);
  await expect(page.getByText('Use admin22@example.com for your account')).toBeVisible();
  await noViolations(page);
  await page.getByRole('button', { name: 'Confirm this address' }).click();
  await expect(page.getByText('Email address confirmed')).toBeVisible();
  await noViolations(page);
  await page.getByRole('link', { name: 'My account' }).click();
  await expect(page.getByText('Confirmed address: admin22@example.com')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();

  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL('/login/forgot');
  await noViolations(page);
  await page.getByLabel('Username or email address').fill('admin22');
  await page.getByRole('button', { name: 'Email me a reset link' }).click();
  await expect(page.getByText('a reset link is on its way')).toBeVisible();
  await noViolations(page);

  let link: string | undefined;
  const reset = /\/login\/reset\?token=eur_[A-Za-z0-9_-]+/;
  await expect.poll(() => (link = linkTo('admin22@example.com', reset)), { timeout: 15_000 }).toBeTruthy();
  await page.goto(link!);
  await expect(page.getByText('For the account admin22')).toBeVisible();
  await noViolations(page);
  await page.getByLabel('New password').fill('mosaic pelican quartz lantern');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=1/);
  await expect(page.getByText('Your password was changed')).toBeVisible();
  await expect(page.getByLabel('Username')).toHaveValue('admin22');
  await page.getByLabel('Password').fill('mosaic pelican quartz lantern');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/company/event-url');

  await page.goto(link!);
  await expect(page.getByRole('alert')).toContainText('no longer works');
  await noViolations(page);
});
