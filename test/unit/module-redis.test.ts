// nauthilus_redis commands, run from real Lua against the embedded ioredis-mock and a real redis-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

interface Backend {
  name: string;
  real: boolean;
  open(): Promise<RedisStore>;
  close(): Promise<void>;
}

function backends(): Backend[] {
  let mock: RedisStore | undefined;
  let server: RedisServer | undefined;
  let real: RedisStore | undefined;
  return [
    {
      name: 'the embedded ioredis-mock',
      real: false,
      open: async () => (mock = new RedisStore(MOCK_REDIS)),
      close: async () => mock?.close(),
    },
    {
      name: 'a real redis-server',
      real: true,
      open: async () => {
        server = await startRedisServer();
        return (real = new RedisStore(redisServerSettings(server)));
      },
      close: async () => {
        await real?.close();
        await server?.stop();
      },
    },
  ];
}

for (const backend of backends()) {
  describe(`nauthilus_redis on ${backend.name}`, () => {
    let store: RedisStore;
    before(async () => {
      store = await backend.open();
    });
    after(() => backend.close());
    const lua = (body: string) => runLua(`local r = require("nauthilus_redis")\n${body}`, { redis: store });

    test('strings: set, get, incr, exists, expire, rename, del', async () => {
      const [out] = await lua(`
        local out = {}
        out.set = r.redis_set("default", "s:a", "1")
        out.get = r.redis_get("default", "s:a")
        out.incr = r.redis_incr("default", "s:a")
        out.num = r.redis_get("default", "s:a", "number")
        out.exists = r.redis_exists("default", "s:a")
        out.expire = r.redis_expire("default", "s:a", 100)
        out.expire_missing = r.redis_expire("default", "s:none", 100)
        out.rename = r.redis_rename("default", "s:a", "s:b")
        out.renamed = r.redis_get("default", "s:b")
        out.del = r.redis_del("default", "s:b")
        out.exists_after = r.redis_exists("default", "s:b")
        out.ping = r.redis_ping("default")
        return out`);
      assert.deepEqual(out, {
        set: 'OK', get: '1', incr: 2, num: 2, exists: 1, expire: true, expire_missing: false, rename: 'OK', renamed: '2',
        del: 1, exists_after: 0, ping: 'PONG',
      });
    });

    test('a missing key or member is nil with Nauthilus\' "redis: nil" error', async () => {
      const res = await lua(`
        local v, err = r.redis_get("default", "s:missing")
        local hv, herr = r.redis_hget("default", "s:missing", "f")
        local lp, lerr = r.redis_lpop("default", "s:missing")
        local zs, zerr = r.redis_zscore("default", "s:missing", "m")
        return v, err, hv, herr, lp, lerr, zs, zerr`);
      assert.deepEqual(res, [null, 'redis: nil', null, 'redis: nil', null, 'redis: nil', null, 'redis: nil']);
    });

    test('set with expiry, an options table and typed reads', async () => {
      const res = await lua(`
        r.redis_set("default", "s:ttl", "x", 100)
        local nx1 = r.redis_set("default", "s:nx", "first", {nx = true, ex = 50})
        local nx2, nx2err = r.redis_set("default", "s:nx", "second", {nx = true})
        local old = r.redis_set("default", "s:nx", "third", {get = true})
        local negerr = r.redis_set("default", "s:neg", "x", -1) -- Nauthilus: no expiry, not an error
        r.redis_set("default", "s:bool", true)
        local b = r.redis_get("default", "s:bool", "bool")
        r.redis_set("default", "s:empty", "")
        local e, eerr = r.redis_get("default", "s:empty")
        local bad, baderr = r.redis_get("default", "s:nx", "number")
        return nx1, nx2, nx2err, old, negerr, b, e, eerr, bad, baderr`);
      assert.deepEqual(res, [
        'OK', null, null, 'first', 'OK', true, null, null, null,
        'strconv.ParseFloat: parsing "third": invalid syntax',
      ]);
      const ttl = await store.client.ttl('s:ttl');
      assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
      assert.equal(await store.client.ttl('s:neg'), -1);
    });

    test('mset, mget, keys and a full scan', async () => {
      const [ok, got, err, keys, seen] = await lua(`
        local ok = r.redis_mset("default", "m:a", "1", "m:b", 2)
        local got = r.redis_mget("default", "m:a", "m:b", "m:c")
        local _, err = r.redis_mset("default", "m:a")
        local keys = r.redis_keys("default", "m:*")
        table.sort(keys)
        local seen, cursor = {}, 0
        repeat
          local res = r.redis_scan("default", cursor, "m:*", 1)
          for _, k in ipairs(res.keys) do seen[#seen + 1] = k end
          cursor = res.cursor
        until cursor == 0
        table.sort(seen)
        return ok, got, err, keys, seen`);
      assert.equal(ok, 'OK');
      assert.deepEqual(got, { 'm:a': '1', 'm:b': '2' });
      assert.equal(err, 'Invalid number of arguments');
      assert.deepEqual(keys, ['m:a', 'm:b']);
      assert.deepEqual(seen, ['m:a', 'm:b']);
    });

    test('hashes', async () => {
      const res = await lua(`
        local n = r.redis_hset("default", "h:1", "a", "1", "b", 2)
        local n2 = r.redis_hset("default", "h:1", {c = "3", a = "10"})
        local _, argerr = r.redis_hset("default", "h:1", "lonely")
        local a = r.redis_hget("default", "h:1", "a")
        local len = r.redis_hlen("default", "h:1")
        local all = r.redis_hgetall("default", "h:1")
        local some = r.redis_hmget("default", "h:1", "a", "zz", "c")
        local incr = r.redis_hincrby("default", "h:1", "b", 5)
        local fl = r.redis_hincrbyfloat("default", "h:1", "f", 1.5)
        local ex, nex = r.redis_hexists("default", "h:1", "a"), r.redis_hexists("default", "h:1", "zz")
        local del = r.redis_hdel("default", "h:1", "a", "c")
        local left = r.redis_hgetall("default", "h:1")
        local empty = r.redis_hgetall("default", "h:none")
        return n, n2, argerr, a, len, all, some, incr, fl, ex, nex, del, left, next(empty) == nil`);
      assert.deepEqual(res, [
        2, 1, 'Invalid number of arguments', '10', 3, { a: '10', b: '2', c: '3' }, { a: '10', c: '3' }, 7, 1.5, true, false, 2,
        { b: '7', f: '1.5' }, true,
      ]);
    });

    test('sets', async () => {
      const res = await lua(`
        local n = r.redis_sadd("default", "set:1", "a", "b", "c")
        local again = r.redis_sadd("default", "set:1", "a")
        local is, isnt = r.redis_sismember("default", "set:1", "b"), r.redis_sismember("default", "set:1", "z")
        local members = r.redis_smembers("default", "set:1")
        table.sort(members)
        local rem = r.redis_srem("default", "set:1", "a", "z")
        return n, again, is, isnt, members, rem, (r.redis_scard("default", "set:1"))`);
      assert.deepEqual(res, [3, 0, true, false, ['a', 'b', 'c'], 1, 2]);
    });

    test('sorted sets', async () => {
      const res = await lua(`
        local k = "z:1"
        local added = r.redis_zadd("default", k, {alice = 1, bob = 2, carol = 3})
        local added2 = r.redis_zadd("default", k, "dave", 4) -- member, score (Nauthilus 1.12)
        local rank, revrank = r.redis_zrank("default", k, "bob"), r.redis_zrevrank("default", k, "alice")
        local nr, nrerr = r.redis_zrank("default", k, "nobody")
        local rev = r.redis_zrevrange("default", k, 0, 1)
        local fwd = r.redis_zrange("default", k, 0, -1)
        local by = r.redis_zrangebyscore("default", k, "(1", "+inf", {offset = 0, count = 2})
        local cnt = r.redis_zcount("default", k, "-inf", 2)
        local score = r.redis_zscore("default", k, "carol")
        local inc = r.redis_zincrby("default", k, 0.5, "carol")
        local rem = r.redis_zrem("default", k, {"alice"})
        local byscore = r.redis_zremrangebyscore("default", k, "-inf", "2")
        local byrank = r.redis_zremrangebyrank("default", k, 0, 0)
        return added, added2, rank, revrank, nr, nrerr, rev, fwd, by, cnt, score, inc, rem, byscore, byrank,
          (r.redis_zrange("default", k, 0, -1))`);
      assert.deepEqual(res, [
        3, 1, 1, 3, null, 'redis: nil', ['dave', 'carol'], ['alice', 'bob', 'carol', 'dave'], ['bob', 'carol'], 2, 3, 3.5, 1, 1, 1,
        ['dave'],
      ]);
    });

    test('lists', async () => {
      const res = await lua(`
        local n = r.redis_rpush("default", "l:1", "a", "b")
        local n2 = r.redis_lpush("default", "l:1", "z")
        local all = r.redis_lrange("default", "l:1", 0, -1)
        local len = r.redis_llen("default", "l:1")
        local first, last = r.redis_lpop("default", "l:1"), r.redis_rpop("default", "l:1")
        return n, n2, all, len, first, last, (r.redis_llen("default", "l:1"))`);
      assert.deepEqual(res, [2, 3, ['z', 'a', 'b'], 3, 'z', 'b', 1]);
    });

    test('HyperLogLog', async () => {
      const res = await lua(`
        local a = r.redis_pfadd("default", "hll:1", "x", "y", "z")
        local again = r.redis_pfadd("default", "hll:1", "x")
        r.redis_pfadd("default", "hll:2", "z", "w")
        local c1 = r.redis_pfcount("default", "hll:1")
        local cu = r.redis_pfcount("default", "hll:1", "hll:2")
        local m = r.redis_pfmerge("default", "hll:3", "hll:1", "hll:2")
        local c3 = r.redis_pfcount("default", "hll:3")
        local _, err = r.redis_pfcount("default")
        local _, merr = r.redis_pfmerge("default", "hll:3")
        return a, again, c1, cu, m, c3, err, merr`);
      assert.deepEqual(res, [1, 0, 3, 4, 'OK', 4, 'at least one key required', 'at least one source key required']);
    });

    test('server errors come back as the error string', { skip: !backend.real && 'ioredis-mock has no WRONGTYPE or RENAME errors' }, async () => {
      const res = await lua(`
        r.redis_set("default", "e:str", "abc")
        local _, wrong = r.redis_hget("default", "e:str", "f")
        local _, notint = r.redis_incr("default", "e:str")
        local _, nokey = r.redis_rename("default", "e:none", "e:other")
        return wrong, notint, nokey`);
      assert.deepEqual(res, [
        'WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR value is not an integer or out of range', 'ERR no such key',
      ]);
    });
  });
}

describe('nauthilus_redis argument checks', () => {
  const raises = async (body: string, pattern: RegExp) => {
    await assert.rejects(runLua(`local r = require("nauthilus_redis")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.match(e.format(), pattern);
      return true;
    });
  };

  test('a wrong argument type raises a Lua error naming the function, argument and script line', async () => {
    await raises('r.redis_get("default", {})', /^test\.lua:4: bad argument #2 to 'redis_get' \(string or number expected, got table\)/);
    await raises('r.redis_expire("default", "k", "soon")', /^test\.lua:4: bad argument #3 to 'redis_expire' \(number expected, got string\)/);
    await raises('r.redis_run_script("default", "return 1", "", "k", {})', /^test\.lua:4: bad argument #4 to 'redis_run_script' \(table expected, got string\)/);
    await raises('r.redis_pipeline("default", "write", "get")', /^test\.lua:4: bad argument #3 to 'redis_pipeline' \(table expected, got string\)/);
  });

  test('a handle that is neither a string nor a connection raises at the script line', async () => {
    await raises('r.redis_get(nil, "k")', /^test\.lua:4: bad argument #1 to 'redis_get' \(redis connection handle expected, got nil\)/);
    await raises('r.get_redis_connection(42)', /^test\.lua:4: bad argument #1 to 'get_redis_connection' \(string expected, got number\)/);
  });
});
