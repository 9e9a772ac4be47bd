// End-to-end: custom hooks in the studio (Chromium against a real `authstudio studio` on a temp copy of the sample
// workspace): the hook runner sends a call and shows the trace of the hook's script, a hook called with curl shows
// up in the Requests history, and "New script" for a hook asks its method and location and routes to it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

interface PageNode {
  textContent: string | null;
  classList: { contains(c: string): boolean };
  querySelector(s: string): PageNode | null;
}
declare const document: { querySelector(s: string): PageNode | null };

const missing = browserMissing();
const RUNNER = '[data-testid=hook-runner]';

describe('custom hooks in the studio (Chromium)', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  /** Press Send in the hook runner and wait for a new answer; returns its HTTP status. */
  async function send(): Promise<string> {
    const page = browser.page;
    const trace = '[data-testid=hook-trace]';
    const prev = await page.locator(trace).innerText();
    await page.click(`${RUNNER} button[type=submit]`);
    await page.waitForFunction(([sel, p]) => {
      const t = document.querySelector(sel);
      return !!t && !t.classList.contains('busy') && !!t.querySelector('[data-status]') && t.textContent !== p;
    }, [trace, prev] as const);
    return (await page.locator(`${trace} [data-status]`).getAttribute('data-status')) ?? '';
  }

  test('call a hook from the runner and see its trace', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab=hooks]');
    // the configured hooks are offered: picking one fills in its method and location
    await page.selectOption(`${RUNNER} select[name=hook-pick]`, 'GET login-history');
    assert.equal(await page.locator(`${RUNNER} select[name=hook-method]`).inputValue(), 'GET');
    assert.equal(await page.locator(`${RUNNER} input[name=hook-path]`).inputValue(), 'login-history');
    await page.fill(`${RUNNER} input[name=hook-path]`, 'login-history?account=alice@example.com');
    assert.equal(await send(), '200');
    const trace = page.locator('[data-testid=hook-trace]');
    await trace.locator('li.stage[data-stage=hook][data-name=login-history]').waitFor();
    const text = await trace.innerText();
    assert.match(text, /LRANGE/i, 'the Redis command of the hook script is listed');
    assert.match(text, /"account": ?"alice@example\.com"/);
    await screenshot(page, 'hook-runner');
    // the same runner shows a failing script's error with its line
    fs.writeFileSync(path.join(workspace, 'hooks', 'login_history.lua'), 'function nauthilus_run_hook(logging, session)\n  error("history store is down")\nend\n');
    await page.locator('[data-testid=live-version][data-generation="2"]').waitFor();
    assert.equal(await send(), '500');
    assert.match(await trace.locator('.stage-error').innerText(), /hooks\/login_history\.lua:2: history store is down/);
  });

  test('curl a hook: it appears in Requests history', async () => {
    const { page } = browser;
    const r = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${studio.url}/api/v1/custom/login-history?account=bob@example.com`], { encoding: 'utf8' });
    assert.equal(r.stdout, '500', 'the hook is still broken from the previous test');
    await page.click('.dock-tab[data-tab=requests]');
    const row = page.locator('.request-row[data-kind=hook][data-source=external]', { hasText: 'account=bob@example.com' });
    await row.waitFor();
    await row.click();
    const trace = page.locator('[data-testid=request-trace]');
    await trace.locator('li.stage[data-stage=hook][data-name=login-history]').waitFor();
    assert.match(await trace.innerText(), /history store is down/);
  });

  test('the New script dialog asks a hook\'s method and location and routes it', async () => {
    const { page } = browser;
    await page.click('.header-actions button:has-text("New script")');
    const dialog = page.locator('[data-testid=new-script]');
    await dialog.locator('select[name=kind]').selectOption('hook');
    await dialog.locator('input[name=name]').fill('whoami');
    await dialog.locator('select[name=hook-method]').selectOption('POST');
    await dialog.locator('input[name=hook-location]').fill('who/am-i');
    await dialog.locator('button[data-id=create]').click();
    // the toast names the route once the config entry is live
    await page.locator('.toasts', { hasText: 'POST /api/v1/custom/who/am-i is live in generation' }).waitFor();
    assert.match(fs.readFileSync(path.join(workspace, 'authstudio.yml'), 'utf8'), /http_location: who\/am-i\n\s+http_method: POST\n\s+script_path: \.\/hooks\/whoami\.lua/);
    await page.click('.dock-tab[data-tab=hooks]');
    await page.selectOption(`${RUNNER} select[name=hook-method]`, 'POST');
    await page.fill(`${RUNNER} input[name=hook-path]`, 'who/am-i');
    assert.equal(await send(), '200');
    await page.locator('[data-testid=hook-trace] li.stage[data-stage=hook][data-name="who/am-i"]').waitFor();
  });
});
