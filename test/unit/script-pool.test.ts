// The VM pool: memory cap, queueing when all VMs are busy, VM replacement, reload that keeps the old version on error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScriptPool } from '../../engine/lua/script-pool';
import { CallContext } from '../../engine/lua/call-context';
import { testServices } from '../helpers/lua-harness';

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-pool-'));
  for (const [name, src] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), src);
  return dir;
}

async function pool(dir: string, size: number, memory = 8 << 20): Promise<ScriptPool> {
  return ScriptPool.create(
    { name: 'features', size, services: testServices(), memoryLimitBytes: memory, allowIo: false, loadTimeoutMs: 2000 },
    [{ displayPath: 'f.lua', path: path.join(dir, 'f.lua') }],
  );
}

const run = (p: ScriptPool, user: string, timeout = 2000) =>
  p.use((vm, script) => vm.dispatch('feature', script('f.lua'), `susername=${user}`, [], new CallContext('s'), timeout));

test('a script allocating without bound hits the memory cap; the VM is replaced and the pool keeps serving', async () => {
  const dir = workspace({ 'f.lua': `
    function nauthilus_call_feature(r)
      if r.username == "hog" then local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 64) .. i end end
      return false, false, 0
    end` });
  const p = await pool(dir, 1, 4 << 20);
  await assert.rejects(run(p, 'hog', 10000), (e: { code: string }) => e.code === 'AS_ERR_LUA_MEMORY');
  assert.deepEqual(await run(p, 'alice'), [false, false, 0]);
  assert.equal(p.stats().replaced, 1);
  await p.close();
});

test('requests queue when every VM is busy and are served in order', async () => {
  const dir = workspace({ 'f.lua': `
    function nauthilus_call_feature(r)
      local x = 0
      for i = 1, 200000 do x = x + i end
      return r.username == "t", false, 0
    end` });
  const p = await pool(dir, 2);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => run(p, i % 2 ? 't' : 'f')));
  results.forEach((r, i) => assert.equal(r[0], i % 2 === 1));
  assert.ok(p.stats().vms <= 2, 'never more VMs than the pool size');
  await p.close();
});

test('reload with a syntax error keeps the old version serving and reports the line', async () => {
  const dir = workspace({ 'f.lua': 'function nauthilus_call_feature(r) return true, false, 0 end' });
  const p = await pool(dir, 2);
  assert.deepEqual(await run(p, 'a'), [true, false, 0]);
  fs.writeFileSync(path.join(dir, 'f.lua'), 'function nauthilus_call_feature(r)\n  return false,, 0\nend');
  await assert.rejects(p.reload([{ displayPath: 'f.lua', path: path.join(dir, 'f.lua') }]), (e: { code: string; format(): string }) => {
    assert.equal(e.code, 'AS_ERR_LUA_SYNTAX');
    assert.match(e.format(), /^f\.lua:2: unexpected symbol near ','/);
    return true;
  });
  assert.deepEqual(await run(p, 'a'), [true, false, 0], 'old version still serves');
  fs.writeFileSync(path.join(dir, 'f.lua'), 'function nauthilus_call_feature(r) return false, false, 0 end');
  await p.reload([{ displayPath: 'f.lua', path: path.join(dir, 'f.lua') }]);
  assert.deepEqual(await run(p, 'a'), [false, false, 0], 'new version serves after a good reload');
  await p.close();
});

test('each request gets a fresh request table; script-level state persists per VM', async () => {
  const dir = workspace({ 'f.lua': `
    local calls = 0
    function nauthilus_call_feature(r)
      calls = calls + 1
      local leaked = r.leak
      r.leak = "set by " .. r.username
      return leaked ~= nil, false, calls
    end` });
  const p = await pool(dir, 1);
  const a = await run(p, 'a');
  const b = await run(p, 'b');
  assert.equal(a[0], false);
  assert.equal(b[0], false, 'a field set on one request table is not seen by the next request');
  assert.equal(b[2], 2);
  await p.close();
});
