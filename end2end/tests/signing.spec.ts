import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated } from './fixtures';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

test('an administrator reveals, copies and rotates a signing secret with a grace', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, 'admin24');
  await hydrated(page);
  const cdr = page.getByRole('region', { name: 'Signing secret · CDR' });
  await expect(cdr).toContainText('Made with the section; never rotated.');
  await expect(cdr.getByText('whsec_••••')).toBeVisible();

  // Reveal: the secret in a read-only field, with Copy.
  await cdr.getByRole('button', { name: 'Reveal' }).click();
  await hydrated(page);
  const shown = page.getByRole('region', { name: 'Signing secret · CDR' });
  const field = shown.getByLabel('Signing secret', { exact: true });
  await expect(field).toHaveValue(SECRET);
  const first = await field.inputValue();
  await shown.getByRole('button', { name: 'Copy' }).click();
  await expect(shown.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  // Rotate with a 1-hour grace: asked first, then the new secret.
  await shown.getByLabel('Old secret keeps signing for').selectOption({ label: '1 hour' });
  await shown.getByRole('button', { name: 'Rotate signing secret' }).click();
  const asking = page.getByRole('region', { name: 'Signing secret · CDR' });
  await expect(asking.getByRole('alertdialog')).toContainText('Rotate the signing secret of CDR Events?');
  await expect(asking.getByRole('alertdialog')).toContainText('For 1 hour each request carries both signatures');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await asking.getByRole('alertdialog').getByRole('button', { name: 'Rotate signing secret' }).click();
  const rotated = page.getByRole('region', { name: 'Signing secret · CDR' });
  const fresh = rotated.getByLabel('New signing secret');
  await expect(fresh).toHaveValue(SECRET);
  expect(await fresh.inputValue()).not.toBe(first);
  await expect(rotated).toContainText('The previous secret also signs until');

  // After a reload: hidden again, the grace still shown; the Extension
  // Events section's secret untouched.
  await page.goto('/company/event-url');
  await hydrated(page);
  const again = page.getByRole('region', { name: 'Signing secret · CDR' });
  await expect(again.getByLabel('New signing secret')).toHaveCount(0);
  await expect(again).toContainText('Last rotated');
  await expect(again).toContainText('The previous secret also signs until');
  await expect(page.getByRole('region', { name: 'Signing secret · Extension' })).toContainText('never rotated');

  // Both moments are in Activity.
  await page.goto('/company/activity');
  await expect(page.getByRole('table')).toContainText('Signing secret revealed');
  await expect(page.getByRole('table')).toContainText('Signing secret rotated');
});

test('a viewer sees that requests are signed, with no Reveal or Rotate', async ({ page }) => {
  await signIn(page, 'viewer19');
  const cdr = page.getByRole('region', { name: 'Signing secret · CDR' });
  await expect(cdr).toContainText('Standard Webhooks');
  await expect(cdr.getByRole('button')).toHaveCount(0);
});
