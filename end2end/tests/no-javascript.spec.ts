import { test, expect, section, PASSWORD } from './fixtures';

test.use({ javaScriptEnabled: false });

test('sign-in and Save work as plain form posts without JavaScript', async ({ page }) => {
  await page.goto('/company/event-url');
  await page.getByLabel('Username').fill('admin6');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/company/event-url');

  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('Authentication Method').selectOption('bearer');
  await expect(cdr.getByLabel('Bearer Token')).toBeVisible();
  await cdr.getByLabel('CDR URL').fill('ftp://receiver.example/cdr');
  await cdr.getByLabel('Enable').check();
  await cdr.getByRole('button', { name: 'Save' }).click();

  const again = section(page, 'CDR Events');
  await expect(again.getByText('Use a URL that starts with https://')).toBeVisible();
  await expect(again.getByText('Enter the bearer token, or untick Enable')).toBeVisible();
  await expect(again.getByLabel('CDR URL')).toHaveValue('ftp://receiver.example/cdr');
  await expect(again.getByLabel('Authentication Method')).toHaveValue('bearer');

  await again.getByLabel('CDR URL').fill('https://receiver.example/cdr');
  await again.getByLabel('Bearer Token').fill('nojs-token-123');
  await again.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/saved=cdr/);
  await expect(section(page, 'CDR Events').getByRole('status')).toContainText('Saved at');
  await expect(section(page, 'CDR Events').getByText(/A token is set/)).toBeVisible();
});
