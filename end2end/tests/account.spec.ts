import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, PASSWORD } from './fixtures';

// My account against the release server: reached from the header, the
// password changed (the current one required, a weak one refused with the
// reason), sessions listed and the others signed out.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

test('a password is changed with the current one, and other sessions are signed out', async ({ page, browser }) => {
  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, 'admin20');
  await signIn(page, 'admin20');
  await page.getByRole('link', { name: 'admin20' }).click();
  await expect(page).toHaveURL('/account');
  await expect(page.getByRole('heading', { name: 'My account', level: 1 })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole('row', { name: /this session/ })).toContainText('127.0.0.1');
  await noViolations(page);

  await page.getByLabel('Current password').fill('not my password at all');
  await page.getByLabel('New password').fill('quarry velvet ostrich 1977');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('This is not your current password.')).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  await noViolations(page);

  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password').fill('quarry velvet ostrich 1977');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed. 1 other session was signed out.')).toBeVisible();
  await noViolations(page);
  await phone.goto('/company/event-url');
  await expect(phone).toHaveURL(/\/login\?next=/);
});
