import { test, expect, signIn, hydrated, section } from './fixtures';

test('delivery pauses after a question and comes back in one click, leaving typed edits alone', async ({ page }) => {
  await signIn(page, 'admin13');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('CDR URL').fill('https://receiver.example/toggle');
  await cdr.getByLabel('Enable').check();
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');
  await expect(cdr.locator('.delivery .state')).toContainText(/Enabled since \d{4}-\d\d-\d\d/);

  // An unsaved edit, then the switch.
  await cdr.getByLabel('CDR URL').fill('https://receiver.example/typed-not-saved');
  await cdr.getByRole('button', { name: 'Pause delivery…' }).click();
  const question = cdr.getByRole('alertdialog');
  await expect(question).toContainText(
    'The PBX will stop posting CDR events to https://receiver.example/toggle',
  );
  await question.getByRole('button', { name: 'Pause delivery' }).click();
  await expect(cdr.locator('.delivery .state')).toContainText('Paused since');
  await expect(cdr.getByLabel('Enable')).not.toBeChecked();
  await expect(cdr.getByLabel('CDR URL')).toHaveValue('https://receiver.example/typed-not-saved');

  await cdr.getByRole('button', { name: 'Enable delivery' }).click();
  await expect(cdr.locator('.delivery .state')).toContainText('Enabled since');

  // The typed URL was neither lost nor saved.
  await page.reload();
  await hydrated(page);
  await expect(section(page, 'CDR Events').getByLabel('CDR URL')).toHaveValue('https://receiver.example/toggle');
});

test('a generated token is shown once with a copy button, then only its age and author', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, 'admin14');
  await hydrated(page);
  const ext = section(page, 'Extension Events');
  await ext.getByLabel('Authentication Method').selectOption('bearer');
  await ext.getByRole('button', { name: 'Generate token' }).click();
  const once = ext.locator('.shown-once');
  await expect(once).toContainText('never shown again');
  const token = (await once.locator('code').textContent()) ?? '';
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await expect(ext.getByLabel('Bearer Token')).toHaveValue(token);

  await once.getByRole('button', { name: 'Copy' }).click();
  await expect(once.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

  await ext.getByLabel('Event URL').fill('https://receiver.example/generated');
  await ext.getByRole('button', { name: 'Save' }).click();
  await expect(ext.getByRole('status')).toContainText('Saved at');
  await expect(once).toHaveCount(0);
  await expect(ext.getByText(/A token is set \(changed .* by admin14\)/)).toBeVisible();
  expect(await page.content()).not.toContain(token);
});
