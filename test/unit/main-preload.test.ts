// The preload's surface: window.authstudio has invoke and on, nothing else; the bundled preload needs only electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createStudioBridge } from '../../main/preload-bridge';
import { EVENT_CHANNEL, channelOf } from '../../main/ipc-channels';
import type { IpcRendererShape } from '../../main/electron-shapes';

function fakeIpc() {
  const invoked: Array<[string, unknown]> = [];
  const listeners: Array<(e: unknown, ...a: unknown[]) => void> = [];
  const ipc: IpcRendererShape = {
    invoke: async (ch, arg) => { invoked.push([ch, arg]); return { ok: true, result: 'r' }; },
    on: (ch, l) => { assert.equal(ch, EVENT_CHANNEL); listeners.push(l); },
    removeListener: () => undefined,
  };
  return { ipc, invoked, emit: (...a: unknown[]) => listeners.forEach((l) => l({}, ...a)), listeners };
}

test('the bridge has exactly invoke and on, and cannot be changed by the page', () => {
  const bridge = createStudioBridge(fakeIpc().ipc);
  assert.deepEqual(Object.keys(bridge).sort(), ['invoke', 'on']);
  assert.ok(Object.isFrozen(bridge));
  assert.ok(!('ipcRenderer' in bridge));
});

test('invoke sends a valid call on its method channel', async () => {
  const f = fakeIpc();
  const bridge = createStudioBridge(f.ipc);
  assert.deepEqual(await bridge.invoke('readFile', { path: 'a.lua' }), { ok: true, result: 'r' });
  assert.deepEqual(f.invoked, [[channelOf('readFile'), { path: 'a.lua' }]]);
});

test('events reach only listeners of that event; unknown events and throwing listeners do no harm', () => {
  const f = fakeIpc();
  const bridge = createStudioBridge(f.ipc);
  const got: unknown[] = [];
  const off = bridge.on('log', (p) => got.push(p));
  bridge.on('log', () => { throw new Error('listener bug'); });
  bridge.on('reload', () => got.push('wrong'));
  assert.equal(f.listeners.length, 1, 'one IPC listener for all events');
  f.emit('log', { msg: 'a' });
  f.emit('not-an-event', { msg: 'b' });
  off();
  f.emit('log', { msg: 'c' });
  assert.deepEqual(got, [{ msg: 'a' }]);
  assert.throws(() => bridge.on('anything' as 'log', () => undefined), /not a studio event/);
  assert.throws(() => bridge.on('log', 'x' as unknown as () => void), /must be a function/);
});

test('the bundled preload requires only electron and exposes window.authstudio', { skip: !fs.existsSync(path.join(__dirname, '..', '..', 'main', 'preload.bundle.js')) && 'dist/main/preload.bundle.js is built by scripts/build-renderer.js' }, () => {
  const code = fs.readFileSync(path.join(__dirname, '..', '..', 'main', 'preload.bundle.js'), 'utf8');
  const required: string[] = [];
  const exposed: Record<string, unknown> = {};
  const f = fakeIpc();
  const electron = { contextBridge: { exposeInMainWorld: (k: string, v: unknown) => { exposed[k] = v; } }, ipcRenderer: f.ipc };
  const fakeRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${id}`);
  };
  vm.runInNewContext(code, { require: fakeRequire, module: { exports: {} }, exports: {}, console });
  assert.deepEqual(required, ['electron']);
  assert.deepEqual(Object.keys(exposed), ['authstudio']);
  assert.deepEqual(Object.keys(exposed.authstudio as object).sort(), ['invoke', 'on']);
});
