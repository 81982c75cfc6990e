import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated } from './fixtures';

test('the login page has no accessibility violations and loads no script or wasm', async ({ page }) => {
  const loaded: string[] = [];
  page.on('request', (request) => loaded.push(new URL(request.url()).pathname));
  await page.goto('/login');
  await page.waitForLoadState('networkidle');
  expect(loaded.filter((path) => path.endsWith('.wasm') || path.endsWith('.js'))).toEqual([]);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
});

test('the Event URL page has no accessibility violations, with errors shown too', async ({ page }) => {
  await signIn(page, 'admin7');
  await hydrated(page);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  const cdr = page.getByRole('region', { name: 'CDR Events' });
  await cdr.getByLabel('Authentication Method').selectOption('basic');
  await cdr.getByLabel('CDR URL').fill('not a url');
  await cdr.getByLabel('Enable').check();
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByText('Remove the spaces from the URL.')).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});

test('the page is usable on a phone-sized screen', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, 'admin7');
  await hydrated(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  await expect(page.getByRole('button', { name: 'Save' }).first()).toBeVisible();
  // Every Company tab fits too (wide tables scroll inside their region).
  for (const tab of ['Deliveries', 'Activity', 'API tokens', 'Administrators']) {
    await page.getByRole('link', { name: tab, exact: true }).click();
    await expect(page.getByRole('link', { name: tab, exact: true })).toHaveAttribute('aria-current', 'page');
    expect(await page.evaluate(() => document.documentElement.scrollWidth), tab).toBeLessThanOrEqual(375);
  }
});
