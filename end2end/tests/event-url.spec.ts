import { test, expect, signIn, hydrated, section } from './fixtures';

test('credential fields follow the authentication method', async ({ page }) => {
  await signIn(page, 'admin2');
  await hydrated(page);
  for (const title of ['CDR Events', 'Extension Events'] as const) {
    const s = section(page, title);
    const method = s.getByLabel('Authentication Method');
    await expect(method).toHaveValue('disable');
    await expect(s.getByLabel('Username')).toBeHidden();
    await expect(s.getByLabel('Bearer Token')).toBeHidden();

    for (const m of ['basic', 'digest']) {
      await method.selectOption(m);
      await expect(s.getByLabel('Username')).toBeVisible();
      await expect(s.getByLabel('Password')).toBeVisible();
      await expect(s.getByLabel('Bearer Token')).toBeHidden();
    }
    await method.selectOption('bearer');
    await expect(s.getByLabel('Bearer Token')).toBeVisible();
    await expect(s.getByLabel('Username')).toBeHidden();
    await expect(s.getByLabel('Password')).toBeHidden();
    await method.selectOption('disable');
    await expect(s.getByLabel('Bearer Token')).toBeHidden();
  }
});

const methods = [
  { value: 'basic', label: 'Basic Authentication', user: 'pbx-basic', secret: 'basic-Secret-123' },
  { value: 'digest', label: 'Digest Authentication', user: 'pbx-digest', secret: 'digest-Secret-456' },
  { value: 'bearer', label: 'Bearer Authentication', user: '', secret: 'bearer-Token-789' },
  { value: 'disable', label: 'Disable', user: '', secret: '' },
];

for (const [i, m] of methods.entries()) {
  test(`both sections save with ${m.label} and show it after a reload`, async ({ page }) => {
    await signIn(page, `admin${3 + (i % 2)}`);
    await hydrated(page);
    for (const title of ['CDR Events', 'Extension Events'] as const) {
      const s = section(page, title);
      const urlLabel = title === 'CDR Events' ? 'CDR URL' : 'Event URL';
      const url = `https://receiver.example/${m.value}/${title === 'CDR Events' ? 'cdr' : 'ext'}`;
      await s.getByLabel('Authentication Method').selectOption(m.value);
      if (m.value === 'basic' || m.value === 'digest') {
        await s.getByLabel('Username').fill(m.user);
        await s.getByLabel('Password').fill(m.secret);
      } else if (m.value === 'bearer') {
        await s.getByLabel('Bearer Token').fill(m.secret);
      }
      await s.getByLabel(urlLabel).fill(url);
      await s.getByLabel('Enable').check();
      await s.getByRole('button', { name: 'Save' }).click();
      await expect(s.getByRole('status')).toContainText('Saved at');
      await expect(s.getByText('Enabled', { exact: true })).toBeVisible();
    }

    await page.reload();
    await hydrated(page);
    for (const title of ['CDR Events', 'Extension Events'] as const) {
      const s = section(page, title);
      const urlLabel = title === 'CDR Events' ? 'CDR URL' : 'Event URL';
      await expect(s.getByLabel('Authentication Method')).toHaveValue(m.value);
      await expect(s.getByLabel(urlLabel)).toHaveValue(new RegExp(`/${m.value}/`));
      await expect(s.getByLabel('Enable')).toBeChecked();
      if (m.value === 'basic' || m.value === 'digest') {
        await expect(s.getByLabel('Username')).toHaveValue(m.user);
        await expect(s.getByLabel('Password')).toHaveValue('');
        await expect(s.getByText(/A password is set \(changed/)).toBeVisible();
      } else if (m.value === 'bearer') {
        await expect(s.getByLabel('Bearer Token')).toHaveValue('');
        await expect(s.getByText(/A token is set \(changed/)).toBeVisible();
      }
    }
    if (m.secret) {
      expect(await page.content()).not.toContain(m.secret);
    }
  });
}

test('a bad URL is explained beside the field before anything is sent', async ({ page }) => {
  await signIn(page, 'admin5');
  await hydrated(page);
  const s = section(page, 'CDR Events');
  let posts = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST') posts++;
  });
  await s.getByLabel('CDR URL').fill('https://user:pw@receiver.example/');
  await s.getByLabel('Enable').check();
  await s.getByRole('button', { name: 'Save' }).click();
  const url = s.getByLabel('CDR URL');
  await expect(url).toHaveAttribute('aria-invalid', 'true');
  await expect(url).toBeFocused();
  await expect(s.getByText('Remove the user name and password from the URL')).toBeVisible();
  await expect(s.getByRole('status')).toContainText('Not saved');
  expect(posts).toBe(0);

  await url.fill('receiver.example/cdr');
  await s.getByRole('button', { name: 'Save' }).click();
  await expect(s.getByText('Enter a full URL starting with https://')).toBeVisible();

  await url.fill('http://receiver.example/cdr');
  await expect(s.getByText('HTTPS is strongly recommended')).toBeVisible();
  await s.getByRole('button', { name: 'Save' }).click();
  await expect(s.getByRole('status')).toContainText('Saved at');
  await expect(url).not.toHaveAttribute('aria-invalid', 'true');
});

test('enabling Basic without credentials names each missing field', async ({ page }) => {
  await signIn(page, 'admin5');
  await hydrated(page);
  const s = section(page, 'Extension Events');
  await s.getByLabel('Authentication Method').selectOption('basic');
  await s.getByLabel('Username').fill('has:colon');
  await s.getByLabel('Event URL').fill('https://receiver.example/ext');
  await s.getByLabel('Enable').check();
  await s.getByRole('button', { name: 'Save' }).click();
  await expect(s.getByText("a Basic Authentication user name cannot contain ':'")).toBeVisible();
  await expect(s.getByText('Enter the password, or untick Enable')).toBeVisible();
  await expect(s.getByLabel('Username')).toBeFocused();
});
