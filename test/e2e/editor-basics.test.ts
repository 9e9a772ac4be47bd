// End-to-end: the editor basics in Chromium against a real studio process: the resizable layout, quick open, search
// in the workspace, the command palette, go to definition, rename in the tree, format, and the config's schema help.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, type Browser } from './browser';
import { cursorToLineEnd, hoverShows, insertLineAfter, waitForLine } from './monaco-page';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

// evaluate() callbacks run in the page (the test tsconfig has no DOM types)
interface PageElement {
  textContent: string | null;
  parentElement: PageElement | null;
  style: { top: string };
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement> };

const missing = browserMissing();

const MYLIB = ['local M = {}', '', 'function M.greet(name)', '  return "hello " .. name', 'end', '', 'return M', ''].join('\n');
const CALLER = ['local mylib = require("mylib")', '', 'local function helper()', '  return 1', 'end', '', 'return { run = function() return mylib.greet("x") .. helper() end }', ''].join('\n');
const MESSY_YAML = ['a:     1', 'list:', '    -    x', '    -    y', 'b:   {c: 1,    d: 2}', ''].join('\n');
const MESSY_LUA = ['local   x=1', 'if x==1 then', 'return   x', 'end', ''].join('\n');

/** The sample workspace with a module on lua.config.package_path, a script requiring it, and two messy files. */
function workspaceWithModule(): string {
  const dir = tempWorkspace();
  const cfg = path.join(dir, 'authstudio.yml');
  // package_path for go to definition (the sample's own brute_force_protocols keep Check free of warnings)
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8')
    .replace('    number_of_workers: 2', '    number_of_workers: 2\n    package_path: ./lualib/?.lua'));
  fs.mkdirSync(path.join(dir, 'lualib'));
  fs.writeFileSync(path.join(dir, 'lualib', 'mylib.lua'), MYLIB);
  fs.writeFileSync(path.join(dir, 'lualib', 'caller.lua'), CALLER);
  fs.writeFileSync(path.join(dir, 'messy.yml'), MESSY_YAML);
  fs.writeFileSync(path.join(dir, 'lualib', 'messy.lua'), MESSY_LUA);
  return dir;
}

/** In the page: the line number the cursor is on (Monaco marks it in the gutter). */
function cursorLine(): number {
  for (const e of document.querySelectorAll('.editor-host .line-numbers.active-line-number')) return Number(e.textContent?.trim());
  return 0;
}

/** In the page: the lines with an error or warning squiggle. */
function squiggleLines(): number[] {
  const lineAt = new Map<string, number>();
  for (const e of document.querySelectorAll('.editor-host .margin-view-overlays .line-numbers')) {
    if (e.parentElement) lineAt.set(e.parentElement.style.top, Number(e.textContent?.trim()));
  }
  const out = new Set<number>();
  for (const sq of document.querySelectorAll('.editor-host .view-overlays .squiggly-error, .editor-host .view-overlays .squiggly-warning')) {
    const n = sq.parentElement ? lineAt.get(sq.parentElement.style.top) : undefined;
    if (n !== undefined) out.add(n);
  }
  return [...out];
}

describe('editor basics in Chromium', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = workspaceWithModule();
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  async function editorSize(): Promise<{ width: number; height: number }> {
    const box = await browser.page.locator('.editor-host').boundingBox();
    assert.ok(box, 'the editor is shown');
    return { width: Math.round(box.width), height: Math.round(box.height) };
  }

  async function openByQuickOpen(query: string, file: string): Promise<void> {
    const { page } = browser;
    await page.keyboard.press('Control+p');
    await page.locator('[data-testid=quick-open] input').fill(query);
    await page.locator('[data-testid=quick-open] .qp-item.selected', { hasText: file }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.editor-header .editor-path', { hasText: file }).waitFor();
  }

  async function waitForCursorLine(n: number): Promise<void> {
    await browser.page.waitForFunction((want) => {
      for (const e of document.querySelectorAll('.editor-host .line-numbers.active-line-number')) return Number(e.textContent?.trim()) === want;
      return false;
    }, n);
  }

  test('drag the splitter: the editor grows; collapse the bottom panel (at 1024×700 the editor has room)', async (t) => {
    const { page } = browser;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.click('.tree-file[data-path="features/blocklist.lua"]');
    await page.locator('.editor-header .editor-path', { hasText: 'features/blocklist.lua' }).waitFor();
    const initial = await editorSize();
    t.diagnostic(`editor at 1024x700 by default: ${initial.width}x${initial.height} px`);
    assert.ok(initial.width >= 480 && initial.height >= 360, `the editor is ${initial.width}x${initial.height} px at 1024x700`);

    // drag the splitter between editor and dock 120 px down
    const bar = await page.locator('.splitter-dock').boundingBox();
    assert.ok(bar);
    await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
    await page.mouse.down();
    await page.mouse.move(bar.x + bar.width / 2, bar.y + 60, { steps: 4 });
    await page.mouse.move(bar.x + bar.width / 2, bar.y + 120, { steps: 4 });
    await page.mouse.up();
    const dragged = await editorSize();
    assert.ok(dragged.height >= initial.height + 100, `the editor grew from ${initial.height} to ${dragged.height} px`);

    // and the right splitter 40 px to the right: the editor gets wider
    const side = await page.locator('.splitter-right').boundingBox();
    assert.ok(side);
    await page.mouse.move(side.x + side.width / 2, side.y + 200);
    await page.mouse.down();
    await page.mouse.move(side.x + side.width / 2 + 40, side.y + 200, { steps: 5 });
    await page.mouse.up();
    const wider = await editorSize();
    assert.ok(wider.width >= dragged.width + 35, `the editor widened from ${dragged.width} to ${wider.width} px`);

    // collapse the bottom panel: only its tabs stay, the editor takes the room
    await page.click('.dock-collapse');
    await page.locator('.dock-body').waitFor({ state: 'hidden' });
    const collapsed = await editorSize();
    assert.ok(collapsed.height > wider.height + 40, `the editor grew from ${wider.height} to ${collapsed.height} px`);
    t.diagnostic(`after dragging and collapsing: ${collapsed.width}x${collapsed.height} px`);

    // the layout survives a reload of the page
    await page.reload();
    await page.locator('[data-testid=live-version]').waitFor();
    await page.click('.tree-file[data-path="features/blocklist.lua"]');
    await page.locator('.dock-body').waitFor({ state: 'hidden' });
    assert.deepEqual(await editorSize(), collapsed);

    // a tab of the collapsed dock expands it again
    await page.click('.dock-tab[data-tab="problems"]');
    await page.locator('.dock-body').waitFor({ state: 'visible' });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  test('Ctrl+P, type part of a name, Enter: the file opens', async () => {
    await openByQuickOpen('rembl', 'actions/remember_block.lua');
  });

  test('Ctrl+Shift+F finds a string in the workspace; clicking the result opens the file at its line', async () => {
    const { page } = browser;
    await page.keyboard.press('Control+Shift+F');
    await page.locator('[data-testid=workspace-search] input').fill('is required');
    const hit = page.locator('[data-testid=workspace-search] .qp-item', { hasText: 'hooks/login_history.lua:11' });
    await hit.click();
    await page.locator('.editor-header .editor-path', { hasText: 'hooks/login_history.lua' }).waitFor();
    await waitForCursorLine(11);
    assert.equal(await page.evaluate(cursorLine), 11);
  });

  test('the command palette runs Check', async () => {
    const { page } = browser;
    await page.keyboard.press('Control+Shift+P');
    await page.locator('[data-testid=command-palette] input').fill('check');
    await page.locator('[data-testid=command-palette] .qp-item.selected', { hasText: 'Check the workspace' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.toast', { hasText: 'Check passed' }).waitFor();
    assert.equal(await page.locator('.dock-tab.active').getAttribute('data-tab'), 'problems');
  });

  test('F12 on require(...) opens the module from package_path; F12 on a module function jumps to its definition', async () => {
    const { page } = browser;
    await openByQuickOpen('caller', 'lualib/caller.lua');
    await cursorToLineEnd(page, 1);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('F12');
    await page.locator('.editor-header .editor-path', { hasText: 'lualib/mylib.lua' }).waitFor();

    // back in the caller: `mylib.greet(` on line 7 leads to `function M.greet` on line 3 of the module
    await page.click('.tab[data-path="lualib/caller.lua"]');
    await page.locator('.editor-header .editor-path', { hasText: 'lualib/caller.lua' }).waitFor();
    await page.locator('.editor-host .view-line span', { hasText: /^greet$/ }).first().click();
    await page.keyboard.press('F12');
    await page.locator('.editor-header .editor-path', { hasText: 'lualib/mylib.lua' }).waitFor();
    await waitForCursorLine(3);

    // and a local function of the same file
    await page.click('.tab[data-path="lualib/caller.lua"]');
    await page.locator('.editor-header .editor-path', { hasText: 'lualib/caller.lua' }).waitFor();
    await cursorToLineEnd(page, 7);
    await page.keyboard.press('Home');
    for (let i = 0; i < 'return { run = function() return mylib.greet("x") .. he'.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('F12');
    await waitForCursorLine(3);
    assert.equal(await page.locator('.editor-header .editor-path').innerText(), 'lualib/caller.lua');
  });

  test('rename a file in the tree: its tab follows', async () => {
    const { page } = browser;
    await page.locator('.tab[data-path="lualib/caller.lua"]').waitFor();
    await page.locator('.tree-file[data-path="lualib/caller.lua"]').focus();
    await page.keyboard.press('F2');
    const input = page.locator('[data-testid=rename-dialog] input[name=new-path]');
    await input.fill('lualib/caller_renamed.lua');
    await input.press('Enter');
    await page.locator('.tab[data-path="lualib/caller_renamed.lua"]').waitFor();
    assert.equal(await page.locator('.tab[data-path="lualib/caller.lua"]').count(), 0);
    await page.locator('.tree-file[data-path="lualib/caller_renamed.lua"]').waitFor();
    assert.ok(fs.existsSync(path.join(workspace, 'lualib', 'caller_renamed.lua')));
    assert.ok(!fs.existsSync(path.join(workspace, 'lualib', 'caller.lua')));

    // delete asks first, then the file and its tab are gone
    await page.locator('.tree-file[data-path="lualib/caller_renamed.lua"]').focus();
    await page.keyboard.press('Delete');
    await page.click('[data-testid=delete-dialog] button[data-id=delete]');
    await page.locator('.tab[data-path="lualib/caller_renamed.lua"]').waitFor({ state: 'detached' });
    assert.ok(!fs.existsSync(path.join(workspace, 'lualib', 'caller_renamed.lua')));
  });

  test('format a messy YAML file (and a messy Lua one)', async () => {
    const { page } = browser;
    await openByQuickOpen('messy.yml', 'messy.yml');
    await page.keyboard.press('Control+Shift+P');
    await page.locator('[data-testid=command-palette] input').fill('format');
    await page.locator('[data-testid=command-palette] .qp-item.selected', { hasText: 'Format the file' }).waitFor();
    await page.keyboard.press('Enter');
    await waitForLine(page, 1, 'a: 1');
    await waitForLine(page, 3, '- x');
    await waitForLine(page, 5, 'b: { c: 1, d: 2 }');

    await openByQuickOpen('messy.lua', 'lualib/messy.lua');
    await page.keyboard.press('Control+Shift+P');
    await page.locator('[data-testid=command-palette] input').fill('format');
    await page.locator('[data-testid=command-palette] .qp-item.selected', { hasText: 'Format the file' }).waitFor();
    await page.keyboard.press('Enter');
    await waitForLine(page, 1, 'local x = 1');
    await waitForLine(page, 2, 'if x == 1 then');
    await waitForLine(page, 3, 'return x');
  });

  test('in the config, a key prefix completes to the schema\'s keys; hover shows the description; an unknown key is marked', async () => {
    const { page } = browser;
    await page.click('.tree-file[data-path="authstudio.yml"]');
    await page.locator('.editor-header .editor-path', { hasText: 'authstudio.yml' }).waitFor();
    await waitForLine(page, 3, 'server:');

    // `insights` is nowhere in the file: only the schema can offer it
    await insertLineAfter(page, 3, 'insi');
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'insights' }).waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+z');

    await hoverShows(page, /^lua_script_timeout$/, 'a duration like');

    await insertLineAfter(page, 3, 'bogus_key: 1');
    await waitForLine(page, 4, 'bogus_key: 1');
    await page.waitForFunction(() => {
      const lineAt = new Map<string, number>();
      for (const e of document.querySelectorAll('.editor-host .margin-view-overlays .line-numbers')) {
        if (e.parentElement) lineAt.set(e.parentElement.style.top, Number(e.textContent?.trim()));
      }
      for (const sq of document.querySelectorAll('.editor-host .view-overlays .squiggly-error, .editor-host .view-overlays .squiggly-warning')) {
        if (sq.parentElement && lineAt.get(sq.parentElement.style.top) === 4) return true;
      }
      return false;
    });
    assert.deepEqual(await page.evaluate(squiggleLines), [4], 'only the unknown key is marked');
    await hoverShows(page, /bogus_key/, 'bogus_key');
  });

  test('the page raised no errors', () => {
    assert.deepEqual(browser.errors, []);
  });
});
