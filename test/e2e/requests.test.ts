// End-to-end: saved requests in the studio (Chromium against a real `authstudio studio` on a temp copy of the sample
// workspace): save a simulated login with its outcome, run the collection (pass, then fail naming the deciding stage
// once the script changes), environments, copy as curl (run by a real curl), and the page's state after a reload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess, sendSimulation } from './studio-process';

interface PageNode {
  textContent: string | null;
  classList: { contains(c: string): boolean };
  querySelector(s: string): PageNode | null;
}
declare const document: { querySelector(s: string): PageNode | null };

const missing = browserMissing();
const SAVED = 'tests/alice-from-the-office.test.yml';
const SIM = '.simulator';

/** The decision a curl -i answer stands for (as the studio reads one: nginx says it in Auth-Status). */
function curlDecision(out: string): { status: number; decision: string } {
  const head = out.split(/\r?\n\r?\n/)[0];
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]);
  const authStatus = /^auth-status: (.*)$/im.exec(head)?.[1]?.trim();
  const decision = status === 200 ? (authStatus === undefined || authStatus === 'OK' ? 'ok' : 'fail') : status >= 500 ? 'tempfail' : 'fail';
  return { status, decision };
}

describe('saved requests, collections and environments (Chromium)', { skip: missing, concurrency: false }, () => {
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

  /** Send the simulator's request as it stands and wait for the trace; returns its decision. */
  async function send(): Promise<string> {
    const page = browser.page;
    return sendSimulation(page);
  }

  /** Press Run all and wait for the saved request's row to show `result`. */
  async function runCollection(result: 'pass' | 'fail'): Promise<void> {
    const page = browser.page;
    await page.click('.dock-tab[data-tab=collections]');
    await page.click('[data-action=run-collection]');
    await page.locator('[data-action=run-collection]:enabled').waitFor();
    await page.locator(`li.case[data-file="${SAVED}"][data-result=${result}]`).waitFor();
  }

  /** Copy as curl, run the command in a shell, close the dialog; returns what curl got. */
  async function curlOfLastRequest(): Promise<{ status: number; decision: string; command: string }> {
    const page = browser.page;
    await page.click(`${SIM} [data-action=copy-curl]`);
    const command = await page.locator('[data-testid=curl-command]').inputValue();
    await page.keyboard.press('Escape');
    const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return { ...curlDecision(r.stdout), command };
  }

  test('save a request, run the collection: pass; break the script: fail with the stage that decided', async () => {
    const { page } = browser;
    await page.fill(`${SIM} input[name=username]`, 'alice');
    await page.fill(`${SIM} input[name=password]`, 'alice-secret');
    await page.fill(`${SIM} input[name=client_ip]`, '198.51.100.20');
    assert.equal(await send(), 'ok');
    await page.click(`${SIM} [data-action=save-request]`);
    const dialog = page.locator('[data-testid=save-request]');
    // the expected outcome is prefilled from the actual result
    const expect = JSON.parse(await dialog.locator('textarea[name=expect]').inputValue()) as Record<string, unknown>;
    assert.deepEqual(expect, { decision: 'ok', status: 200, decided_by: 'backend:lua' });
    await dialog.locator('input[name=request-name]').fill('alice from the office');
    await dialog.locator('button[data-id=save]').click();
    await page.locator('.toasts', { hasText: `Saved ${SAVED}` }).waitFor();
    const file = fs.readFileSync(path.join(workspace, SAVED), 'utf8');
    assert.match(file, /client_ip: 198\.51\.100\.20/);
    await runCollection('pass');

    fs.writeFileSync(path.join(workspace, 'features', 'blocklist.lua'), fs.readFileSync(path.join(workspace, 'features', 'blocklist.lua'), 'utf8').replace('{ "203.0.113." }', '{ "203.0.113.", "198.51.100.2" }'));
    await page.locator('[data-testid=live-version][data-generation="2"]').waitFor();
    await runCollection('fail');
    const row = page.locator(`li.case[data-file="${SAVED}"]`);
    const diff = await row.locator('table.case-diff tbody tr').allInnerTexts();
    assert.ok(diff.some((r) => /decided by\s+backend:lua\s+feature:blocklist/.test(r)), diff.join('\n'));
    assert.ok(diff.some((r) => /decision\s+ok\s+fail/.test(r)), diff.join('\n'));
    await screenshot(page, 'collection-run');
  });

  test('switch environment: variables change the request', async () => {
    const { page } = browser;
    fs.writeFileSync(path.join(workspace, 'tests', 'environments.yml'), 'office: { ip: 198.51.100.7 }\nblocked: { ip: 203.0.113.50 }\n');
    await page.click('.dock-tab[data-tab=collections]');
    await page.locator('select[name=environment] option[value=blocked]').waitFor({ state: 'attached' });
    await page.fill(`${SIM} input[name=client_ip]`, '{{ip}}');
    await page.selectOption('select[name=environment]', 'office');
    assert.equal(await send(), 'ok');
    await page.selectOption('select[name=environment]', 'blocked');
    assert.equal(await send(), 'fail');
    const sent = (await page.locator('[data-testid=trace] details').last().textContent()) ?? '';
    assert.match(sent, /203\.0\.113\.50/);
    assert.match(await page.locator('[data-testid=trace] .status-msg').innerText(), /IP address blocked/);
  });

  test('copy as curl then run that curl command: same decision', async () => {
    const { page } = browser;
    // the JSON endpoint (Dovecot's client), refused by the blocklist in the "blocked" environment
    const json = await curlOfLastRequest();
    assert.match(json.command, /\/api\/v1\/auth\/json/);
    assert.deepEqual([json.decision, json.status], ['fail', 403]);
    // header mode (nginx's auth_http), accepted from the office
    await page.selectOption(`${SIM} select[name=preset]`, 'nginx-imap');
    await page.selectOption('select[name=environment]', 'office');
    assert.equal(await send(), 'ok');
    const nginx = await curlOfLastRequest();
    assert.match(nginx.command, /-H 'Auth-User: alice'/);
    assert.deepEqual([nginx.decision, nginx.status], ['ok', 200]);
    // curl's requests are in the history as an outside client's
    await page.click('.dock-tab[data-tab=requests]');
    await page.locator('.request-row[data-kind=login][data-source=external]', { hasText: '/api/v1/auth/nginx' }).waitFor();
  });

  test('reload the page: tabs, form and results are still there', async () => {
    const { page } = browser;
    await page.click('.tree-file[data-path="filters/protocol_policy.lua"]');
    await page.click('.tree-file[data-path="features/blocklist.lua"]');
    await page.locator('.tab.active[data-path="features/blocklist.lua"]').waitFor();
    await page.click('.dock-tab[data-tab=logs]');
    await page.locator('.log-line').first().waitFor();
    const decision = await page.locator('[data-testid=trace] [data-decision]').getAttribute('data-decision');

    await page.reload();
    await page.locator('[data-testid=live-version]').waitFor();
    await page.locator('.tab.active[data-path="features/blocklist.lua"]').waitFor();
    assert.equal(await page.locator('.tab[data-path="filters/protocol_policy.lua"]').count(), 1);
    await page.locator(`${SIM} select[name=preset] option[value=nginx-imap]`).waitFor({ state: 'attached' });
    assert.equal(await page.locator(`${SIM} select[name=preset]`).inputValue(), 'nginx-imap');
    assert.equal(await page.locator(`${SIM} input[name=client_ip]`).inputValue(), '{{ip}}');
    assert.equal(await page.locator('[data-testid=trace] [data-decision]').getAttribute('data-decision'), decision);
    assert.equal(await page.locator('select[name=environment]').inputValue(), 'office');
    assert.equal(await page.locator('.dock-tab.active').getAttribute('data-tab'), 'logs');
    assert.ok(await page.locator('.log-line').count() > 0, 'the log lines seen before the reload are back');
    await page.click('.dock-tab[data-tab=collections]');
    assert.equal(await page.locator(`li.case[data-file="${SAVED}"]`).getAttribute('data-result'), 'fail');
  });
});
