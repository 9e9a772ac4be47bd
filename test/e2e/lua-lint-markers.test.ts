// End-to-end: the Lua checker runs as you type in the studio (Chromium against a real `authstudio studio` process):
// a misspelt module global gets a marker on its line and a Problems entry before the file is saved; a Dovecot script is
// checked against Dovecot's API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, type Browser } from './browser';
import { insertLineAfter, waitForLine, waitForSquiggles } from './monaco-page';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

const FILE = 'features/blocklist.lua';
const TYPO = '  nauthilus_bultin.custom_log_add("lint", "e2e")';

describe('Lua checker as you type, in Chromium', { skip: browserMissing(), concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    // the workspace ships its own module of a built-in module's name on its package_path (as Nauthilus 1.12.5 ships
    // share/nauthilus_util.lua); no sample script requires nauthilus_misc
    fs.mkdirSync(path.join(workspace, 'share'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'share', 'nauthilus_misc.lua'), 'local util = {}\nfunction util.own_helper() return "site" end\nreturn util\n');
    const config = path.join(workspace, 'authstudio.yml');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/^  config:\n/m, '  config:\n    package_path: ./share/?.lua\n'));
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  test('type nauthilus_bultin in a feature script: a marker appears on that line before saving, and Problems lists it', async () => {
    const { page } = browser;
    await page.click(`.tree-file[data-path="${FILE}"]`);
    await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
    await waitForSquiggles(page, []);
    await insertLineAfter(page, 7, TYPO);
    await waitForLine(page, 8, TYPO);
    await waitForSquiggles(page, [8]);

    await page.click('.dock-tab[data-tab="problems"]');
    const entry = page.locator(`.problem.error[data-file="${FILE}"][data-line="8"]`);
    await entry.waitFor();
    assert.match(await entry.innerText(), /undefined global 'nauthilus_bultin' \(did you mean 'nauthilus_builtin'\?\)/);
    // nothing was saved: the file on disk does not have the line
    assert.doesNotMatch(fs.readFileSync(path.join(workspace, FILE), 'utf8'), /nauthilus_bultin/);
  });

  test('a Dovecot script is checked against Dovecot\'s API: dovecot.i_infoo is marked and listed', async () => {
    const { page } = browser;
    const file = 'dovecot/authstudio.lua';
    const line = 'dovecot.i_infoo("lint")';
    await page.click(`.tree-group[data-group=dovecot] .tree-file[data-path="${file}"]`);
    await page.locator('.editor-header .editor-path', { hasText: file }).waitFor();
    await waitForSquiggles(page, []);
    await insertLineAfter(page, 25, line);
    await waitForLine(page, 26, line);
    await waitForSquiggles(page, [26]);
    await page.click('.dock-tab[data-tab="problems"]');
    const entry = page.locator(`.problem.error[data-file="${file}"][data-line="26"]`);
    await entry.waitFor();
    assert.match(await entry.innerText(), /dovecot has no field 'i_infoo' \(did you mean 'dovecot\.i_info'\?\)/);
  });

  test('a module the workspace ships on its package_path is checked against its own fields (as Nauthilus 1.12.5 loads share/nauthilus_util.lua), not the built-in one\'s', async () => {
    const { page } = browser;
    const file = 'filters/protocol_policy.lua';
    await page.click(`.tree-file[data-path="${file}"]`);
    await page.locator('.editor-header .editor-path', { hasText: file }).waitFor();
    await waitForSquiggles(page, []);
    const own = 'local own = require("nauthilus_misc").own_helper()';
    const missing = 'local none = require("nauthilus_misc").own_helpr()';
    await insertLineAfter(page, 1, own);
    await waitForLine(page, 2, own);
    await insertLineAfter(page, 2, missing);
    await waitForLine(page, 3, missing);
    // own_helper is not in the built-in module: only the workspace's file, once resolved, clears line 2
    await waitForSquiggles(page, [3]);
    await page.click('.dock-tab[data-tab="problems"]');
    const entry = page.locator(`.problem.error[data-file="${file}"][data-line="3"]`);
    await entry.waitFor();
    assert.match(await entry.innerText(), /nauthilus_misc \(the workspace's own module\) has no field 'own_helpr' \(did you mean 'nauthilus_misc\.own_helper'\?\)/);
  });
});
