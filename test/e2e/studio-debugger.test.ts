// End-to-end: the debugger in the studio (Chromium against a real `authstudio studio`): a breakpoint set by clicking
// the editor's gutter pauses a simulated login on that line, with the request's fields in Variables; step, continue,
// and the decision shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, screenshot, type Browser } from './browser';
import { closeStudio, ensureRendererBuilt, openStudioPage, startStudioProcess, type StudioProcess } from './studio-process';
import { BACKEND, DOVECOT, LINES, debugWorkspace } from '../helpers/debug-workspace';

const missing = browserMissing();
const STATUS = '.debug-status';
// made at the top level: the helper removes it after this file (inside before() its cleanup would run too early)
const workspace = debugWorkspace();

describe('the debugger in the studio (Chromium)', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;

  before(async () => {
    ensureRendererBuilt();
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  /** Click the glyph margin (left of the line numbers) of line `n` of the open editor. */
  async function clickGutter(n: number): Promise<void> {
    const { page } = browser;
    const number = page.locator('.editor-host .margin-view-overlays .line-numbers', { hasText: new RegExp(`^\\s*${n}\\s*$`) });
    const box = await number.boundingBox();
    const margin = await page.locator('.editor-host .margin').boundingBox();
    assert.ok(box && margin, `line ${n} is not shown`);
    await page.mouse.click(margin.x + 8, box.y + box.height / 2);
  }

  test('gutter breakpoint -> Debug -> paused on that line with the request in Variables -> step over -> continue -> decision', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${BACKEND}"]`);
    await page.locator('.editor-header .editor-path', { hasText: BACKEND }).waitFor();
    await clickGutter(LINES.backendCall);
    await page.locator('.editor-host .bp-glyph').waitFor();

    await page.fill('.simulator input[name=username]', 'carol');
    await page.fill('.simulator input[name=password]', 'open-sesame');
    await page.click('[data-tab=debug]');
    await page.click('[data-debug=Debug]');

    await page.locator(`${STATUS}[data-debug-status=paused]`).waitFor();
    assert.match(await page.locator(STATUS).innerText(), new RegExp(`${BACKEND}:${LINES.backendCall}$`));
    await page.locator('.editor-host .debug-current-line').waitFor();
    assert.match(await page.locator('.debug-stack .debug-frame').first().innerText(), /nauthilus_backend_verify_password/);
    // the Request scope is open: the login's fields as the script sees them
    const username = page.locator('.debug-vars [data-var=username]');
    await username.waitFor();
    assert.match(await username.innerText(), /"carol"/);
    assert.match(await page.locator('.debug-vars [data-var=known]').innerText(), /true/);

    // a watch evaluated in the paused frame
    await page.fill('.debug-panel input[name=watch]', 'request.username .. "!"');
    await page.press('.debug-panel input[name=watch]', 'Enter');
    await page.locator('.debug-watch .var-value', { hasText: '"carol!"' }).waitFor();
    await screenshot(page, 'studio-debugger');

    await page.click('[data-debug="Step over"]');
    await page.locator(STATUS, { hasText: `${BACKEND}:${LINES.backendAfterCall}` }).waitFor();
    assert.match(await page.locator('.debug-vars [data-var=matches]').innerText(), /true/);

    await page.click('[data-debug=Continue]');
    await page.locator(`${STATUS}[data-debug-status=ended]`).waitFor();
    assert.equal(await page.locator(STATUS).getAttribute('data-decision'), 'ok');
    assert.match(await page.locator(STATUS).innerText(), /Finished: ok/);
    assert.equal(await page.locator('.editor-host .debug-current-line').count(), 0, 'no line is highlighted once the login ended');
  });

  test('a Dovecot script: gutter breakpoint -> Debug runs the runner\'s request in the harness, paused with req in reach -> continue -> verdict', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${DOVECOT}"]`);
    await page.locator('.editor-header .editor-path', { hasText: DOVECOT }).waitFor();
    await clickGutter(2);
    await page.locator('.editor-host .bp-glyph').waitFor();
    await page.fill('[data-testid=dovecot-runner] input[name=user]', 'erin');
    await page.fill('[data-testid=dovecot-runner] input[name=password]', 'secret-erin');
    await page.click('[data-tab=debug]');
    await page.click('[data-debug=Debug]');
    await page.locator(`${STATUS}[data-debug-status=paused]`).waitFor();
    assert.match(await page.locator(STATUS).innerText(), new RegExp(`${DOVECOT}:2$`));
    assert.match(await page.locator('.debug-stack .debug-frame').first().innerText(), /auth_passdb_lookup/);
    await page.fill('.debug-panel input[name=watch]', 'req.user');
    await page.press('.debug-panel input[name=watch]', 'Enter');
    await page.locator('.debug-watch .var-value', { hasText: '"erin"' }).waitFor();
    await page.click('[data-debug=Continue]');
    await page.locator(`${STATUS}[data-debug-status=ended]`).waitFor();
    assert.match(await page.locator(STATUS).innerText(), /Finished: PASSDB_RESULT_OK/);
  });
});
