import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, section } from './fixtures';

test('an administrator limits what the receiver gets, is told a value out of range by its field, and sees it kept', async ({ page }) => {
  await signIn(page, 'admin27');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  const limits = cdr.getByRole('group', { name: 'Limits on the receiver' });
  const atOnce = limits.getByLabel('Max concurrent requests');
  const perSecond = limits.getByLabel('Max requests per second');
  await expect(atOnce).toHaveValue('8');
  await expect(perSecond).toHaveValue('');

  // Out of range: refused by the field, focus there, nothing saved.
  await atOnce.fill('65');
  await perSecond.fill('0');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(limits).toContainText('from 1 to 64');
  await expect(limits).toContainText('from 1 to 10,000');
  await expect(atOnce).toHaveAttribute('aria-invalid', 'true');
  await expect(perSecond).toHaveAttribute('aria-invalid', 'true');
  await expect(atOnce).toBeFocused();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  await atOnce.fill('2');
  await perSecond.fill('50');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');
  await expect(atOnce).not.toHaveAttribute('aria-invalid', 'true');

  await page.goto('/company/event-url');
  await hydrated(page);
  const again = section(page, 'CDR Events').getByRole('group', { name: 'Limits on the receiver' });
  await expect(again.getByLabel('Max concurrent requests')).toHaveValue('2');
  await expect(again.getByLabel('Max requests per second')).toHaveValue('50');

  await page.goto('/company/activity');
  await expect(page.getByRole('table')).toContainText('Limits: 8 at once, no rate limit → 2 at once, 50 a second');
});

test('the limits fit a phone screen', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await signIn(page, 'admin27');
  await hydrated(page);
  const limits = section(page, 'Extension Events').getByRole('group', { name: 'Limits on the receiver' });
  await expect(limits.getByLabel('Max requests per second')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});
