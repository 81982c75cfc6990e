import { test as base, expect, Page } from '@playwright/test';

export const PASSWORD = 'correct horse battery staple';

// Every test fails on a browser console error or warning, or a page error.
export const test = base.extend<{ consoleProblems: string[] }>({
  consoleProblems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') {
          problems.push(`${msg.type()}: ${msg.text()}`);
        }
      });
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      await use(problems);
      expect(problems, 'browser console must stay clean').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Waits until the wasm bundle has hydrated the page: earlier clicks are lost. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function signIn(page: Page, username: string, next = '/company/event-url') {
  await page.goto(next);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next);
}

export function section(page: Page, title: 'CDR Events' | 'Extension Events') {
  return page.getByRole('region', { name: title });
}
