// The desktop window's security settings and the page's Content-Security-Policy, checked without Electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWindowOptions, unsafeWindowOptions } from '../../main/window-options';
import { APP_CSP, parseCsp, securityHeaders } from '../../main/csp';
import { STUDIO_UI_CSP } from '../../engine/http/studio-ui';

test('the window is isolated, sandboxed, without Node, and loads only the given preload', () => {
  const o = buildWindowOptions('/opt/authstudio/preload.bundle.js');
  const w = o.webPreferences;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.navigateOnDragDrop, false);
  assert.equal(w.preload, '/opt/authstudio/preload.bundle.js');
  assert.equal(o.show, false, 'shown on ready-to-show, so no white flash');
  assert.deepEqual(unsafeWindowOptions(o), []);
});

test('devTools can be turned off for packaged builds', () => {
  assert.equal(buildWindowOptions('p', { devTools: false }).webPreferences.devTools, false);
});

test('unsafe window options are named before a window opens with them', () => {
  const o = buildWindowOptions('p');
  const bad = { ...o, webPreferences: { ...o.webPreferences, contextIsolation: false, sandbox: false, nodeIntegration: true, webviewTag: true, preload: '' } };
  assert.deepEqual(unsafeWindowOptions(bad), ['contextIsolation must be on', 'sandbox must be on', 'Node integration must be off', '<webview> must be off', 'a preload is needed']);
});

test('the app CSP allows only the page itself: no eval, no inline scripts, no network, no frames', () => {
  const csp = parseCsp(APP_CSP);
  assert.deepEqual(csp.get('default-src'), ["'none'"]);
  assert.deepEqual(csp.get('script-src'), ["'self'", "'wasm-unsafe-eval'"], 'no unsafe-inline or unsafe-eval for scripts (only the Lua formatter\'s WebAssembly)');
  assert.deepEqual(csp.get('worker-src'), ["'self'"], "Monaco's worker comes from the app, never blob:");
  assert.deepEqual(csp.get('connect-src'), ["'none'"], 'the desktop page talks to the engine over IPC only');
  assert.deepEqual(csp.get('object-src'), ["'none'"]);
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(csp.get('base-uri'), ["'none'"]);
  for (const [name, sources] of csp) assert.ok(!sources.includes("'unsafe-eval'"), `${name} allows eval`);
  assert.ok(!csp.get('style-src')!.includes('*'));
});

test('the web studio page has the same policy except that it may call its own origin', () => {
  const web = parseCsp(STUDIO_UI_CSP);
  const app = parseCsp(APP_CSP);
  assert.deepEqual(web.get('connect-src'), ["'self'"]);
  for (const name of ['default-src', 'script-src', 'style-src', 'worker-src', 'font-src', 'img-src', 'base-uri', 'frame-ancestors']) {
    assert.deepEqual(web.get(name), app.get(name), name);
  }
});

test('every app response carries the CSP and nosniff', () => {
  const h = securityHeaders('text/javascript');
  assert.equal(h['content-security-policy'], APP_CSP);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['content-type'], 'text/javascript');
});
