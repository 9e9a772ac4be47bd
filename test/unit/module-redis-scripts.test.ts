// nauthilus_redis scripts, pipelines, pools, trace events and the seed's callback hook flow.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { runLua, testServices, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, freePort, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext, type CallEvent } from '../../engine/lua/call-context';
import type { EngineServices } from '../../engine/lua/services';

/** Run `body` like runLua, but keep the trace events the call recorded. */
async function runTraced(body: string, services: EngineServices): Promise<{ results: unknown[]; events: CallEvent[] }> {
  const vm = await LuaVm.create({ poolName: 'test', services, memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    const src = `function nauthilus_call_action(request)\n__r = table.pack((function()\n${body}\nend)())\nreturn 0\nend\nfunction __get() return table.unpack(__r, 1, __r.n) end`;
    const script = await vm.loadScript('traced.lua', src, 10000);
    const call = new CallContext('trace-session', { recordEvents: true });
    await vm.dispatch('action', script, '', [], call, 10000);
    return { results: await vm.evalEnv(script, '__get', call, 10000), events: call.events };
  } finally {
    vm.close();
  }
}

let server: RedisServer;
let real: RedisStore;
before(async () => {
  server = await startRedisServer();
  real = new RedisStore(redisServerSettings(server));
});
after(async () => {
  await real.close();
  await server.stop();
});

for (const kind of ['mock', 'real'] as const) {
  describe(`scripts and pipelines on the ${kind === 'mock' ? 'embedded ioredis-mock' : 'real redis-server'}`, () => {
    let store: RedisStore;
    before(() => {
      store = kind === 'mock' ? new RedisStore(MOCK_REDIS) : real;
    });
    after(async () => {
      if (kind === 'mock') await store.close();
    });

    test('upload a script by name in one VM, run it from another; run inline scripts', async () => {
      const services = testServices({ redis: store });
      const source = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[1], ARGV[2])";
      const [sha, err] = await runLua(`return require("nauthilus_redis").redis_upload_script("default", "${source.replace(/"/g, '\\"')}", "set_incr")`, { services });
      assert.equal(sha, crypto.createHash('sha1').update(source).digest('hex'));
      assert.equal(err, null);
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local v = r.redis_run_script("default", "", "set_incr", {"sc:a"}, {10, 5})
        local inline = r.redis_run_script("default", "return {KEYS[1], ARGV[1], ARGV[2], 7}", "", {"k"}, {1.5, true})
        local _, unknown = r.redis_run_script("default", "", "nope", {}, {})
        local _, rterr = r.redis_run_script("default", "return redis.call('NOSUCHCOMMAND')", "", {}, {})
        return v, inline, unknown, type(rterr)`, { services });
      assert.deepEqual(res, [15, ['k', '1.5', 'true', 7], 'could not find script with name nope', 'string']);
    });

    test('a named script still runs after the server forgot it (SCRIPT FLUSH, restart)', { skip: kind === 'mock' && 'ioredis-mock has no SCRIPT command' }, async () => {
      const services = testServices({ redis: store });
      await runLua(`return require("nauthilus_redis").redis_upload_script("default", "return ARGV[1] .. '!'", "shout")`, { services });
      await store.client.script('FLUSH');
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local v = r.redis_run_script("default", "", "shout", {}, {"hi"})
        local n, nerr = r.redis_run_script("default", "return nil", "", {}, {})
        return v, n, nerr`, { services });
      assert.deepEqual(res, ['hi!', null, 'redis: nil']);
    });

    test('a pipeline returns one {ok, value | err} entry per command', async () => {
      const [res, err] = await runLua(`
        local r = require("nauthilus_redis")
        r.redis_upload_script("default", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "incrby")
        return r.redis_pipeline("default", "write", {
          {"set", "pl:a", "1", 100},
          {"incr", "pl:a"},
          {"get", "pl:missing"},
          {"hset", "pl:h", "f", "v"},
          {"hgetall", "pl:h"},
          {"hmget", "pl:h", {"f"}},
          {"sadd", "pl:s", "m"},
          {"sismember", "pl:s", "m"},
          {"zadd", "pl:z", 1.5, "m"},
          {"zscore", "pl:z", "m"},
          {"expire", "pl:a", 50},
          {"run_script", "incrby", {"pl:a"}, {10}},
          {"mget", "pl:a"},
          {"scan", 0, "pl:*", 100},
        })`, { redis: store });
      assert.equal(err, null);
      const entries = res as Array<{ ok: boolean; value?: any }>;
      assert.deepEqual(entries.slice(0, 13), [
        { ok: true, value: 'OK' }, { ok: true, value: 2 }, { ok: true }, { ok: true, value: 1 }, { ok: true, value: { f: 'v' } },
        { ok: true, value: ['v'] }, { ok: true, value: 1 }, { ok: true, value: true }, { ok: true, value: 1 }, { ok: true, value: 1.5 },
        { ok: true, value: true }, { ok: true, value: 12 }, { ok: true, value: ['12'] },
      ]);
      assert.equal(entries[13].value.cursor, 0);
      assert.deepEqual([...entries[13].value.keys].sort(), ['pl:a', 'pl:h', 'pl:s', 'pl:z']);
    });

    test('a malformed pipeline is refused before anything runs', async () => {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local _, e1 = r.redis_pipeline("default", "write", {{"set", "pm:a", "1"}, {"flushall"}})
        local _, e2 = r.redis_pipeline("default", "write", {"get"})
        local _, e3 = r.redis_pipeline("default", "read", {{"run_script", "never_uploaded", {}, {}}})
        local _, e4 = r.redis_pipeline("default", "read", {{"hget", "pm:h", {}}})
        return e1, e2, e3, e4, (r.redis_exists("default", "pm:a"))`, { redis: store });
      assert.deepEqual(res, [
        'unsupported pipeline command: flushall', 'pipeline command at index 1 must be a table', 'unknown uploaded script name: never_uploaded',
        null, 0, // Nauthilus reads row items as text (a table field is its "table: 0x..." text): no error
      ]);
    });

    test("the seed's callback hook removes the Dovecot target (hget on ntc:DS_ACCOUNT, hdel)", async () => {
      const target = '192.0.2.10:40000';
      await store.client.hset('ntc:DS_ACCOUNT', target, 'alice', 'other:1', 'bob');
      await store.client.hset('ntc:DS:alice', target, 'backend1', 'keep', 'x');
      // on the real server through a named pool, as the seed does when CUSTOM_REDIS_POOL_NAME is set
      const services = kind === 'mock'
        ? testServices({ redis: store })
        : testServices({ env: { CUSTOM_REDIS_POOL_NAME: 'dovecot' } });
      if (kind === 'real') services.redis.registerPool('dovecot', redisServerSettings(server));
      const hook = `
        local nauthilus_util = require("nauthilus_util")
        dynamic_loader("nauthilus_redis")
        local nauthilus_redis = require("nauthilus_redis")
        local result = {}
        local custom_pool = "default"
        local custom_pool_name = os.getenv("CUSTOM_REDIS_POOL_NAME")
        if custom_pool_name ~= nil and custom_pool_name ~= "" then
          local err_redis_client
          custom_pool, err_redis_client = nauthilus_redis.get_redis_connection(custom_pool_name)
          nauthilus_util.if_error_raise(err_redis_client)
        end
        local target = "${target}"
        local account, err_redis_hget = nauthilus_redis.redis_hget(custom_pool, "ntc:DS_ACCOUNT", target)
        if not err_redis_hget and account then
          local _, err_redis_hdel = nauthilus_redis.redis_hdel(custom_pool, "ntc:DS_ACCOUNT", target)
          if not err_redis_hdel then
            local redis_key = "ntc:DS:" .. account
            local _, err_redis_hdel = nauthilus_redis.redis_hdel(custom_pool, redis_key, target)
            if err_redis_hdel then result.remove_dovecot_target_error = err_redis_hdel end
          end
        end
        return account, result.remove_dovecot_target_error`;
      try {
        assert.deepEqual(await runLua(hook, { services }), ['alice', null]);
        assert.deepEqual(await store.client.hgetall('ntc:DS_ACCOUNT'), { 'other:1': 'bob' });
        assert.deepEqual(await store.client.hgetall('ntc:DS:alice'), { keep: 'x' });
        // the client disconnects again: nothing left to remove, no error raised
        assert.deepEqual(await runLua(hook, { services }), [null, null]);
      } finally {
        if (kind === 'real') await services.redis.close();
      }
    });

    test('the studio trace records command, key, pool, arguments and reply of every call; a secret-named field\'s value is masked', async () => {
      const services = testServices({ redis: store });
      const { results, events } = await runTraced(`
        local r = require("nauthilus_redis")
        r.redis_set("default", "tr:k", "plain-value")
        r.redis_hget("default", "tr:h", "f")
        r.redis_hset("default", "tr:h", "password", "s3cret")
        r.redis_pipeline("default", "write", {{"get", "tr:k"}, {"del", "tr:k"}})
        return (r.redis_get("default", "tr:k"))`, services);
      assert.deepEqual(results, [null]);
      const redis = events.filter((e) => e.kind === 'redis').map((e) => ({ cmd: e.detail.cmd, key: e.detail.key, pool: e.detail.pool }));
      assert.deepEqual(redis, [
        { cmd: 'SET', key: 'tr:k', pool: 'default' }, { cmd: 'HGET', key: 'tr:h', pool: 'default' }, { cmd: 'HSET', key: 'tr:h', pool: 'default' },
        { cmd: 'PIPELINE', key: undefined, pool: 'default' }, { cmd: 'GET', key: 'tr:k', pool: 'default' },
      ]);
      const details = events.filter((e) => e.kind === 'redis').map((e) => e.detail);
      assert.deepEqual((details[0].args as string[]).slice(0, 2), ['tr:k', 'plain-value']);
      assert.equal(details[0].reply, 'OK');
      assert.deepEqual(details[2].args, ['tr:h', 'password', '***']);
      const miss = details[4];
      assert.equal(miss.nil, true, 'a missing key is shown as a nil reply');
      assert.equal(miss.error, undefined);
      assert.ok(!JSON.stringify(events).includes('s3cret'), 'a secret-named value must not reach the trace');
    });
  });
}

describe('Redis pools registered from Lua', () => {
  test('register_redis_pool and get_redis_connection reach the named server', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local ok, err = r.register_redis_pool("custom", "standalone", {address = "${server.address}", db = 3})
        local again = r.register_redis_pool("custom", "standalone", {address = "${server.address}", db = 3})
        local h, herr = r.get_redis_connection("custom")
        r.redis_set(h, "pool:k", "v")
        local _, none = r.get_redis_connection("missing")
        local _, viaName = r.redis_get("missing", "k")
        local modeerr, modenil = r.register_redis_pool("x", "bogus", {}) -- Nauthilus 1.10: the message first, no error
        local _, addrerr = r.register_redis_pool("y", "standalone", {})
        local _, senterr = r.register_redis_pool("z", "sentinel", {addresses = {"127.0.0.1:1"}})
        local _, reserved = r.register_redis_pool("default", "standalone", {address = "${server.address}"})
        assert(modenil == nil)
        return ok, err, again, tostring(h), herr, (r.redis_get(h, "pool:k")), none, viaName, modeerr, addrerr, senterr, reserved`, { services });
      assert.deepEqual(res, [
        'OK', null, 'OK', 'redis_client(custom)', null, 'v', "No known redis configuration found with name 'missing'",
        'no Redis pool named "missing" is registered', 'Unknown mode: bogus', 'register_redis_pool: standalone mode needs cfg.address ("host:port")',
        'register_redis_pool: sentinel mode needs cfg.addresses and cfg.master_name', 'the pool name "default" is reserved',
      ]);
      // the value went to database 3 of the real server, not to the embedded default
      assert.equal(await services.redis.client.get('pool:k'), null);
      const db3 = new RedisStore(redisServerSettings(server, { database: 3 }));
      assert.equal(await db3.client.get('pool:k'), 'v');
      await db3.close();
    } finally {
      await services.redis.close();
    }
  });

  test('a server that is down or never answers is an error return, not a hang', async () => {
    const silent = net.createServer((sock) => sock.on('data', () => undefined));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const downPort = await freePort();
    const services = testServices({ redis: new RedisStore({ ...MOCK_REDIS, commandTimeoutMs: 300 }) });
    try {
      const [down, silentErr] = await runLua(`
        local r = require("nauthilus_redis")
        r.register_redis_pool("down", "standalone", {address = "127.0.0.1:${downPort}"})
        r.register_redis_pool("silent", "standalone", {address = "127.0.0.1:${silentPort}"})
        local _, e1 = r.redis_ping(r.get_redis_connection("down"))
        local _, e2 = r.redis_get(r.get_redis_connection("silent"), "k")
        return e1, e2`, { services });
      assert.equal(typeof down, 'string');
      assert.match(silentErr as string, /timed out|timeout/i);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      await services.redis.close();
    }
  });
});
