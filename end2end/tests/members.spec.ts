import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, PASSWORD } from './fixtures';

// People against the release server: an administrator invites a viewer
// with a one-time link, the invitee joins in another browser and sees the
// settings without any control, then is made an administrator and
// removed; a viewer's tabs offer nothing they could not do. axe on each.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

test('an invitation link makes a viewer who sees settings but no control, then is promoted and removed', async ({ page, browser }) => {
  await signIn(page, 'admin19', '/company/administrators');
  await hydrated(page);
  await expect(page.getByRole('row', { name: /admin19 \(you\)/ })).toContainText('Administrator');
  await expect(page.getByRole('row', { name: /viewer19/ })).toContainText('Viewer');
  await noViolations(page);

  await page.getByLabel(/^Viewer/).check();
  await page.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(page.getByRole('heading', { name: 'Invitation for a new viewer created' })).toBeVisible();
  const link = await page.getByLabel('Invitation link').inputValue();
  expect(link).toMatch(/\/invitation\?token=euinv_[A-Za-z0-9_-]{43}$/);
  await noViolations(page);

  // The invitee, in a browser of their own.
  const other = await browser.newContext();
  const invitee = await other.newPage();
  const problems: string[] = [];
  invitee.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  await invitee.goto(link);
  await expect(invitee.getByText('admin19 invited you to Tenant 19 as Viewer')).toBeVisible();
  await noViolations(invitee);
  await invitee.getByLabel('Username').fill('vera19');
  await invitee.getByLabel('Password').fill('password1234');
  await invitee.getByRole('button', { name: 'Join' }).click();
  await expect(invitee.getByRole('alert')).toContainText('Choose a stronger password');
  await expect(invitee.getByLabel('Username')).toHaveValue('vera19');
  await noViolations(invitee);
  await invitee.getByLabel('Password').fill(PASSWORD);
  await invitee.getByRole('button', { name: 'Join' }).click();
  await expect(invitee).toHaveURL('/company/event-url');
  await expect(invitee.getByText('Your role is Viewer')).toBeVisible();
  await expect(invitee.getByRole('button', { name: 'Save' })).toHaveCount(0);
  await expect(invitee.getByRole('region', { name: 'CDR Events' })).toContainText('Authentication Method');
  await noViolations(invitee);
  await invitee.goto('/company/api-tokens');
  await expect(invitee.getByRole('button', { name: 'Create token' })).toHaveCount(0);
  await noViolations(invitee);

  // The link worked once.
  const third = await (await browser.newContext()).newPage();
  await third.goto(link);
  await expect(third.getByRole('alert')).toContainText('no longer works');

  // Promoted: the invitee's next page offers the controls.
  await page.goto('/company/administrators');
  const row = page.getByRole('row', { name: /vera19/ });
  await expect(row).toContainText('Viewer');
  await row.getByText('Make administrator…').click();
  await row.getByRole('button', { name: 'Make vera19 administrator' }).click();
  await expect(page.getByText('Role changed')).toBeVisible();
  await invitee.goto('/company/event-url');
  await expect(invitee.getByRole('button', { name: 'Save' })).toHaveCount(2);

  // Removed: signed out at once.
  await page.getByRole('row', { name: /vera19/ }).getByText('Remove…').click();
  await page.getByRole('button', { name: 'Remove vera19' }).click();
  await expect(page.getByText('vera19 was removed')).toBeVisible();
  await noViolations(page);
  await invitee.goto('/company/event-url');
  await expect(invitee).toHaveURL(/\/login\?next=/);
  expect(problems).toEqual([]);
  await other.close();
});

test('a viewer sees the people but no way to change them', async ({ page }) => {
  await signIn(page, 'viewer19', '/company/administrators');
  await hydrated(page);
  await expect(page.getByText('Your role is Viewer')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create invitation link' })).toHaveCount(0);
  await expect(page.getByText('Remove…')).toHaveCount(0);
  await noViolations(page);
});
