// End-to-end: the studio UI in Debian's Chromium against a real `authstudio studio` process on a temp workspace.
// The steps build on each other (one studio, one page), as a user's session would; each saves a screenshot of the
// view it exercised to docs/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { cursorToLineEnd, deleteLine, hoverShows, insertLineAfter, waitForLine, waitForSquiggles } from './monaco-page';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess, sendSimulation } from './studio-process';

// evaluate() callbacks run in the page (the test tsconfig has no DOM types)
interface PageNode {
  textContent: string | null;
  classList: { contains(c: string): boolean };
  querySelector(s: string): PageNode | null;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(s: string): PageNode | null; querySelectorAll(s: string): ArrayLike<PageNode> };

const missing = browserMissing();
const FILE = 'features/blocklist.lua';
const MARKER = '  nauthilus_builtin.custom_log_add("e2e_marker", "v2")';

describe('studio UI in Chromium', { skip: missing, concurrency: false }, () => {
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

  /** Send the simulator's request as it stands and wait for the trace. */
  async function send(): Promise<string> {
    const page = browser.page;
    return sendSimulation(page);
  }

  test('open a feature script, change it, save it: the next simulated request runs the new version', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${FILE}"]`);
    await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
    await insertLineAfter(page, 7, MARKER);
    await waitForLine(page, 8, MARKER);

    // completion and hover come from the Lua API generated from the engine
    await cursorToLineEnd(page, 8);
    await page.keyboard.press('Enter');
    await page.keyboard.type('  nauthilus_builtin.FEATURE_TR', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'FEATURE_TRIGGER_YES' }).waitFor();
    await page.keyboard.press('Escape');
    await deleteLine(page, 9);
    await cursorToLineEnd(page, 8);
    await page.keyboard.press('Enter');
    await page.keyboard.type('  local n, err = nauthilus_redis.redis_inc', { delay: 10 });
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'redis_incr' }).waitFor();
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-details', { hasText: 'redis_incr(h, key)' }).waitFor();
    await screenshot(page, 'completion');
    await page.keyboard.press('Escape');
    await deleteLine(page, 9);
    await waitForLine(page, 9, 'if request.no_auth or request.client_ip == nil then');
    await hoverShows(page, /^status_message_set$/, 'status_message_set(message)');
    await page.mouse.move(5, 5);

    await page.keyboard.press('Control+s');
    await page.locator('[data-testid=live-version][data-generation="2"][data-healthy="true"]').waitFor();
    await page.locator('.live-note[data-live="yes"]').waitFor();
    assert.match(fs.readFileSync(path.join(workspace, FILE), 'utf8'), /e2e_marker/);

    assert.equal(await send(), 'ok');
    const chip = page.locator('.stage[data-name="blocklist"] .log-chip', { hasText: 'e2e_marker=v2' });
    await chip.waitFor();
    assert.match(await page.locator('[data-testid=trace] .decision').innerText(), /generation 2/);
    await screenshot(page, 'editor-and-simulator');
  });

  test('a syntax error is marked on its line and listed, while requests keep succeeding on the old version', async () => {
    const { page } = browser;
    await insertLineAfter(page, 2, 'local broken = = 1');
    await waitForLine(page, 3, 'local broken = = 1');
    await page.keyboard.press('Control+s');
    await page.locator('[data-testid=live-version][data-healthy="false"]').waitFor();
    const problem = page.locator(`.problem[data-file="${FILE}"]`);
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-line'), '3');
    assert.match(await problem.innerText(), /near '='/);
    await waitForSquiggles(page, [3]);
    await page.locator('.live-note[data-live="no"]').waitFor();
    assert.equal(await page.locator('[data-testid=live-version]').getAttribute('data-generation'), '2');

    // the previous version (with the marker) still answers
    assert.equal(await send(), 'ok');
    await page.locator('.stage[data-name="blocklist"] .log-chip', { hasText: 'e2e_marker=v2' }).waitFor();
    await page.click('.dock-tab[data-tab="problems"]');
    await screenshot(page, 'syntax-error');

    await deleteLine(page, 3);
    await waitForLine(page, 3, '');
    await waitForLine(page, 4, '-- documentation networks stand in for a real blocklist service (see the seed\'s HTTP example)');
    await page.keyboard.press('Control+s');
    await page.locator('[data-testid=live-version][data-generation="3"][data-healthy="true"]').waitFor();
    await waitForSquiggles(page, []);
  });

  test('a new feature script from the template is created, registered in authstudio.yml and runs', async () => {
    const { page } = browser;
    await page.click('.tree-group[data-group="feature"] .tree-group-head button');
    const dialog = page.locator('[data-testid=new-script]');
    await dialog.waitFor();
    assert.equal(await dialog.locator('select[name=kind]').inputValue(), 'feature');
    await dialog.locator('input[name=name]').fill('e2e_new');
    await dialog.locator('button[data-id=create]').click();
    await page.locator('.editor-header .editor-path', { hasText: 'features/e2e_new.lua' }).waitFor();
    await page.locator('.tree-file[data-path="features/e2e_new.lua"]').waitFor();
    await page.locator('[data-testid=live-version][data-healthy="true"]').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=live-version]')?.getAttribute('data-generation')) >= 4);
    const text = fs.readFileSync(path.join(workspace, 'features', 'e2e_new.lua'), 'utf8');
    assert.match(text, /function nauthilus_call_feature\(request\)/);
    assert.match(fs.readFileSync(path.join(workspace, 'authstudio.yml'), 'utf8'), /- name: e2e_new\n\s+script_path: \.\/features\/e2e_new\.lua/);
    assert.equal(await send(), 'ok');
    await page.locator('.stage[data-name="e2e_new"]', { hasText: 'ok' }).waitFor();

    // a runtime error: a temporary failure, and the trace links to the line that raised it
    await insertLineAfter(page, 4, '  error("e2e boom")');
    await page.keyboard.press('Control+s');
    await page.locator('.live-note[data-live="yes"]').waitFor();
    assert.equal(await send(), 'tempfail');
    const error = page.locator('.stage[data-name="e2e_new"] .stage-error');
    assert.match(await error.innerText(), /features\/e2e_new\.lua:5:.*e2e boom/);
    assert.equal((await error.locator('button.link').innerText()).trim(), 'open features/e2e_new.lua:5');
    await cursorToLineEnd(page, 1);
    await error.locator('button.link').click();
    await page.locator('.editor-host .line-numbers.active-line-number', { hasText: /^5$/ }).waitFor();
    await deleteLine(page, 5);
    await waitForLine(page, 5, 'if request.no_auth then');
    await page.keyboard.press('Control+s');
    await page.locator('.live-note[data-live="yes"]').waitFor();
    assert.equal(await send(), 'ok');
  });

  test('the config editor marks an unknown key on its line; the previous configuration keeps serving', async () => {
    const { page } = browser;
    await page.click('.tree-file[data-path="authstudio.yml"]');
    await page.locator('.editor-header .editor-path', { hasText: 'authstudio.yml' }).waitFor();
    await waitForLine(page, 3, 'server:');
    await insertLineAfter(page, 3, 'bogus_key: 1');
    await waitForLine(page, 4, 'bogus_key: 1');
    await page.keyboard.press('Control+s');
    const problem = page.locator('.problem[data-file="authstudio.yml"]');
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-line'), '4');
    assert.match(await problem.innerText(), /bogus_key/);
    await waitForSquiggles(page, [4]);
    await page.click('.dock-tab[data-tab="problems"]');
    await screenshot(page, 'config-editor');
    assert.equal(await send(), 'ok');
    await deleteLine(page, 4);
    await waitForLine(page, 4, 'address: 127.0.0.1:9080');
    await page.keyboard.press('Control+s');
    await page.locator('[data-testid=live-version][data-healthy="true"]').waitFor();
    await waitForSquiggles(page, []);
  });

  test('an attack from the traffic panel is blocked, and its brute-force keys show in the Redis panel', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="traffic"]');
    await page.selectOption('[data-panel=traffic] select[name=profile]', 'attacker-network');
    await page.fill('[data-panel=traffic] input[name=network]', '198.18.7.0/24');
    await page.fill('[data-panel=traffic] input[name=count]', '60');
    // every attempt a new (user, password) pair: a repeated wrong password counts once (as in Nauthilus), so with
    // the default four passwords a repeat in flight before the block would pass as a 16th wrong password
    await page.fill('[data-panel=traffic] input[name=passwords]', Array.from({ length: 60 }, (_, i) => `guess${i}`).join(', '));
    await page.click('[data-panel=traffic] button.primary');
    await page.locator('[data-panel=traffic][data-state="done"]').waitFor({ timeout: 60_000 });
    const figures = await page.locator('[data-panel=traffic] .figures').innerText();
    // the sample's b_1h_ipv4_24 bucket lets 15 distinct wrong passwords through, then blocks the network
    assert.match(figures, /wrong password\s+15\s+blocked \(brute force\)\s+45/, figures);
    assert.equal(await page.locator('[data-panel=traffic] progress').evaluate((p) => (p as unknown as { value: number }).value), 60);
    await screenshot(page, 'traffic');

    await page.click('.dock-tab[data-tab="logs"]');
    await page.locator('.log-line').first().waitFor();
    await screenshot(page, 'logs');

    await page.click('.dock-tab[data-tab="redis"]');
    await page.fill('[data-panel=redis] input[name=pattern]', 'bf:*');
    await page.click('[data-panel=redis] button[type=submit]');
    const counter = page.locator('.key-row[data-key="bf:b_1h_ipv4_24:198.18.7.0/24"]');
    await counter.waitFor();
    await page.locator('.key-row[data-key="bf:blocked"]').waitFor();
    await counter.click();
    await page.locator('.key-value pre').waitFor();
    // the slots in flight never let more than the bucket's failed_requests count
    assert.equal(Number(await page.locator('.key-value pre').innerText()), 15);
    await screenshot(page, 'redis');

    // a Redis that does not answer is reported with what to do, and the engine keeps its store
    await page.fill('[data-panel=redis] input[name=redis-url]', 'redis://127.0.0.1:1/0');
    await page.click('[data-panel=redis] button:text-is("Switch")');
    await page.locator('.toast-error', { hasText: 'Switching Redis' }).waitFor();
    assert.equal(await page.locator('[data-panel=redis]').getAttribute('data-mode'), 'mock');
    await page.locator('.toast-error .toast-close').click();
  });

  test('a change on disk under unsaved edits is noticed, and saving asks before overwriting it', async () => {
    const { page } = browser;
    await page.click(`.tab[data-path="${FILE}"]`);
    await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
    await insertLineAfter(page, 1, '-- edited in the studio');
    await page.locator('.live-note.dirty').waitFor();
    fs.appendFileSync(path.join(workspace, FILE), '-- edited on disk\n');
    await page.locator('.live-note.warn', { hasText: 'Changed on disk' }).waitFor();
    await page.keyboard.press('Control+s');
    const dialog = page.locator('.modal', { hasText: 'The file changed on disk' });
    await dialog.waitFor();
    await dialog.locator('button[data-id=overwrite]').click();
    await page.locator('.live-note[data-live="yes"]').waitFor();
    const text = fs.readFileSync(path.join(workspace, FILE), 'utf8');
    assert.match(text, /-- edited in the studio/);
    assert.doesNotMatch(text, /-- edited on disk/);
  });

  test('export writes the production bundle to the folder given', async () => {
    const { page } = browser;
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'as-e2e-export-')), 'bundle');
    try {
      await page.click('.header-actions button.primary');
      const dialog = page.locator('[data-testid=export-dialog]');
      await dialog.waitFor();
      await dialog.locator('input[name=out]').fill(out);
      await screenshot(page, 'export');
      await dialog.locator('button[data-id=export]').click();
      const report = page.locator('[data-testid=export-report]');
      await report.waitFor();
      assert.match(await report.innerText(), /blocklist\.lua/);
      const config = fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8');
      assert.match(config, /\/etc\/nauthilus\/lua-plugins\.d\/features\/blocklist\.lua/);
      assert.match(fs.readFileSync(path.join(out, 'features', 'blocklist.lua'), 'utf8'), /e2e_marker/);
      await report.locator('button[data-id=ok]').click();
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });

  test('completion follows the profile: a 1.10 workspace is not offered nauthilus_policy; after nauthilus: 3.0 and a reload it is', async () => {
    const { page } = browser;
    /** Type `require("nauthilus_p` on a new line after line 3 of FILE and return the module names offered. */
    const offered = async (expect: string): Promise<string[]> => {
      await page.click(`.tab[data-path="${FILE}"]`);
      await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
      await waitForLine(page, 3, 'local N = "blocklist"');
      await cursorToLineEnd(page, 3);
      await page.keyboard.press('Enter');
      await page.keyboard.type('local p = require("nauthilus_p', { delay: 10 });
      await page.locator('.suggest-widget .monaco-list-row', { hasText: expect }).first().waitFor();
      const rows = await page.locator('.suggest-widget .monaco-list-row .label-name').allInnerTexts();
      return rows.map((r) => r.trim());
    };
    // the sample workspace has the 1.x layout and no `nauthilus:` key: profile 1.10
    await page.locator('[data-sb=profile]', { hasText: 'Nauthilus 1.10' }).waitFor();
    const under110 = await offered('nauthilus_password');
    assert.ok(!under110.includes('nauthilus_policy'), `1.10 offers: ${under110.join(', ')}`);
    await page.keyboard.press('Escape');
    await deleteLine(page, 4);
    await waitForLine(page, 4, '');

    await page.click('.tree-file[data-path="authstudio.yml"]');
    await page.locator('.editor-header .editor-path', { hasText: 'authstudio.yml' }).waitFor();
    await insertLineAfter(page, 2, 'nauthilus: 3.0');
    await waitForLine(page, 3, 'nauthilus: 3.0');
    await page.keyboard.press('Control+s');
    await page.locator('[data-sb=profile]', { hasText: 'Nauthilus 3.0 (set)' }).waitFor();

    const under30 = await offered('nauthilus_policy');
    assert.ok(under30.includes('nauthilus_policy'), `3.0 offers: ${under30.join(', ')}`);
    // the details of the item name the versions that have it
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'nauthilus_policy' }).first().click();
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-details', { hasText: 'Nauthilus 3.0, 3.1' }).waitFor();
    await page.keyboard.press('Escape');
    await deleteLine(page, 4);
    await waitForLine(page, 4, '');
  });

  test('the page raised no errors', () => {
    assert.deepEqual(browser.errors, []);
  });
});

