// End-to-end in Chromium: a studio started with --record keeps its logins; editing a filter to refuse a user and
// saving first shows how many recorded logins would now be refused (with both traces); cancel keeps the live version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { insertLineAfter, waitForLine } from './monaco-page';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

const missing = browserMissing();
const FILE = 'filters/protocol_policy.lua';
const REFUSE_ALICE = 'if request.account == "alice@example.com" then return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK end';

describe('what-if before a save in Chromium', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;
  const keyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'as-e2e-key-'));

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    studio = await startStudioProcess(workspace, ['--record', '--record-passwords'], { AUTHSTUDIO_CONFIG_DIR: keyHome });
    browser = await openStudioPage(studio);
  });

  after(async () => {
    await closeStudio(browser, studio, workspace);
    fs.rmSync(keyHome, { recursive: true, force: true });
  });

  const login = async (username: string, password: string, protocol: string, clientIp: string) => (await fetch(`${studio.url}/api/v1/auth/json`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, protocol, client_ip: clientIp }),
  })).status;

  test('edit a filter to refuse a user, save: the studio warns that 3 recorded logins would now be refused', async () => {
    assert.equal(await login('alice', 'alice-secret', 'imap', '198.51.100.7'), 200);
    assert.equal(await login('alice', 'alice-secret', 'smtp', '198.51.100.7'), 200);
    assert.equal(await login('alice', 'alice-secret', 'imap', '198.51.100.20'), 200);
    assert.equal(await login('bob', 'bob-secret', 'imap', '198.51.100.8'), 200);
    assert.equal(await login('bob', 'wrong-pw-123', 'imap', '198.51.100.8'), 403);

    const { page } = browser;
    // the status bar says the studio records, and how much (the count is re-read when the pointer is on it)
    await page.hover('[data-sb=recording][data-recording=on]');
    await page.locator('[data-sb=recording][data-recording=on]', { hasText: 'recording · 5' }).waitFor();
    await page.click(`.tree-file[data-path="${FILE}"]`);
    await page.locator('.editor-header .editor-path', { hasText: FILE }).waitFor();
    await insertLineAfter(page, 10, REFUSE_ALICE);
    await waitForLine(page, 11, REFUSE_ALICE);
    const original = fs.readFileSync(path.join(workspace, FILE), 'utf8');

    await page.keyboard.press('Control+s');
    const dialog = page.locator('[data-testid=what-if]');
    await dialog.waitFor();
    assert.equal(await dialog.locator('[data-testid=what-if-summary]').innerText(), 'Of 5 recorded requests, this change refuses 3 logins that succeed today.');
    assert.equal(await dialog.locator('[data-testid=what-if-change]').count(), 3);
    const first = dialog.locator('[data-testid=what-if-change]').first();
    assert.match(await first.locator('summary').innerText(), /^alice · imap · 198\.51\.100\.7: ok → fail$/);
    await first.locator('summary').click();
    assert.match(await first.locator('.what-if-side').nth(0).innerText(), /Live: ok[\s\S]*filter +protocol_policy +accept/);
    assert.match(await first.locator('.what-if-side').nth(1).innerText(), /Edited: fail[\s\S]*filter +protocol_policy +reject/);
    await screenshot(page, 'what-if');

    // cancel: nothing is written, generation 1 stays live
    await dialog.locator('button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(fs.readFileSync(path.join(workspace, FILE), 'utf8'), original);

    // confirm: the save goes live
    await page.keyboard.press('Control+s');
    await dialog.waitFor();
    await dialog.locator('button.primary', { hasText: 'Save and go live' }).click();
    await page.locator('[data-testid=live-version][data-generation="2"][data-healthy="true"]').waitFor();
    assert.match(fs.readFileSync(path.join(workspace, FILE), 'utf8'), /alice@example\.com/);
    assert.equal(await login('alice', 'alice-secret', 'imap', '198.51.100.7'), 403);

    // the switch stops the recording
    await page.click('[data-sb=recording]');
    await page.locator('[data-sb=recording][data-recording=off]', { hasText: 'not recording' }).waitFor();
  });
});
