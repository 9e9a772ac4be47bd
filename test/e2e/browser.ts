// E2E helper: Debian's Chromium driven by playwright-core, headless, with a fresh profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does) to run the UI tests`;
}

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'as-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    // a studio call answered with an error status is logged by the browser; the UI shows those itself
    if (m.type() === 'error' && !(m.text().startsWith('Failed to load resource') && m.location().url.includes('/api/studio/call/'))) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return {
    page, context, errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where screenshots of the main views go: docs/screenshots (shown in the README) when
 * AUTHSTUDIO_SCREENSHOTS=docs, so a plain test run leaves the committed pictures alone; a temp folder otherwise.
 */
export const SCREENSHOTS = process.env.AUTHSTUDIO_SCREENSHOTS === 'docs'
  ? path.join(__dirname, '..', '..', '..', 'docs', 'screenshots')
  : path.join(os.tmpdir(), 'authstudio-screenshots');

/** Save the page as docs/screenshots/<name>.png, after dismissing the notifications a user would have read. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const close = page.locator('.toast .toast-close');
  // toasts also go away by themselves: click whichever is still there
  for (let i = 0; i < 20 && (await close.count()) > 0; i++) await close.first().click({ timeout: 1000 }).catch(() => undefined);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
