import AxeBuilder from '@axe-core/playwright';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, signIn, hydrated, section } from './fixtures';

// A real receiver on loopback (the test server allows 127.0.0.0/8):
// /ok answers 200, /missing 404, /slow 200 after 1.5 s.
type Seen = { path: string; headers: http.IncomingHttpHeaders; body: string };
const seen: Seen[] = [];
let receiver: http.Server;
let base = '';

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = () => {
        if (req.url?.startsWith('/missing')) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such hook');
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        }
      };
      if (req.url?.startsWith('/slow')) setTimeout(answer, 1500);
      else answer();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

test('a test event is sent with the form as typed, and the verdict, request and response are shown', async ({ page }) => {
  await signIn(page, 'admin9');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('Authentication Method').selectOption('bearer');
  await cdr.getByLabel('Bearer Token').fill('typed-Token-0451');
  await cdr.getByLabel('CDR URL').fill(`${base}/slow/cdr`);
  const before = seen.length;

  const send = cdr.getByRole('button', { name: 'Send test event' });
  await send.click();
  // Progress while it runs; the button cannot be fired twice.
  const busy = cdr.getByRole('button', { name: 'Sending…' });
  await expect(busy).toBeDisabled();
  const result = cdr.locator('.latest');
  await expect(result.getByText('Delivered', { exact: true }).first()).toBeVisible();
  await expect(result.getByText(/answered 200 OK, which the PBX counts as delivered/)).toBeVisible();

  // What the receiver got.
  expect(seen.length).toBe(before + 1);
  const got = seen[seen.length - 1];
  expect(got.headers['authorization']).toBe('Bearer typed-Token-0451');
  expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(got.body).event_type).toBe('call_cdr');

  // The request as sent (token redacted) and the response.
  await result.getByText('Request sent').click();
  await expect(result.locator('pre').first()).toContainText('Authorization: Bearer [redacted]');
  await expect(result.locator('pre').first()).toContainText('"event_type": "call_cdr"');
  await result.getByText('Response received').click();
  await expect(result.locator('pre').nth(1)).toContainText('200 OK');
  await expect(result.locator('pre').nth(1)).toContainText('thanks');
  expect(await page.content()).not.toContain('typed-Token-0451');

  // The history has the entry, also after a reload; nothing was saved.
  await expect(cdr.getByText('Recent test events (1)')).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.reload();
  await hydrated(page);
  await expect(cdr.getByText('Recent test events (1)')).toBeVisible();
  await expect(cdr.getByLabel('CDR URL')).toHaveValue('');
});

test('an extension event that gets 404 says the PBX would stop retrying, and can be sent again', async ({ page }) => {
  await signIn(page, 'admin10');
  await hydrated(page);
  const ext = section(page, 'Extension Events');
  await ext.getByLabel('Event URL').fill(`${base}/missing/ext`);
  await ext.getByLabel('Sample event').selectOption('queue_status');
  await ext.getByRole('button', { name: 'Send test event' }).click();
  await expect(ext.getByText('Not delivered: the PBX would stop retrying').first()).toBeVisible();
  expect(JSON.parse(seen[seen.length - 1].body).event_type).toBe('queue_status');

  const history = ext.locator('.history');
  await history.getByText('Recent test events (1)').click();
  await history.locator('li summary').first().click();
  const before = seen.length;
  await history.getByRole('button', { name: 'Send again' }).click();
  await expect(history.getByText('Recent test events (2)')).toBeVisible();
  expect(seen.length).toBe(before + 1);
  expect(seen[seen.length - 1].body).toBe(seen[seen.length - 2].body);
});

test('an incomplete form is refused at the field, and nothing is sent', async ({ page }) => {
  await signIn(page, 'admin10');
  await hydrated(page);
  const cdr = section(page, 'CDR Events');
  await cdr.getByLabel('Authentication Method').selectOption('digest');
  const before = seen.length;
  await cdr.getByRole('button', { name: 'Send test event' }).click();
  await expect(cdr.getByText('Enter the password to send a test event.')).toBeVisible();
  await expect(cdr.getByText('Not sent: correct the fields marked below.')).toBeVisible();
  await expect(cdr.getByLabel('Username')).toBeFocused();
  expect(seen.length).toBe(before);
});
