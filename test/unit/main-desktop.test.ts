// The desktop app's wiring with a fake Electron: single instance, window, protocol, IPC, menu, graceful shutdown;
// and how `npm start` decides between Electron and the browser studio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STUDIO_METHODS } from '../../engine/api/contract';
import { acceleratorsOf, buildMenuTemplate } from '../../main/app-menu';
import { pageUrl, startDesktop } from '../../main/desktop-app';
import { findElectron } from '../../main/desktop-launch';
import { argValue, chooseWorkspace } from '../../main/desktop-workspace';
import type { BrowserWindowOptionsShape, ElectronMain, MenuItemShape, PreventableEvent } from '../../main/electron-shapes';
import { CALL_CHANNELS } from '../../main/ipc-channels';

const ROOT = path.join(__dirname, '..', '..', '..');

test('the menu leaves Ctrl/Cmd+S (and undo) to the editor and has a way to quit on every platform', () => {
  for (const platform of ['linux', 'win32', 'darwin']) {
    let quit = 0;
    const t = buildMenuTemplate(platform, 'AuthStudio', { openWorkspaceFolder: () => undefined, openDocs: () => undefined, quit: () => quit++ });
    const keys = acceleratorsOf(t).map((a) => a.toLowerCase());
    assert.ok(!keys.some((k) => /(ctrl|cmd|cmdorctrl)\+s$/.test(k)), `${platform}: ${keys.join(',')}`);
    const items = (m: MenuItemShape[]): MenuItemShape[] => m.flatMap((i) => [i, ...items(i.submenu ?? [])]);
    assert.ok(!items(t).some((i) => i.role === 'undo' || i.role === 'redo'));
    const quitItem = items(t).find((i) => /^Quit/.test(i.label ?? ''));
    assert.ok(quitItem?.click, platform);
    quitItem!.click!();
    assert.equal(quit, 1);
    assert.equal(t[0].label === 'AuthStudio', platform === 'darwin');
  }
});

test('the workspace: --workspace, then AUTHSTUDIO_WORKSPACE; the checkout sample; a copy in user data when installed', () => {
  const base = { argv: [], env: {}, isPackaged: false, resourcesPath: '/opt/as/resources', userData: '/home/u/.config/AuthStudio', checkoutSample: '/src/lua-plugins.d' };
  assert.deepEqual(chooseWorkspace({ ...base, argv: ['electron', 'main.js', '--workspace', '/w1'], env: { AUTHSTUDIO_WORKSPACE: '/w2' } }), { dir: '/w1' });
  assert.deepEqual(chooseWorkspace({ ...base, argv: ['--workspace=/w3'] }), { dir: '/w3' });
  assert.deepEqual(chooseWorkspace({ ...base, env: { AUTHSTUDIO_WORKSPACE: '/w2' } }), { dir: '/w2' });
  assert.deepEqual(chooseWorkspace(base), { dir: '/src/lua-plugins.d' });
  assert.deepEqual(chooseWorkspace({ ...base, isPackaged: true }), { dir: '/home/u/.config/AuthStudio/workspace', copyFrom: '/opt/as/resources/lua-plugins.d' });
  assert.equal(argValue(['--listen', '127.0.0.1:1'], 'listen'), '127.0.0.1:1');
  assert.equal(argValue(['--redis=mock'], 'redis'), 'mock');
});

test('npm start uses Electron only when its binary exists and a display is there', () => {
  const display = { DISPLAY: ':0' };
  assert.match((findElectron(display, 'linux', () => { throw Object.assign(new Error("Cannot find module 'electron'"), { code: 'MODULE_NOT_FOUND' }); }) as { reason: string }).reason, /^Electron is not installed \(the optional electron package is missing: run `npm install electron`/);
  assert.match((findElectron(display, 'linux', () => { throw new Error('Electron failed to install correctly, please delete node_modules/electron'); }) as { reason: string }).reason, /binary is missing/);
  assert.match((findElectron(display, 'linux', () => '/nonexistent/electron') as { reason: string }).reason, /^Electron's binary was not downloaded/);
  assert.deepEqual(findElectron(display, 'linux', () => process.execPath), { binary: process.execPath });
  assert.match((findElectron({}, 'linux', () => process.execPath) as { reason: string }).reason, /no display/);
  assert.deepEqual(findElectron({}, 'darwin', () => process.execPath), { binary: process.execPath });
  assert.deepEqual(findElectron({ ...display, AUTHSTUDIO_NO_ELECTRON: '1' }, 'linux', () => process.execPath), { reason: 'AUTHSTUDIO_NO_ELECTRON is set' });
  // this machine: the optional package is absent or its binary was never downloaded
  assert.ok('reason' in findElectron(display, 'linux'));
});

test('issue 17: without a display AND without Electron, npm start names the missing binary, not the display', () => {
  const reason = (findElectron({}, 'linux', () => '/nonexistent/electron') as { reason: string }).reason;
  assert.match(reason, /binary was not downloaded/);
  assert.doesNotMatch(reason, /display/);
});

test('the page URL tells the status bar where the auth endpoints listen', () => {
  assert.equal(pageUrl('http://127.0.0.1:9080'), 'app://studio/index.html?listen=127.0.0.1%3A9080');
});

/** A fake of the electron module that records what the app does with it. */
function fakeElectron(lock = true) {
  const rec = {
    quit: 0, exit: [] as number[], windows: [] as BrowserWindowOptionsShape[], loaded: [] as string[], handled: [] as string[], schemes: [] as string[],
    privileged: [] as string[], menu: undefined as unknown, app: new Map<string, (...a: never[]) => void>(), permissionsDenied: false,
  };
  const contents = {
    id: 1, isDestroyed: () => false, send: () => undefined, on: () => undefined, setWindowOpenHandler: () => undefined,
    session: { setPermissionRequestHandler: () => { rec.permissionsDenied = true; }, setPermissionCheckHandler: () => undefined },
  };
  const electron: ElectronMain = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => lock,
      whenReady: async () => undefined,
      on: (event: string, l: (...a: never[]) => void) => void rec.app.set(event, l),
      getPath: () => os.tmpdir(),
      getName: () => 'AuthStudio',
      quit: () => { rec.quit++; },
      exit: (code = 0) => void rec.exit.push(code),
    } as ElectronMain['app'],
    BrowserWindow: class {
      webContents = contents;
      constructor(o: BrowserWindowOptionsShape) { rec.windows.push(o); }
      async loadURL(u: string) { rec.loaded.push(u); }
      once() {} on() {} show() {} focus() {} restore() {} isMinimized() { return false; }
    } as unknown as ElectronMain['BrowserWindow'],
    ipcMain: { handle: (ch) => void rec.handled.push(ch), removeHandler: (ch) => { rec.handled = rec.handled.filter((c) => c !== ch); } },
    protocol: { handle: (s) => void rec.schemes.push(s), registerSchemesAsPrivileged: (list) => void rec.privileged.push(...list.map((x) => x.scheme)) },
    Menu: { buildFromTemplate: (t) => t, setApplicationMenu: (m) => { rec.menu = m; } },
    shell: { openPath: async () => '', openExternal: async () => undefined },
    dialog: { showErrorBox: () => undefined },
  };
  return { electron, rec };
}

test('a second instance quits at once (the first one gets focused)', async () => {
  const { electron, rec } = fakeElectron(false);
  await startDesktop(electron, ['electron', 'main.js'], {});
  assert.equal(rec.quit, 1);
  assert.deepEqual(rec.windows, []);
});

test('the app starts the engine in-process, serves the page over app:// and closes the studio before it exits', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-desktop-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  const { electron, rec } = fakeElectron();
  try {
    const logs: string[] = [];
    await startDesktop(electron, ['electron', 'main.js', '--workspace', dir, '--listen', '127.0.0.1:0'], {}, { write: (l: string) => logs.push(l) });
    assert.deepEqual(rec.privileged, ['app']);
    assert.deepEqual(rec.schemes, ['app']);
    assert.deepEqual([...rec.handled].sort(), [...CALL_CHANNELS].sort());
    assert.equal(rec.handled.length, STUDIO_METHODS.length);
    assert.equal(rec.windows.length, 1);
    assert.equal(rec.windows[0].webPreferences.sandbox, true);
    assert.match(rec.windows[0].webPreferences.preload, /preload\.bundle\.js$/);
    assert.ok(rec.permissionsDenied);
    assert.ok(rec.menu);
    assert.equal(rec.loaded.length, 1);
    const url = new URL(rec.loaded[0]);
    assert.equal(`${url.protocol}//${url.host}${url.pathname}`, 'app://studio/index.html');
    const listen = url.searchParams.get('listen')!;
    assert.match(listen, /^127\.0\.0\.1:\d+$/);
    // the auth endpoints answer while the window is open
    const res = await fetch(`http://${listen}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' }) });
    assert.equal(res.status, 200);
    assert.ok(logs.some((l) => l.includes('"result":"ok"')), 'the engine logs through the app');

    let prevented = false;
    const beforeQuit = rec.app.get('before-quit') as unknown as (e: PreventableEvent) => void;
    beforeQuit({ preventDefault: () => { prevented = true; } });
    assert.ok(prevented, 'quitting waits for the studio to close');
    for (let i = 0; i < 200 && rec.exit.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(rec.exit, [0]);
    assert.deepEqual(rec.handled, [], 'IPC handlers removed');
    await assert.rejects(fetch(`http://${listen}/ping`), 'the auth listener is closed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
