// End-to-end: the "New script" dialog (templates per kind, name problems said in place, the dialog and what was typed
// kept) and the Traffic panel's "Legitimate users" sending from the Network field, in Chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

describe('studio UI in Chromium: new-script dialog and legitimate traffic', { skip: browserMissing(), concurrency: false }, () => {
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

  test('a bad or taken name is said in the dialog, which stays open with the input; a second template is created and runs', async () => {
    const { page } = browser;
    await page.click('.tree-group[data-group="feature"] .tree-group-head button');
    const dialog = page.locator('[data-testid=new-script]');
    await dialog.waitFor();
    const options = await dialog.locator('select[name=template] option').allInnerTexts();
    assert.ok(options.length >= 2, options.join(' | '));

    const name = dialog.locator('input[name=name]');
    const error = dialog.locator('[data-testid=new-script-error]');
    await name.fill('my policy');
    await error.filter({ hasText: '"space" cannot be part of a script name' }).waitFor();
    await dialog.locator('button[data-id=create]').click();
    assert.equal(await dialog.isVisible(), true, 'the dialog stays open');
    assert.equal(await name.inputValue(), 'my policy', 'what was typed is kept');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('.toast-error').count(), 0, 'no toast hinting that the studio is down');

    await name.fill('blocklist');
    await name.press('Enter');
    await error.filter({ hasText: 'features/blocklist.lua exists already' }).waitFor();
    assert.equal(await dialog.isVisible(), true);

    await dialog.locator('select[name=template]').selectOption('address-blocklist');
    await dialog.locator('[data-testid=template-about]', { hasText: 'client address starts with one of the listed prefixes' }).waitFor();
    await name.fill('e2e_refuse');
    assert.equal(await error.innerText(), '', 'a good name clears the message');
    await dialog.locator('button[data-id=create]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.editor-header .editor-path', { hasText: 'features/e2e_refuse.lua' }).waitFor();
    await page.locator('[data-testid=live-version][data-healthy="true"]').waitFor();
    assert.match(fs.readFileSync(path.join(workspace, 'features', 'e2e_refuse.lua'), 'utf8'), /local REFUSED_PREFIXES = \{ "203\.0\.113\.", "192\.0\.2\." \}/);
    assert.match(fs.readFileSync(path.join(workspace, 'authstudio.yml'), 'utf8'), /- name: e2e_refuse\n\s+script_path: \.\/features\/e2e_refuse\.lua/);

    // Dovecot scripts have their own templates and no authstudio.yml entry
    await page.click('.tree-head button[aria-label="New script"]');
    await dialog.waitFor();
    await dialog.locator('select[name=kind]').selectOption('dovecot');
    const dovecot = await dialog.locator('select[name=template] option').allInnerTexts();
    assert.deepEqual(dovecot.map((t) => t.split(':')[0]), ['passdb', 'passdb', 'userdb']);
    assert.equal(await dialog.locator('input[name=register]').isVisible(), false);
    await dialog.locator('select[name=template]').selectOption('userdb');
    await name.fill('e2e_userdb');
    await dialog.locator('button[data-id=create]').click();
    await page.locator('.editor-header .editor-path', { hasText: 'dovecot/e2e_userdb.lua' }).waitFor();
    assert.match(fs.readFileSync(path.join(workspace, 'dovecot', 'e2e_userdb.lua'), 'utf8'), /function auth_userdb_lookup\(req\)/);
    assert.deepEqual(browser.errors, []);
  });

  test('"Legitimate users" in Traffic send from the Network field', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="traffic"]');
    await page.selectOption('[data-panel=traffic] select[name=profile]', 'users');
    const network = page.locator('[data-panel=traffic] input[name=network]');
    assert.equal(await network.isEditable(), true);
    assert.equal(await network.inputValue(), '198.51.100.0/24', 'the users\' default network is shown, not the attack one');
    await network.fill('10.9.8.0/24');
    await page.fill('[data-panel=traffic] input[name=count]', '4');
    await page.click('[data-panel=traffic] button.primary');
    await page.locator('[data-panel=traffic][data-state="done"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-panel=traffic] .figures').innerText(), /ok\s+4/);

    await page.click('.dock-tab[data-tab="logs"]');
    await page.fill('input[aria-label="Filter logs"]', 'auth');
    await page.locator('.log-line', { hasText: '10.9.8.1' }).first().waitFor();
    await page.locator('.log-line', { hasText: '10.9.8.2' }).first().waitFor();
    assert.equal(await page.locator('.log-line', { hasText: '198.51.100.' }).count(), 0, 'no login came from the default range');
  });
});
