import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated } from './fixtures';

// Company → API tokens against the release server: a token is created in
// the browser, shown once and copied, used by a script over the REST API
// (PortSIP's /api/tenant too), listed with its last use, and revoked.

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

test('a token is created, copied once, used by a script, and revoked at once', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, 'admin18', '/company/api-tokens');
  await hydrated(page);
  await expect(page.getByText('No API tokens yet.')).toBeVisible();
  await noViolations(page);

  // A blank name (which the browser's own check lets through) is refused
  // by the field.
  await page.getByLabel('Name').fill('   ');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Name the token (1 to 64 characters)')).toBeVisible();
  await noViolations(page);

  await page.getByLabel('Name').fill('CRM staging');
  await page.getByLabel('Read and write').check();
  await page.getByLabel('Expires').selectOption('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('heading', { name: 'Token "CRM staging" created' })).toBeVisible();
  const token = await page.getByLabel('New token').inputValue();
  expect(token).toMatch(/^eut_[A-Za-z0-9_-]{43}$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await noViolations(page);

  // A script uses it: the REST API and PortSIP's own fields.
  const auth = { Authorization: `Bearer ${token}` };
  const sections = await request.get('/api/v1/event-url', { headers: auth });
  expect(sections.status()).toBe(200);
  expect((await sections.json()).cdr.auth).toBe('DISABLE');
  const changed = await request.post('/api/tenant', {
    headers: auth,
    data: { cdr_event: { enabled: false, auth: 'BEARER', token: 'crm-staging-bearer', url: 'https://crm.example/hooks' } },
  });
  expect(changed.status()).toBe(200);
  expect(JSON.stringify(await changed.json())).not.toContain('crm-staging-bearer');

  // The tab shows what the script did, and the token's last use.
  await page.goto('/company/event-url');
  await expect(page.getByLabel('CDR URL')).toHaveValue('https://crm.example/hooks');
  await page.goto('/company/api-tokens');
  const row = page.getByRole('row', { name: /CRM staging/ });
  await expect(row).toContainText('Read and write');
  await expect(row).toContainText('by admin18');
  await expect(row).toContainText('from 127.0.0.1');
  await expect(page.locator('body')).not.toContainText(token);

  // Revoked: the script is refused at once.
  await row.getByText('Revoke…').click();
  await row.getByRole('button', { name: 'Revoke CRM staging' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'revoked' })).toContainText('Token "CRM staging" revoked');
  await expect(page.getByRole('row', { name: /CRM staging/ })).toContainText('Revoked');
  expect((await request.get('/api/v1/event-url', { headers: auth })).status()).toBe(401);
  await noViolations(page);

  await page.goto('/company/activity');
  await expect(page.getByText('created API token "CRM staging"')).toBeVisible();
  await expect(page.getByText('revoked API token "CRM staging"')).toBeVisible();
});
