// What a script's runtime error, its print() output and its Redis commands leave in the trace (studio traces).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { AuthStudioError } from '../../engine/errors/registry';
import { runLuaStage } from '../../engine/pipeline/lua-stages';
import { ScriptPool } from '../../engine/lua/script-pool';
import { testServices, runLua } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

describe('a runtime error carries a Lua traceback with workspace paths', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-traceback-'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'names.lua'), [
      'local M = {}',
      'function M.short(name)',
      '  return string.sub(name, 1, 3)',
      'end',
      'return M',
    ].join('\n'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('nil passed to string.sub in a required module: frames of the module and the script, innermost first', async () => {
    const vm = await LuaVm.create({
      poolName: 'features', services: testServices({ baseDir: dir }), memoryLimitBytes: 32 << 20, allowIo: false,
      packagePath: path.join(dir, 'lib', '?.lua'),
    });
    try {
      const src = [
        'local names = require("names")',
        'local function label(request)',
        '  local short = names.short(request.account)',
        '  return short',
        'end',
        'function nauthilus_call_feature(request)',
        '  label(request)',
        '  return false, false, 0',
        'end',
      ].join('\n');
      const script = await vm.loadScript('features/label.lua', src, 5000);
      const err = await vm.dispatch('feature', script, '', [], new CallContext('s1'), 5000).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AuthStudioError, String(err));
      assert.equal(err.code, 'AS_ERR_LUA_RUNTIME');
      assert.match(err.message, /bad argument #1 to 'sub'/);
      assert.deepEqual(err.location, { file: 'lib/names.lua', line: 3 });
      assert.deepEqual(err.traceback?.map((f) => `${f.file}:${f.line}`), ['lib/names.lua:3', 'features/label.lua:3', 'features/label.lua:7']);
      assert.match(err.traceback?.[1].function ?? '', /label/);
      // the entry function is called by the engine: Lua's name for it would be the dispatcher's variable, so none is given
      assert.equal(err.traceback?.[2].function, undefined);
    } finally {
      vm.close();
    }
  });

  test('error(msg, 0) names no place: the innermost frame becomes the location; the stage record keeps the traceback', async () => {
    fs.mkdirSync(path.join(dir, 'features'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'features', 'bare.lua'), 'function nauthilus_call_feature(request)\n  local x = 1\n  error("no place", 0)\nend\n');
    const pool = await ScriptPool.create(
      { name: 'features', size: 1, services: testServices({ baseDir: dir }), memoryLimitBytes: 32 << 20, allowIo: false, loadTimeoutMs: 5000 },
      [{ displayPath: 'features/bare.lua', path: path.join(dir, 'features', 'bare.lua') }],
    );
    try {
      const r = await runLuaStage(pool, 'feature', 'bare', 'features/bare.lua', 'feature', '', new CallContext('s2', { recordEvents: true }), 5000);
      assert.equal(r.record.result, 'error');
      assert.equal(r.record.error, 'features/bare.lua:3: no place');
      assert.deepEqual(r.record.traceback?.map((f) => `${f.file}:${f.line}`), ['features/bare.lua:3']);
    } finally {
      await pool.close();
    }
  });
});

describe('print() and structured logs in the trace', () => {
  test('print() output is captured per call with its arguments joined by tabs, numbers as Lua 5.1 prints them', async () => {
    const call = new CallContext('p1', { recordEvents: true });
    await runLua('print("user", request.username, 6/2, nil)\nprint()\nreturn 0', { call, request: { username: 'alice' } });
    const prints = call.events.filter((e) => e.kind === 'print').map((e) => e.detail.line);
    assert.deepEqual(prints, ['user\talice\t3\tnil', '']);
  });

  test('a print_result line becomes fields, not escaped JSON (Nauthilus 1.10 nauthilus_util.print_result)', async () => {
    const call = new CallContext('p2', { recordEvents: true });
    await runLua('local u = require("nauthilus_util")\nu.print_result({ log_format = "json" }, { caller = "demo", n = 2 })\nu.print_result({}, { caller = "demo two" })\nreturn 0', { call });
    const logs = call.events.filter((e) => e.kind === 'log');
    assert.equal(logs.length, 2);
    assert.equal((logs[0].detail.fields as Record<string, string>).caller, 'demo');
    assert.equal((logs[0].detail.fields as Record<string, string>).n, '2');
    assert.equal((logs[1].detail.fields as Record<string, string>).caller, 'demo two');
  });

  test('a long print() line is kept far beyond the 512 characters other event texts keep', async () => {
    const call = new CallContext('p3', { recordEvents: true });
    await runLua('print(string.rep("x", 1000))\nreturn 0', { call });
    assert.equal((call.events.find((e) => e.kind === 'print')?.detail.line as string).length, 1000);
  });
});

describe('Redis rows show arguments and replies', () => {
  let server: RedisServer;
  let store: RedisStore;
  before(async () => {
    server = await startRedisServer();
    store = new RedisStore(redisServerSettings(server));
  });
  after(async () => {
    await store.close();
    await server.stop();
  });

  test('HSET/HGET/HGETALL on a real redis-server: arguments and replies recorded, a password field masked', async () => {
    const call = new CallContext('r1', { recordEvents: true });
    await runLua([
      'local r = require("nauthilus_redis")',
      'r.redis_hset("default", "user:alice", "mail", "alice@example.test")',
      'r.redis_hset("default", "user:alice", "password", "hunter2")',
      'r.redis_hget("default", "user:alice", "mail")',
      'r.redis_hget("default", "user:alice", "password")',
      'r.redis_hgetall("default", "user:alice")',
      'return 0',
    ].join('\n'), { call, redis: store });
    const rows = call.events.filter((e) => e.kind === 'redis').map((e) => e.detail);
    assert.deepEqual(rows.map((d) => d.cmd), ['HSET', 'HSET', 'HGET', 'HGET', 'HGETALL']);
    assert.deepEqual(rows[0].args, ['user:alice', 'mail', 'alice@example.test']);
    assert.equal(rows[0].reply, 1);
    assert.deepEqual(rows[1].args, ['user:alice', 'password', '***']);
    assert.equal(rows[2].reply, 'alice@example.test');
    assert.equal(rows[3].reply, '***');
    assert.deepEqual(rows[4].reply, { mail: 'alice@example.test', password: '***' });
    assert.ok(!JSON.stringify(rows).includes('hunter2'), 'the password never reaches the trace');
  });

  test('without a studio trace no arguments or replies are kept', async () => {
    const call = new CallContext('r2', { recordEvents: false });
    await runLua('require("nauthilus_redis").redis_set("default", "k", "v")\nreturn 0', { call, redis: store });
    assert.equal(call.events.length, 0);
  });
});
