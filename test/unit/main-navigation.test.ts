// Navigation, new windows, permissions and the app:// protocol of the desktop app, with fake web contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { denyPermissions, guardNavigation, isAppUrl, isExternalLink } from '../../main/navigation-guard';
import { appResponse, registerAppProtocol, resolveAppFile, APP_ORIGIN } from '../../main/app-protocol';
import { APP_CSP } from '../../main/csp';
import type { PreventableEvent, SessionShape, WebContentsShape } from '../../main/electron-shapes';

function fakeContents() {
  const listeners = new Map<string, (e: PreventableEvent, url: string) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' | 'allow' }) | undefined;
  const contents = {
    id: 1, session: {} as SessionShape,
    on: (event: string, l: (e: PreventableEvent, url: string) => void) => listeners.set(event, l),
    setWindowOpenHandler: (h: typeof openHandler) => { openHandler = h; },
    send: () => undefined, isDestroyed: () => false,
  } as unknown as WebContentsShape;
  const fire = (event: string, url = '') => {
    let prevented = false;
    listeners.get(event)!({ preventDefault: () => { prevented = true; } }, url);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

test('the window may move within the studio page but never navigates anywhere else', () => {
  const f = fakeContents();
  const opened: string[] = [];
  guardNavigation(f.contents, (u) => opened.push(u));
  assert.equal(f.fire('will-navigate', `${APP_ORIGIN}/index.html?listen=x`), false);
  for (const url of ['https://evil.example/', 'file:///etc/passwd', 'http://127.0.0.1:9080/', 'app://other/index.html', 'javascript:alert(1)', 'not a url']) {
    assert.equal(f.fire('will-navigate', url), true, url);
    assert.equal(f.fire('will-redirect', url), true, url);
    assert.equal(f.fire('will-frame-navigate', url), true, url);
  }
  assert.equal(f.fire('will-attach-webview'), true);
  assert.deepEqual(opened, [], 'navigation attempts open nothing');
});

test('new windows are always denied; web links go to the system browser instead', () => {
  const f = fakeContents();
  const opened: string[] = [];
  guardNavigation(f.contents, (u) => opened.push(u));
  assert.deepEqual(f.open('https://nauthilus.org/docs'), { action: 'deny' });
  assert.deepEqual(f.open('file:///etc/passwd'), { action: 'deny' });
  assert.deepEqual(f.open(`${APP_ORIGIN}/index.html`), { action: 'deny' });
  assert.deepEqual(opened, ['https://nauthilus.org/docs']);
  assert.equal(isExternalLink('smb://host/share'), false);
});

test('every permission request and check is refused', () => {
  let request: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
  let check: ((wc: unknown, p: string) => boolean) | null = null;
  denyPermissions({ setPermissionRequestHandler: (h) => { request = h; }, setPermissionCheckHandler: (h) => { check = h; } });
  const answers: boolean[] = [];
  for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read']) request!(null, p, (ok) => answers.push(ok));
  assert.deepEqual(answers, [false, false, false, false]);
  assert.equal(check!(null, 'media'), false);
});

test('only app://studio URLs count as the studio page', () => {
  assert.equal(isAppUrl('app://studio/index.html'), true);
  assert.equal(isAppUrl('app://studio'), true);
  assert.equal(isAppUrl('app://studio.evil/index.html'), false);
  assert.equal(isAppUrl('https://studio/index.html'), false);
  assert.equal(isAppUrl(undefined), false);
  assert.equal(isAppUrl(''), false);
});

test('app:// serves the built renderer with the CSP and nothing outside it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'as-app-'));
  const dist = path.join(root, 'dist');
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(dist, 'app.js'), 'void 0');
  fs.writeFileSync(path.join(root, 'secret.js'), 'secret');
  fs.writeFileSync(path.join(dist, 'notes.txt'), 'unknown type');
  try {
    assert.equal(resolveAppFile('app://studio/', dist), path.join(dist, 'index.html'));
    assert.equal(resolveAppFile('app://studio/app.js?x=1', dist), path.join(dist, 'app.js'));
    for (const url of ['app://studio/../secret.js', 'app://studio/%2e%2e/secret.js', 'app://studio/..%2fsecret.js', 'app://studio/%2e%2e%2fsecret.js',
      'app://other/app.js', 'https://studio/app.js', 'app://studio/notes.txt', 'app://studio/missing.js', 'app://studio/%00.js', 'app://studio/%E0%A4%A']) {
      assert.equal(resolveAppFile(url, dist), undefined, url);
    }
    const ok = appResponse('app://studio/index.html', dist);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-security-policy'], APP_CSP);
    assert.equal(ok.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(appResponse('app://studio/../secret.js', dist).status, 404);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the protocol handler answers GET with the file and refuses other methods', async () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'as-app-'));
  fs.writeFileSync(path.join(dist, 'index.html'), '<p>studio</p>');
  try {
    let handler: ((r: { url: string; method: string }) => Response | Promise<Response>) | undefined;
    registerAppProtocol({ handle: (scheme, h) => { assert.equal(scheme, 'app'); handler = h; }, registerSchemesAsPrivileged: () => undefined }, dist);
    const res = await handler!({ url: 'app://studio/', method: 'GET' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<p>studio</p>');
    assert.equal(res.headers.get('content-security-policy'), APP_CSP);
    assert.equal((await handler!({ url: 'app://studio/', method: 'POST' })).status, 405);
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
