import AxeBuilder from '@axe-core/playwright';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { test, expect, signIn, hydrated, section } from './fixtures';

// Company → Deliveries against the release server: a real CRM receiver on
// loopback that answers 404 while "broken" (each event is then given up at
// once, by PortSIP's rules) and 200 once fixed.
let broken = true;
let receiver: http.Server;
let base = '';

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (broken || req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such hook');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  // eventurl keeps its connections to a receiver open for the next
  // delivery: closed here, or close() waits for them.
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

function ingestSetup() {
  return JSON.parse(readFileSync('.data/ingest.json', 'utf8')) as {
    key: string;
    tenants: Record<string, number>;
  };
}

const noViolations = async (page: import('@playwright/test').Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

test('a given-up event is found by filter, its attempts read, and redelivered once the receiver is fixed', async ({ page, request }) => {
  await signIn(page, 'admin16');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('CDR URL').fill(`${base}/crm`);
  await cdr.getByLabel('Enable').check();
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');

  broken = true;
  const ingest = ingestSetup();
  const answer = await request.post(`/ingest/v1/tenants/${ingest.tenants['Tenant 16']}/events`, {
    headers: { Authorization: `Bearer ${ingest.key}` },
    data: ['b1', 'b2', 'b3'].map((id) => ({
      event_type: 'call_cdr',
      event_id: `e2e-${id}`,
      call_id: `call-${id}`,
      caller: 'sip:101@test.io',
      callee: 'sip:102@test.io',
    })),
  });
  expect(answer.status()).toBe(202);

  // The filters are a GET form: they end up in the URL.
  await page.getByRole('link', { name: 'Deliveries' }).click();
  await hydrated(page);
  await page.getByLabel('State').selectOption('given_up');
  await page.getByLabel('Event id, call id or extension').fill('call-b2');
  await expect(async () => {
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/state=given_up.*q=call-b2/);
    await expect(page.getByRole('status')).toHaveText('Showing 1 event.', { timeout: 1000 });
  }).toPass();
  const row = page.getByRole('row', { name: /e2e-b2/ });
  await expect(row).toContainText('Given up');
  await expect(row).toContainText('404');
  await noViolations(page);

  // The event: its body and the attempt, in the PBX's terms.
  await row.getByRole('link', { name: 'e2e-b2' }).click();
  await hydrated(page);
  await expect(page.getByLabel('Event body')).toContainText('"call_id": "call-b2"');
  await expect(page.getByText('Not delivered, given up: the receiver answered 404')).toBeVisible();
  await page.getByText('Request and response').click();
  await expect(page.getByRole('table', { name: 'Response headers' })).toBeVisible();
  await expect(page.getByText('no such hook')).toBeVisible();
  await noViolations(page);

  // Fixed: redelivered after a confirmation, delivered, marked manual.
  broken = false;
  await page.getByRole('link', { name: 'Redeliver…' }).click();
  await expect(page.getByText('Send event e2e-b2 again?')).toBeVisible();
  await noViolations(page);
  await page.getByRole('button', { name: 'Redeliver 1 event' }).click();
  await expect(page.getByText('Redelivery asked for')).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByText('Delivered: the receiver answered 200 OK.')).toBeVisible({ timeout: 1000 });
  }).toPass();
  await expect(page.getByText('manual redelivery')).toBeVisible();

  // The back button returns to the filtered list.
  await page.goto('/company/deliveries?state=given_up');
  await expect(page.getByRole('status')).toHaveText('Showing 2 events.');
  await page.goto('/company/activity');
  await expect(page.getByText('asked to redeliver event e2e-b2')).toBeVisible();
});

test('a section whose events are all given up is paused automatically, with a banner on every page', async ({ page, request }) => {
  await signIn(page, 'admin17');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('CDR URL').fill(`${base}/missing-17`);
  await cdr.getByLabel('Enable').check();
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');

  const ingest = ingestSetup();
  const answer = await request.post(`/ingest/v1/tenants/${ingest.tenants['Tenant 17']}/events`, {
    headers: { Authorization: `Bearer ${ingest.key}` },
    data: Array.from({ length: 50 }, (_, n) => ({ event_type: 'call_cdr', event_id: `e2e-p${n}` })),
  });
  expect(answer.status()).toBe(202);

  const banner = page.getByRole('region', { name: 'Delivery problems' });
  await expect(async () => {
    await page.reload();
    await expect(banner).toContainText('CDR Events delivery was paused automatically: its last 50 events were all given up.', { timeout: 1000 });
  }).toPass();
  await hydrated(page);
  await expect(section(page, 'CDR Events').getByText(/Paused automatically on/)).toBeVisible();
  await expect(section(page, 'CDR Events').getByRole('img', { name: /0 delivered, 50 failed/ })).toBeVisible();
  await noViolations(page);

  // Every page says so; the banner leads to the given-up events.
  await page.goto('/company/activity');
  await expect(page.getByRole('cell', { name: /paused automatically: its last 50 events were all given up/ })).toBeVisible();
  await banner.getByRole('link', { name: 'See these deliveries' }).click();
  await expect(page).toHaveURL(/\/company\/deliveries\?section=cdr&state=given_up/);
  await expect(page.getByRole('status').first()).toHaveText('Showing 50 events.');
  await expect(banner).toBeVisible();
  await noViolations(page);
  await page.getByRole('link', { name: /Replay the given-up events/ }).click();
  await expect(page.getByRole('alert')).toContainText('CDR Events delivery is paused');

  // One click enables it again; the alert goes. At 5 requests a second,
  // so that the replay below runs for about ten seconds.
  await page.goto('/company/event-url');
  await hydrated(page);
  await cdr.getByRole('button', { name: 'Enable delivery' }).click();
  await expect(cdr.locator('.delivery .state')).toContainText('Enabled since');
  await expect(cdr.getByText(/Paused automatically on/)).toHaveCount(0);
  await cdr.getByRole('group', { name: 'Limits on the receiver' }).getByLabel('Max requests per second').fill('5');
  await cdr.getByRole('button', { name: 'Save' }).click();
  await expect(cdr.getByRole('status')).toContainText('Saved at');
  await page.reload();
  await expect(banner).toHaveCount(0);

  // The 50 given-up events replayed as a job (the receiver still answers
  // 404: each fails again). The page counts them as they go, without a
  // reload, until done.
  await page.goto('/company/deliveries?section=cdr&state=given_up');
  await page.getByRole('link', { name: /Replay the given-up events/ }).click();
  await expect(page.getByText(/Replay the 50 given-up events of CDR Events/)).toBeVisible();
  await page.getByRole('button', { name: 'Replay 50 events' }).click();
  await expect(page).toHaveURL(/\/company\/deliveries\/replays\/\d+$/);
  const status = page.locator('.replay-status');
  await expect(status).toHaveText(/^Sent \d+ of 50: \d+ delivered, \d+ failed, \d+ waiting\.$/);
  await hydrated(page);
  await expect(page.getByText(/this page updates itself every second/)).toBeVisible();
  await expect(status).toHaveText('Done: 0 delivered, 50 failed of 50.', { timeout: 30000 });
  await expect(page.getByRole('definition').nth(3)).toHaveText('50');
  await expect(page.getByText(/this page updates itself every second/)).toHaveCount(0);
  await hydrated(page);
  await noViolations(page);
  await page.goto('/company/activity');
  await expect(page.getByText(/started replay \d+: 50 given-up events/)).toBeVisible();
});
