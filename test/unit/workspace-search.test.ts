// The studio's search in the workspace (Ctrl+Shift+F) and the require lookup behind go to definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../engine/studio/workspace';
import { resolveLuaModule, searchWorkspace } from '../../engine/studio/workspace-search';

function tempWorkspace(): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'as-search-'));
  fs.mkdirSync(path.join(root, 'lualib', 'net'), { recursive: true });
  fs.writeFileSync(path.join(root, 'authstudio.yml'), 'server:\n  redis: mock\n');
  fs.writeFileSync(path.join(root, 'lualib', 'util.lua'), 'local M = {}\nfunction M.Greet() return "Hello" end\nreturn M\n');
  fs.writeFileSync(path.join(root, 'lualib', 'net', 'ip.lua'), 'return { greet = true }\n');
  fs.writeFileSync(path.join(root, 'blob.bin'), Buffer.from([0x67, 0x72, 0x65, 0x65, 0x74, 0]));
  return new Workspace(root);
}

test('search finds every matching line with its place, skips binary files, and honours case and regex', (t) => {
  const ws = tempWorkspace();
  t.after(() => fs.rmSync(ws.root, { recursive: true, force: true }));
  const r = searchWorkspace(ws, { query: 'greet' });
  assert.deepEqual(r.matches.map((m) => `${m.path}:${m.line}:${m.column}`), ['lualib/net/ip.lua:1:10', 'lualib/util.lua:2:12']);
  assert.equal(r.truncated, false);
  assert.deepEqual(searchWorkspace(ws, { query: 'greet', case_sensitive: true }).matches.map((m) => m.path), ['lualib/net/ip.lua']);
  assert.deepEqual(searchWorkspace(ws, { query: '^return M$', regex: true }).matches.map((m) => `${m.path}:${m.line}`), ['lualib/util.lua:3']);
  const one = searchWorkspace(ws, { query: 'e', max_results: 1 });
  assert.equal(one.matches.length, 1);
  assert.equal(one.truncated, true);
});

test('a bad query is the caller\'s mistake, named', (t) => {
  const ws = tempWorkspace();
  t.after(() => fs.rmSync(ws.root, { recursive: true, force: true }));
  assert.throws(() => searchWorkspace(ws, { query: '' }), (e: Error & { code?: string }) => e.code === 'AS_ERR_BAD_REQUEST' && /query/.test(e.message));
  assert.throws(() => searchWorkspace(ws, { query: '(', regex: true }), (e: Error & { code?: string }) => e.code === 'AS_ERR_BAD_REQUEST' && /regular expression/.test(e.message));
});

test('require("net.ip") resolves on package_path to the workspace file; a missing module lists where it looked', (t) => {
  const ws = tempWorkspace();
  t.after(() => fs.rmSync(ws.root, { recursive: true, force: true }));
  const pkg = `${path.join(ws.root, 'lualib')}/?.lua`;
  assert.equal(resolveLuaModule(ws, 'net.ip', pkg, ws.root).path, 'lualib/net/ip.lua');
  assert.equal(resolveLuaModule(ws, 'util', './lualib/?.lua', ws.root).path, 'lualib/util.lua');
  const none = resolveLuaModule(ws, 'nope', pkg, ws.root);
  assert.equal(none.path, undefined);
  assert.deepEqual(none.tried, ['lualib/nope.lua']);
  assert.throws(() => resolveLuaModule(ws, '../etc/passwd', pkg, ws.root), /module name/);
});
