import AxeBuilder from '@axe-core/playwright';
import { test, expect, PASSWORD } from './fixtures';

// The provider's console against the release server: an operator signs in
// at the same /login, lands on Tenants, creates a tenant (its first
// administrator's link shown once), suspends one (its administrator is
// signed out and refused) and reactivates it; the operator activity log
// says so. Plain forms: no JavaScript needed, axe clean throughout.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

async function signInAs(page: import('@playwright/test').Page, username: string) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an operator creates, suspends and reactivates tenants, never entering one', async ({ page, browser }) => {
  const member = await (await browser.newContext()).newPage();
  await signInAs(member, 'admin23');
  await expect(member).toHaveURL('/company/event-url');

  await signInAs(page, 'olivia');
  await expect(page).toHaveURL('/provider/tenants');
  await expect(page.getByRole('heading', { name: 'Provider', level: 1 })).toBeVisible();
  await expect(page.getByRole('row', { name: /Tenant 23/ })).toContainText('admin23');
  await noViolations(page);
  // A tenant's pages are not the console's.
  await page.goto('/company/event-url');
  await expect(page).toHaveURL('/provider/tenants');

  await page.getByLabel('Company name').fill('Initech');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await expect(page.getByRole('heading', { name: 'Initech created' })).toBeVisible();
  await expect(page.getByLabel("First administrator's invitation link")).toHaveValue(/\/invitation\?token=euinv_/);
  await noViolations(page);

  const row = page.getByRole('row', { name: /Tenant 23/ });
  await row.getByText('Suspend…').click();
  await row.getByRole('button', { name: 'Suspend Tenant 23' }).click();
  await expect(page.getByText('Tenant 23 is suspended')).toBeVisible();
  await noViolations(page);
  await member.goto('/company/event-url');
  await expect(member).toHaveURL(/\/login\?next=/);
  await member.getByLabel('Username').fill('admin23');
  await member.getByLabel('Password').fill(PASSWORD);
  await member.getByRole('button', { name: 'Sign in' }).click();
  await expect(member.getByRole('alert')).toContainText('suspended');

  await page.getByRole('row', { name: /Tenant 23/ }).getByText('Reactivate…').click();
  await page.getByRole('button', { name: 'Reactivate Tenant 23' }).click();
  await expect(page.getByText('Tenant 23 is active again')).toBeVisible();

  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL('/provider/activity');
  await expect(page.getByRole('row', { name: /Tenant suspended/ })).toContainText('Tenant 23');
  await expect(page.getByRole('row', { name: /Tenant created/ })).toContainText('Initech');
  await noViolations(page);
});
