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

  /** Click the glyph margin (left of the line numbers) of line `n` of the open editor (Shift held, or the right button). */
  async function clickGutter(n: number, how: 'plain' | 'shift' | 'right' = 'plain'): Promise<void> {
    const { page } = browser;
    const number = page.locator('.editor-host .margin-view-overlays .line-numbers', { hasText: new RegExp(`^\\s*${n}\\s*$`) });
    const box = await number.boundingBox();
    const margin = await page.locator('.editor-host .margin').boundingBox();
    assert.ok(box && margin, `line ${n} is not shown`);
    if (how === 'shift') await page.keyboard.down('Shift');
    await page.mouse.click(margin.x + 8, box.y + box.height / 2, { button: how === 'right' ? 'right' : 'left' });
    if (how === 'shift') await page.keyboard.up('Shift');
  }

  /** Press Debug: the status reads running from the click on; resolves once the login ended or paused. */
  async function debugRun(): Promise<string> {
    const { page } = browser;
    await page.click('[data-debug=Debug]');
    await page.locator(`${STATUS}[data-debug-status=ended], ${STATUS}[data-debug-status=paused]`).waitFor();
    return (await page.locator(STATUS).getAttribute('data-debug-status')) ?? '';
  }

  const glyphs = () => browser.page.locator('.editor-host .bp-glyph').count();
  const DIALOG = '[data-testid=breakpoint-dialog]';

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

  test('Shift+click the gutter, set a hit count of 3: the third login pauses (the first two finish); the glyph\'s hover says so', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${BACKEND}"]`);
    await page.locator('.editor-header .editor-path', { hasText: BACKEND }).waitFor();
    await page.locator('.editor-host .bp-glyph').waitFor(); // the first test's breakpoint on the call
    await clickGutter(LINES.backendCall); // a plain click clears it
    await page.locator('.editor-host .bp-glyph').first().waitFor({ state: 'detached' });

    await clickGutter(LINES.backendFirst, 'shift');
    await page.locator(DIALOG).waitFor();
    assert.equal(await glyphs(), 0, 'a Shift+click sets nothing by itself');
    await page.fill(`${DIALOG} input[name=hit_condition]`, 'thrice');
    assert.match(await page.locator('[data-testid=breakpoint-error]').innerText(), /"thrice" is not understood: use N or >= N/);
    await page.fill(`${DIALOG} input[name=hit_condition]`, '3');
    assert.equal(await page.locator('[data-testid=breakpoint-error]').innerText(), '');
    await page.click(`${DIALOG} button[data-id=save]`);
    await page.locator(DIALOG).waitFor({ state: 'detached' });
    const glyph = page.locator('.editor-host .bp-glyph.conditional');
    await glyph.waitFor();
    await glyph.hover();
    await page.locator('.monaco-hover', { hasText: 'pauses on hit count 3' }).waitFor();

    await page.fill('.simulator input[name=username]', 'carol');
    await page.fill('.simulator input[name=password]', 'open-sesame');
    await page.click('[data-tab=debug]');
    assert.equal(await debugRun(), 'ended', 'the first login does not pause');
    assert.match(await page.locator(STATUS).innerText(), /Finished: ok/);
    assert.equal(await debugRun(), 'ended', 'the second login does not pause');
    assert.equal(await debugRun(), 'paused', 'the third login pauses');
    assert.match(await page.locator(STATUS).innerText(), new RegExp(`Paused \\(breakpoint\\) at ${BACKEND}:${LINES.backendFirst}$`));
    await page.click('[data-debug=Continue]');
    await page.locator(`${STATUS}[data-debug-status=ended]`).waitFor();
    assert.equal(await page.locator(STATUS).getAttribute('data-decision'), 'ok');
  });

  test('a log point (right-click the gutter) prints its message in the Debug output without pausing; a bad {expr} is refused in the dialog', async () => {
    const { page } = browser;
    await clickGutter(LINES.backendFirst); // clear the hit-count breakpoint
    await page.locator('.editor-host .bp-glyph').first().waitFor({ state: 'detached' });
    await clickGutter(LINES.backendAfterCall, 'right');
    await page.locator(DIALOG).waitFor();
    await page.fill(`${DIALOG} input[name=log_message]`, 'user {request.username +} ok');
    await page.click(`${DIALOG} button[data-id=save]`);
    await page.locator('[data-testid=breakpoint-error]', { hasText: 'log message part {request.username +} is not a Lua expression' }).waitFor();
    assert.equal(await page.locator(DIALOG).count(), 1, 'the dialog stays open with what was typed');
    await page.fill(`${DIALOG} input[name=log_message]`, 'user {request.username} matches={matches}');
    await page.press(`${DIALOG} input[name=log_message]`, 'Enter');
    await page.locator(DIALOG).waitFor({ state: 'detached' });
    await page.locator('.editor-host .bp-glyph.log').waitFor();
    assert.equal(await glyphs(), 1);

    assert.equal(await debugRun(), 'ended', 'a log point does not pause');
    assert.match(await page.locator(STATUS).innerText(), /Finished: ok/);
    assert.equal((await page.locator('.debug-output').innerText()).trim(), `${BACKEND}:${LINES.backendAfterCall}  user carol matches=true`);
  });
});
