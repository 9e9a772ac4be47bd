// End-to-end: Dovecot scripts in the studio (Chromium against a real `authstudio studio` on a temp copy of the sample
// workspace): the Nextcloud example runs in the Dovecot runner against its stand-in, per Dovecot version, with
// Dovecot's completion and hover in the editor.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { cursorToLineEnd, deleteLine, hoverShows, insertLineAfter, waitForLine } from './monaco-page';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

interface PageNode {
  textContent: string | null;
  classList: { contains(c: string): boolean };
  querySelector(s: string): PageNode | null;
}
declare const document: { querySelector(s: string): PageNode | null };

const missing = browserMissing();
const NEXTCLOUD = 'dovecot/nextcloud/auth-httpbasic.lua';
const USERDB = 'dovecot/mailboxes.lua';
const RUNNER = '[data-testid=dovecot-runner]';

describe('Dovecot scripts in the studio (Chromium)', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    fs.writeFileSync(path.join(workspace, USERDB), [
      'function auth_userdb_lookup(req)',
      '  if req.user ~= "alice" then return dovecot.auth.USERDB_RESULT_USER_UNKNOWN, "" end',
      '  return dovecot.auth.USERDB_RESULT_OK, { home = "/var/mail/alice", quota_rule = "*:storage=2G" }',
      'end',
      '',
    ].join('\n'));
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  /** Press Run and wait for a new verdict in the runner's trace; returns its decision. */
  async function run(): Promise<string> {
    const page = browser.page;
    const trace = `[data-testid=dovecot-trace]`;
    const before = await page.locator(trace).innerText();
    await page.click(`${RUNNER} button[type=submit]`);
    await page.waitForFunction(([sel, prev]) => {
      const t = document.querySelector(sel);
      return !!t && !t.classList.contains('busy') && !!t.querySelector('[data-decision]') && t.textContent !== prev;
    }, [trace, before] as const);
    return (await page.locator(`${trace} [data-decision]`).getAttribute('data-decision')) ?? '';
  }

  test('opening the Nextcloud example and pressing Run with the IMAP preset shows OK and its fields', async () => {
    const { page } = browser;
    await page.click(`.tree-group[data-group=dovecot] .tree-file[data-path="${NEXTCLOUD}"]`);
    await page.locator('.editor-header .editor-path', { hasText: NEXTCLOUD }).waitFor();
    // a Dovecot script is not served by the engine: no "Live in generation N"
    const note = page.locator('.editor-header .live-note');
    assert.equal(await note.getAttribute('data-live'), 'dovecot');
    assert.doesNotMatch(await note.innerText(), /Live in generation/);
    await page.locator(RUNNER).waitFor({ state: 'visible' });
    assert.equal(await page.locator('.simulator[aria-label=Simulator]').isVisible(), false, 'the simulator makes room for the runner');

    await page.selectOption(`${RUNNER} select[name=dovecot-preset]`, 'imap-login');
    await page.fill(`${RUNNER} input[name=user]`, 'alice');
    await page.fill(`${RUNNER} input[name=password]`, 'alice-app-password');
    assert.equal(await run(), 'ok');
    const trace = page.locator(`[data-testid=dovecot-trace]`);
    assert.equal(await trace.locator('[data-decision]').getAttribute('data-status'), 'PASSDB_RESULT_OK');
    const text = await trace.innerText();
    assert.match(text, /OK Logged in/);
    assert.match(text, /Dovecot 2\.3/);
    assert.match(text, /PROPFIND https:\/\/nextcloud\.example\.com\/remote\.php\/dav\/ → 207/);
    // nopassword=y is a field Dovecot acts on and drops: the fields section says so instead of showing it
    assert.match(text, /Fields \(0\)\s+Dovecot keeps no extra fields/i);
    await screenshot(page, 'dovecot-run');

    // a userdb lookup shows the fields Dovecot keeps
    await page.click(`.tree-file[data-path="${USERDB}"]`);
    await page.locator('.editor-header .editor-path', { hasText: USERDB }).waitFor();
    await page.selectOption(`${RUNNER} select[name=dovecot-preset]`, 'lmtp-userdb');
    assert.equal(await run(), 'ok');
    const fields = page.locator(`${RUNNER} [data-testid=dovecot-fields]`);
    assert.match(await fields.innerText(), /home\s+\/var\/mail\/alice/);
    assert.match(await fields.innerText(), /quota_rule\s+\*:storage=2G/);
  });

  test('switching to 2.4 shows 2.4\'s error for a 2.3-only script', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${NEXTCLOUD}"]`);
    await page.locator('.editor-header .editor-path', { hasText: NEXTCLOUD }).waitFor();
    await page.selectOption(`${RUNNER} select[name=dovecot-preset]`, 'imap-login');
    await page.click(`${RUNNER} button[data-profile="2.4"]`);
    assert.equal(await page.locator(`${RUNNER} button[data-profile="2.4"]`).getAttribute('aria-pressed'), 'true');
    assert.equal(await run(), 'tempfail');
    const trace = page.locator(`[data-testid=dovecot-trace]`);
    assert.equal(await trace.locator('[data-decision]').getAttribute('data-status'), 'AUTH_PROCESS_BROKEN');
    const text = await trace.innerText();
    assert.match(text, /\* BYE Auth process broken/);
    assert.match(text, /Invalid HTTP client setting: \w+ is unknown setting/);
    // the error links to the line that made the 2.3-only call
    await trace.locator('button.link', { hasText: `open ${NEXTCLOUD}:8` }).click();
    await page.locator('.editor-host .line-numbers.active-line-number', { hasText: /^8$/ }).waitFor();
    await screenshot(page, 'dovecot-run-24');

    await page.click(`${RUNNER} button[data-profile="2.3"]`);
    assert.equal(await run(), 'ok', 'back on 2.3 the same script logs in again');
  });

  test('typing in a Dovecot script offers dovecot.* and req completion for the chosen Dovecot version, and hovers explain them', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${NEXTCLOUD}"]`);
    await page.locator('.editor-header .editor-path', { hasText: NEXTCLOUD }).waitFor();
    await cursorToLineEnd(page, 23);
    await page.keyboard.press('Enter');
    await page.keyboard.type('dovecot.auth.PASSDB_RESULT_US', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'PASSDB_RESULT_USER_UNKNOWN' }).waitFor();
    await page.keyboard.press('Escape');
    await deleteLine(page, 24);

    // 2.3 has req.service; 2.4 renamed it to req.protocol
    await cursorToLineEnd(page, 23);
    await page.keyboard.press('Enter');
    await page.keyboard.type('local p = req.serv', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row[aria-label="service, Field"]').waitFor();
    await page.keyboard.press('Escape');
    await deleteLine(page, 24);
    await cursorToLineEnd(page, 23);
    await page.keyboard.press('Enter');
    await page.keyboard.type('local p = req.p', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row[aria-label="password, Field"]').waitFor();
    assert.equal(await page.locator('.suggest-widget .monaco-list-row[aria-label^="protocol,"]').count(), 0, 'req.protocol is Dovecot 2.4 only');
    await page.keyboard.press('Escape');
    await deleteLine(page, 24);
    await page.click(`${RUNNER} button[data-profile="2.4"]`);
    await cursorToLineEnd(page, 23);
    await page.keyboard.press('Enter');
    await page.keyboard.type('local p = req.proto', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row[aria-label="protocol, Field"]').waitFor();
    await page.keyboard.press('Escape');
    await deleteLine(page, 24);
    await page.click(`${RUNNER} button[data-profile="2.3"]`);

    await hoverShows(page, /^add_header$/, 'request:add_header(name, value)');
    await hoverShows(page, /^remote_ip$/, 'The client address');
  });

  test('an unsaved edit of a Dovecot script runs at once; saving it says it is a Dovecot script, never live in a generation', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${NEXTCLOUD}"]`);
    await page.locator('.editor-header .editor-path', { hasText: NEXTCLOUD }).waitFor();
    await page.click(`${RUNNER} button[data-profile="2.3"]`);
    await insertLineAfter(page, 23, 'req:log_info("e2e edit")');
    await waitForLine(page, 24, 'req:log_info("e2e edit")');
    assert.equal(await run(), 'ok');
    assert.match(await page.locator('[data-testid=dovecot-trace] .dovecot-log').innerText(), /db-lua: e2e edit/);

    await page.keyboard.press('Control+s');
    await page.locator('.toast', { hasText: 'A Dovecot script: the engine does not serve it' }).waitFor();
    const note = page.locator('.editor-header .live-note');
    await page.locator('.editor-header .live-note[data-live="dovecot"]', { hasText: 'runs in Dovecot' }).waitFor();
    assert.doesNotMatch(await note.innerText(), /Live in generation/);
    assert.match(fs.readFileSync(path.join(workspace, NEXTCLOUD), 'utf8'), /req:log_info\("e2e edit"\)/);
  });
});
