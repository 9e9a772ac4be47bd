// End-to-end: script runtime errors, print() output and Redis rows as the studio shows them, in Debian's Chromium
// against a real `authstudio studio` process on its own temp workspace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
const FILE = 'features/e2e_runtime.lua';
/** The line of `string.sub` and the line of the call that hands it nil. */
const SUB_LINE = 6;
const CALL_LINE = 16;
const SCRIPT = [
  '-- e2e: a runtime error, print() output and Redis rows',
  'dynamic_loader("nauthilus_redis")',
  'local nauthilus_redis = require("nauthilus_redis")',
  '',
  'local function short(name)',
  '  local s = string.sub(name, 1, 3)',
  '  return s',
  'end',
  '',
  'function nauthilus_call_feature(request)',
  '  print("e2e print from", request.username)',
  '  nauthilus_redis.redis_hset("default", "e2e:seen", "user", request.username)',
  '  local who = nauthilus_redis.redis_hget("default", "e2e:seen", "user")',
  '  print("e2e read back", who)',
  '  if request.username == "cut-nil" then',
  '    local s = short(request.nothing)',
  '    return false, false, 0',
  '  end',
  '  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK',
  'end',
  '',
].join('\n');

describe('runtime errors, print() and Redis rows in the studio (Chromium)', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    fs.writeFileSync(path.join(workspace, FILE), SCRIPT);
    const config = path.join(workspace, 'authstudio.yml');
    const text = fs.readFileSync(config, 'utf8');
    fs.writeFileSync(config, text.replace('  features:\n', `  features:\n    - name: e2e_runtime\n      script_path: ./${FILE}\n`));
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  /** Send the simulator's request for `username` and wait for the trace; the decision. */
  async function send(username: string): Promise<string> {
    const page = browser.page;
    await page.fill('.sim-form input[name=username]', username);
    return sendSimulation(page);
  }

  test('a script passes nil to string.sub: simulate → Problems lists it with a traceback, the editor marks the line, clicking file:line opens it', async () => {
    const { page } = browser;
    assert.equal(await send('cut-nil'), 'tempfail');
    // the trace: the error and its traceback, each place a link
    const stage = page.locator('.stage[data-name="e2e_runtime"]');
    await stage.locator('.stage-error', { hasText: "bad argument #1 to 'sub'" }).waitFor();
    const frames = stage.locator('details.traceback a.file-link');
    assert.deepEqual(await frames.allInnerTexts(), [`${FILE}:${SUB_LINE}`, `${FILE}:${CALL_LINE}`]);

    // Problems lists it (the header says the live version has a runtime error)
    await page.locator('[data-testid=live-version][data-runtime-errors="1"]', { hasText: '1 runtime error' }).waitFor();
    await page.click('.dock-tab[data-tab="problems"]');
    const problem = page.locator(`[data-testid=runtime-problems] .problem.runtime[data-file="${FILE}"]`);
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-line'), String(SUB_LINE));
    assert.match(await problem.innerText(), /bad argument #1 to 'sub' \(string expected, got nil\)/);
    assert.match(await problem.innerText(), /1× · last/);
    await problem.locator('details.traceback summary').click();
    assert.deepEqual(await problem.locator('ol.frames a.file-link').allInnerTexts(), [`${FILE}:${SUB_LINE}`, `${FILE}:${CALL_LINE}`]);

    // a second failing request counts on the same entry
    assert.equal(await send('cut-nil'), 'tempfail');
    await problem.locator('.problem-count', { hasText: '2×' }).waitFor();

    // clicking file:line opens the file at that line; the line carries the runtime-error mark
    await problem.locator('ol.frames a.file-link', { hasText: `${FILE}:${CALL_LINE}` }).click();
    await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
    await page.locator('.editor-host .line-numbers.active-line-number', { hasText: new RegExp(`^${CALL_LINE}$`) }).waitFor();
    await page.locator('.editor-header .live-note[data-live="runtime-error"]', { hasText: `at line ${SUB_LINE}` }).waitFor();
    await problem.locator('.problem-row a.file-link').click();
    await page.locator('.editor-host .line-numbers.active-line-number', { hasText: new RegExp(`^${SUB_LINE}$`) }).waitFor();
    await page.locator('.editor-host .runtime-error-line').first().waitFor();
    const marked = await page.evaluate(() => {
      const line = document.querySelector('.editor-host .runtime-error-glyph');
      return line !== null;
    });
    assert.ok(marked, 'the gutter shows the runtime-error mark');
    await screenshot(page, 'runtime-error');

    // a request that runs the feature cleanly clears it
    assert.equal(await send('alice'), 'ok');
    await page.locator('[data-testid=live-version][data-runtime-errors="0"]').waitFor();
    await page.locator('[data-testid=runtime-problems]').waitFor({ state: 'detached' });
  });

  test('print() output shows under its stage', async () => {
    const { page } = browser;
    assert.equal(await send('alice'), 'ok');
    const out = page.locator('.stage[data-name="e2e_runtime"] [data-testid=stage-print]');
    await out.waitFor();
    assert.equal((await out.locator('pre').innerText()).trim(), 'e2e print from\talice\ne2e read back\talice');
    assert.equal(await page.locator('.stage[data-name="blocklist"] [data-testid=stage-print]').count(), 0, 'only the stage that printed shows output');
  });

  test('a Redis row shows its arguments and reply', async () => {
    const { page } = browser;
    assert.equal(await send('alice'), 'ok');
    const rows = page.locator('[data-testid=trace] tr.ev.redis', { hasText: 'e2e:seen' });
    await rows.first().waitFor();
    const texts = await rows.allInnerTexts();
    const hset = texts.find((t) => t.includes('HSET'));
    const hget = texts.find((t) => t.includes('HGET'));
    assert.match(hset ?? '', /HSET e2e:seen user alice → 0/);
    assert.match(hget ?? '', /HGET e2e:seen user → "alice"/);
    await screenshot(page, 'trace-print-redis');
  });
});
