import AxeBuilder from '@axe-core/playwright';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, signIn, hydrated, section } from './fixtures';

// A real receiver on loopback that records the headers it was sent.
const seen: http.IncomingHttpHeaders[] = [];
let receiver: http.Server;
let base = '';

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

test('an administrator adds a shown and a secret header, is told what eventurl owns, and the receiver gets both', async ({ page }) => {
  await signIn(page, 'admin25');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  const headers = cdr.getByRole('group', { name: 'Custom headers' });
  await cdr.getByLabel('CDR URL').fill(`${base}/hooks`);

  // One blank row to start; Add header gives another.
  await expect(headers.getByRole('group', { name: /^Header \d+$/ })).toHaveCount(1);
  await headers.getByRole('button', { name: 'Add header' }).click();
  const rows = headers.getByRole('group', { name: /^Header \d+$/ });
  await expect(rows).toHaveCount(2);
  await rows.nth(0).getByLabel('Name').fill('Host');
  await rows.nth(0).getByLabel('Value').fill('evil.example');
  await rows.nth(1).getByLabel('Name').fill('X-Api-Key');
  await rows.nth(1).getByLabel('Secret').check();
  await rows.nth(1).getByLabel('Value').fill('k-playwright-secret-1');
  await expect(rows.nth(1).getByLabel('Value')).toHaveAttribute('type', 'password');

  // eventurl's own header: refused by its field, focus there.
  await cdr.getByRole('button', { name: 'Save' }).click();
  const hostName = rows.nth(0).getByLabel('Name');
  await expect(hostName).toHaveAttribute('aria-invalid', 'true');
  await expect(rows.nth(0)).toContainText('Host is set by eventurl');
  await expect(hostName).toBeFocused();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  await hostName.fill('X-Env');
  await rows.nth(0).getByLabel('Value').fill('prod');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');
  // Saved: the secret's field is empty again, kept unless typed over.
  const key = headers.getByRole('group', { name: 'Header 2' });
  await expect(key.getByLabel('Value')).toHaveValue('');
  await expect(key.getByLabel('Value')).toHaveAttribute('placeholder', 'Saved value kept unless you type a new one');

  // After a reload: shown values back, the secret never in the page.
  await page.goto('/company/event-url');
  await hydrated(page);
  expect(await page.content()).not.toContain('k-playwright-secret-1');
  const again = section(page, 'CDR Events').getByRole('group', { name: 'Custom headers' });
  await expect(again.getByRole('group', { name: 'Header 1' }).getByLabel('Value')).toHaveValue('prod');
  await expect(again.getByRole('group', { name: 'Header 2' }).getByLabel('Name')).toHaveValue('X-Api-Key');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  // A test event carries both; the report shows the secret redacted.
  const before = seen.length;
  const reloaded = section(page, 'CDR Events');
  await reloaded.getByRole('button', { name: 'Send test event' }).click();
  const result = reloaded.locator('.latest');
  await expect(result.getByText('Delivered', { exact: true }).first()).toBeVisible();
  await result.getByText('Request sent').click();
  await expect(result.locator('pre').first()).toContainText('X-Api-Key: [redacted]');
  await expect(result.locator('pre').first()).toContainText('X-Env: prod');
  await expect.poll(() => seen.length).toBeGreaterThan(before);
  const got = seen[seen.length - 1];
  expect(got['x-env']).toBe('prod');
  expect(got['x-api-key']).toBe('k-playwright-secret-1');

  // Remove the shown one; the secret stays.
  await again.getByRole('button', { name: 'Remove header X-Env' }).click();
  await reloaded.getByRole('button', { name: 'Save' }).click();
  await expect(reloaded.getByRole('status')).toContainText('Saved at');
  await page.goto('/company/activity');
  await expect(page.getByRole('table')).toContainText('Header X-Env');
  expect(await page.content()).not.toContain('k-playwright-secret-1');
});

test('the header rows fit a phone screen', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(page, 'admin25');
  await hydrated(page);
  const headers = section(page, 'Extension Events').getByRole('group', { name: 'Custom headers' });
  await headers.getByRole('button', { name: 'Add header' }).click();
  const row = headers.getByRole('group', { name: 'Header 2' });
  await expect(row.getByLabel('Name')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});
