import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, section } from './fixtures';

test('an administrator delivers only some event types, is told to tick one, and sees the choice kept', async ({ page }) => {
  await signIn(page, 'admin26');
  await hydrated(page);
  const ext = section(page, 'Extension Events');
  const types = ext.getByRole('group', { name: 'Event types' });
  await expect(types.getByLabel("All of this section's event types")).toBeChecked();
  // The list shows only while "Only these" is chosen.
  await expect(types.getByLabel(/^queue_status/)).toBeHidden();
  await types.getByLabel('Only these:').check();
  await expect(types.getByLabel(/^queue_status/)).toBeVisible();
  await expect(types.getByLabel(/^call_cdr/)).toHaveCount(0);

  // None ticked: refused by the field, focus there.
  await ext.getByRole('button', { name: 'Save' }).click();
  await expect(types).toContainText('Tick at least one event type');
  await expect(types.getByLabel('Only these:')).toHaveAttribute('aria-invalid', 'true');
  await expect(types.getByLabel('Only these:')).toBeFocused();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  await types.getByLabel(/^extension_presence/).check();
  await types.getByLabel(/^queue_status/).check();
  await ext.getByRole('button', { name: 'Save' }).click();
  await expect(ext.getByRole('status')).toContainText('Saved at');

  await page.goto('/company/event-url');
  await hydrated(page);
  const again = section(page, 'Extension Events').getByRole('group', { name: 'Event types' });
  await expect(again.getByLabel('Only these:')).toBeChecked();
  await expect(again.getByLabel(/^extension_presence/)).toBeChecked();
  await expect(again.getByLabel(/^queue_status/)).toBeChecked();
  await expect(again.getByLabel(/^extension_call/)).not.toBeChecked();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  await page.goto('/company/activity');
  await expect(page.getByRole('table')).toContainText('Event types: all → extension_presence, queue_status');

  // The Deliveries tab's state filter offers Filtered.
  await page.goto('/company/deliveries');
  await expect(page.getByLabel('State').locator('option', { hasText: 'Filtered' })).toHaveCount(1);
});
