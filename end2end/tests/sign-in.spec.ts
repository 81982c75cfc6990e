import { test, expect, signIn, hydrated, PASSWORD } from './fixtures';

test('an anonymous visitor is sent to sign in and then back to the tab', async ({ page }) => {
  await signIn(page, 'admin1');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Company' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Event URL' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText('Tenant 1', { exact: true })).toBeVisible();
  await expect(page.getByText('Signed in as admin1')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'CDR Events' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Extension Events' })).toBeVisible();
});

test('a wrong password is refused with a message, the username kept and the target remembered', async ({ page }) => {
  await page.goto('/company/event-url?from=test');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Username').fill('admin1');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(/username or password is not right/);
  await expect(page.getByLabel('Username')).toHaveValue('admin1');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/company/event-url?from=test');
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'admin1');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1/);
  await expect(page.getByRole('status')).toHaveText('You have signed out.');
  await page.goto('/company/event-url');
  await expect(page).toHaveURL(/\/login\?next=/);
});
