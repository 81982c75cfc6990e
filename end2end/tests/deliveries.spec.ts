import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, signIn, hydrated, section } from './fixtures';

// The PBX hands events in to a paused CDR section: the header says they
// are held, and they can be discarded after a confirmation (recorded in
// Activity). The key and tenant ids come from start-server.sh.
// (Read in the test: the server, which writes it, starts after the test
// files are loaded.)
function ingestSetup() {
  return JSON.parse(readFileSync('.data/ingest.json', 'utf8')) as {
    key: string;
    tenants: Record<string, number>;
  };
}

test('held CDR events are shown in the section and can be discarded with a confirmation', async ({ page, request }) => {
  await signIn(page, 'admin15');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('CDR URL').fill('https://receiver.example/cdr');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');

  const ingest = ingestSetup();
  const answer = await request.post(`/ingest/v1/tenants/${ingest.tenants['Tenant 15']}/events`, {
    headers: { Authorization: `Bearer ${ingest.key}` },
    data: [1, 2, 3].map((n) => ({ event_type: 'call_cdr', event_id: `e2e-${n}` })),
  });
  expect(answer.status()).toBe(202);

  await page.reload();
  await hydrated(page);
  await expect(cdr.getByText('3 CDR events held while paused')).toBeVisible();
  await expect(cdr.getByText(/Last 24 hours: 0 delivered, 0 given up/)).toBeVisible();
  await cdr.getByText('Discard held events…').click();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await cdr.getByRole('button', { name: 'Discard 3 held events' }).click();
  await hydrated(page);
  await expect(section(page, 'CDR Events').getByText('held while paused')).toHaveCount(0);

  await page.goto('/company/activity');
  await expect(page.getByText('discarded 3 held events; they will not be delivered')).toBeVisible();
});
