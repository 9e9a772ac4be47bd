// The studio over IPC: channel checks, and a real studio driven through preload bridge -> fake IPC -> main handlers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STUDIO_METHODS, type StudioMethodName } from '../../engine/api/contract';
import { createInProcessClient } from '../../engine/api/in-process-client';
import { openStudio, type Studio } from '../../engine/studio/open-studio';
import { ARG_CHECKS, CALL_CHANNELS, EVENT_CHANNEL, channelOf, validateCall } from '../../main/ipc-channels';
import { registerStudioIpc, type IpcReply, type StudioIpc } from '../../main/ipc-server';
import { createStudioBridge } from '../../main/preload-bridge';
import { isTrustedSender } from '../../main/desktop-app';
import type { IpcMainInvokeEventShape, IpcMainShape, IpcRendererShape, WebContentsShape } from '../../main/electron-shapes';

const ROOT = path.join(__dirname, '..', '..', '..');

test('every studio method has a channel and an argument check, and nothing else has one', () => {
  assert.deepEqual(Object.keys(ARG_CHECKS).sort(), [...STUDIO_METHODS].sort());
  assert.equal(new Set(CALL_CHANNELS).size, STUDIO_METHODS.length);
  for (const ch of CALL_CHANNELS) assert.match(ch, /^studio:call:[a-zA-Z]+$/);
  assert.ok(!CALL_CHANNELS.includes(EVENT_CHANNEL));
});

test('calls are refused unless the method exists and the argument is a plain JSON object of the right shape', () => {
  const refused = (method: unknown, arg: unknown) => {
    const v = validateCall(method, arg);
    assert.equal(v.ok, false, `${String(method)} ${JSON.stringify(arg)} should be refused`);
    return v.ok ? '' : `${v.error.status} ${v.error.message}`;
  };
  assert.match(refused('shell', {}), /^404 .*no method "shell"/);
  assert.match(refused('constructor', {}), /^404/);
  assert.match(refused('__proto__', {}), /^404/);
  assert.match(refused(42, {}), /^404/);
  assert.match(refused('readFile', 'authstudio.yml'), /^400 readFile: the argument must be a JSON object/);
  assert.match(refused('readFile', ['a']), /must be a JSON object/);
  assert.match(refused('readFile', { path: 7 }), /path must be a string/);
  assert.match(refused('readFile', {}), /path must be a string/);
  assert.match(refused('saveFile', { path: 'a.lua', content: 'x', base_version: 3 }), /base_version must be a string/);
  assert.match(refused('saveFile', { path: 'a.lua', content: () => 'x' }), /plain JSON/);
  assert.match(refused('simulate', { preset: 'dovecot-imap', mode: 'sudo' }), /mode must be one of/);
  assert.match(refused('startTraffic', { profile: {}, count: Infinity }), /plain JSON|count must be a number/);
  assert.match(refused('getStatus', new Date()), /must be a JSON object/);
  let deep: Record<string, unknown> = {};
  const top = deep;
  for (let i = 0; i < 40; i++) deep = (deep.x = {}) as Record<string, unknown>;
  assert.match(refused('simulate', { preset: 'custom', fields: top }), /plain JSON/);
  assert.match(refused('saveFile', { path: 'big.lua', content: 'x'.repeat(16 * 1024 * 1024 + 1) }), /larger than/);
});

test('well-formed calls pass unchanged; a missing argument becomes {}', () => {
  assert.deepEqual(validateCall('getStatus', undefined), { ok: true, method: 'getStatus', arg: {} });
  const arg = { path: 'features/a.lua', content: '-- x', base_version: 'abc' };
  assert.deepEqual(validateCall('saveFile', arg), { ok: true, method: 'saveFile', arg });
});

test('only the studio page (app://studio) is a trusted sender', () => {
  const ev = (url: string | null) => ({ sender: {} as WebContentsShape, senderFrame: url === null ? null : { url } });
  assert.equal(isTrustedSender(ev('app://studio/index.html?listen=127.0.0.1:9080')), true);
  assert.equal(isTrustedSender(ev('https://evil.example/')), false);
  assert.equal(isTrustedSender(ev('file:///tmp/x.html')), false);
  assert.equal(isTrustedSender(ev(null)), false);
});

// ---- the two halves wired together over a fake IPC, on a real studio -----------------------------------------

let studio: Studio;
let dir: string;
let ipc: StudioIpc;
const handlers = new Map<string, (e: IpcMainInvokeEventShape, ...a: unknown[]) => unknown>();
const toRenderer: Array<(e: unknown, ...a: unknown[]) => void> = [];
let senderUrl = 'app://studio/index.html';
const ipcMain: IpcMainShape = { handle: (ch, l) => void handlers.set(ch, l), removeHandler: (ch) => void handlers.delete(ch) };
const contents = { id: 1, send: (ch: string, ...a: unknown[]) => { assert.equal(ch, EVENT_CHANNEL); for (const l of toRenderer) l({}, ...a); }, isDestroyed: () => false } as unknown as WebContentsShape;
const sent: string[] = [];
const ipcRenderer: IpcRendererShape = {
  invoke: async (ch, ...args) => {
    sent.push(ch);
    const h = handlers.get(ch);
    if (!h) throw new Error(`No handler registered for '${ch}'`);
    return h({ sender: contents, senderFrame: { url: senderUrl } }, ...args);
  },
  on: (ch, l) => { assert.equal(ch, EVENT_CHANNEL); toRenderer.push(l); },
  removeListener: () => undefined,
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-ipc-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  studio = await openStudio({ workspace: dir, listen: '127.0.0.1:0', routes: false, watch: false });
  ipc = registerStudioIpc(ipcMain, createInProcessClient(studio.service), isTrustedSender);
  ipc.forwardEventsTo(contents);
});

after(async () => {
  ipc?.dispose();
  await studio?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the page reads and saves files through the bridge, and sees the reload event', async () => {
  const bridge = createStudioBridge(ipcRenderer);
  const reloads: unknown[] = [];
  bridge.on('reload', (r) => reloads.push(r));
  const read = (await bridge.invoke('readFile', { path: 'features/blocklist.lua' })) as IpcReply;
  assert.ok(read.ok);
  const file = read.result as { content: string; version: string };
  assert.match(file.content, /nauthilus_call_feature/);
  const saved = (await bridge.invoke('saveFile', { path: 'features/blocklist.lua', content: file.content + '\n-- edited\n', base_version: file.version })) as IpcReply;
  assert.ok(saved.ok, JSON.stringify(saved));
  assert.equal((saved.result as { reload: { ok: boolean } }).reload.ok, true);
  assert.equal(reloads.length, 1, 'the reload event reached the page');
  assert.match(fs.readFileSync(path.join(dir, 'features', 'blocklist.lua'), 'utf8'), /-- edited/);
});

test('studio errors cross IPC with their code, status and location intact', async () => {
  const bridge = createStudioBridge(ipcRenderer);
  const missing = (await bridge.invoke('readFile', { path: 'features/nope.lua' })) as IpcReply;
  assert.equal(missing.ok, false);
  if (!missing.ok) {
    assert.equal(missing.error.code, 'AS_ERR_NOT_FOUND');
    assert.equal(missing.error.status, 404);
  }
  const escape = (await bridge.invoke('readFile', { path: '../../etc/passwd' })) as IpcReply;
  assert.equal(escape.ok, false);
});

test('bad calls never reach the main process; a forged call straight to a channel is still checked', async () => {
  const bridge = createStudioBridge(ipcRenderer);
  sent.length = 0;
  const bad = (await bridge.invoke('deleteFile' as StudioMethodName, { path: 5 })) as IpcReply;
  assert.equal(bad.ok, false);
  const unknown = (await bridge.invoke('runShell' as StudioMethodName, {})) as IpcReply;
  assert.equal(unknown.ok, false);
  assert.deepEqual(sent, [], 'nothing was sent');
  const forged = (await ipcRenderer.invoke(channelOf('deleteFile'), { path: ['authstudio.yml'] })) as IpcReply;
  assert.equal(forged.ok, false);
  assert.ok(fs.existsSync(path.join(dir, 'authstudio.yml')));
});

test('calls from any other page are refused', async () => {
  senderUrl = 'https://evil.example/';
  try {
    const r = (await ipcRenderer.invoke(channelOf('getStatus'), {})) as IpcReply;
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.status, 403);
  } finally {
    senderUrl = 'app://studio/index.html';
  }
});

test('dispose removes every handler', () => {
  const local = new Map<string, unknown>();
  const fake: IpcMainShape = { handle: (ch, l) => void local.set(ch, l), removeHandler: (ch) => void local.delete(ch) };
  const s = registerStudioIpc(fake, createInProcessClient(studio.service), () => true);
  assert.equal(local.size, STUDIO_METHODS.length);
  s.dispose();
  assert.equal(local.size, 0);
});
