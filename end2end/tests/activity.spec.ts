import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, section } from './fixtures';

test('saves appear in the Activity tab with what changed, newest first', async ({ page }) => {
  await signIn(page, 'admin11');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('CDR URL').fill('https://receiver.example/activity');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');

  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL(/\/company\/activity/);
  await hydrated(page);
  const rows = page.locator('table.activity tbody tr');
  await expect(rows.first()).toContainText('Endpoint saved');
  await expect(rows.first()).toContainText('CDR Events');
  await expect(rows.first()).toContainText('URL: (none) → https://receiver.example/activity');
  await expect(rows.nth(1)).toContainText('Signed in');
  // The time is shown in the browser's zone once hydrated (no "UTC" suffix).
  await expect(rows.first().locator('time')).not.toContainText('UTC');

  // Filtering by kind, as a plain GET form.
  await page.getByLabel('What').selectOption('sign_in');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/kind=sign_in/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Signed in');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});

test('of two admins editing one section, the later save is refused with who changed what', async ({ browser }) => {
  const first = await browser.newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await signIn(page, 'admin12');
    await hydrated(page);
  }
  const mine = section(first, 'Extension Events');
  const theirs = section(second, 'Extension Events');
  await theirs.getByLabel('Event URL').fill('https://theirs.example/hook');
  await theirs.getByRole('button', { name: 'Save' }).click();
  await expect(theirs.getByRole('status')).toContainText('Saved at');

  await mine.getByLabel('Event URL').fill('https://mine.example/hook');
  await mine.getByRole('button', { name: 'Save' }).click();
  await expect(mine.getByRole('status')).toContainText('admin12 changed URL at');
  await expect(mine.getByRole('status')).toContainText('what you typed is still in the form');
  await expect(mine.getByLabel('Event URL')).toHaveValue('https://mine.example/hook');

  // Reload shows their save.
  await mine.getByRole('link', { name: 'Reload' }).click();
  await hydrated(first);
  await expect(section(first, 'Extension Events').getByLabel('Event URL')).toHaveValue('https://theirs.example/hook');
});
