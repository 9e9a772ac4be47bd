// nauthilus_redis arguments and answers as Nauthilus converts them (server/lualib/redislib at v1.10.0, and the
// table forms v1.12 added), each case run on the embedded ioredis-mock and on a real redis-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

const TABLE_ERR = 'unable to convert Lua value of type table';

for (const kind of ['mock', 'real'] as const) {
  describe(`Nauthilus' Redis conversions on ${kind === 'mock' ? 'the embedded ioredis-mock' : 'a real redis-server'}`, () => {
    let server: RedisServer | undefined;
    let store: RedisStore;
    before(async () => {
      if (kind === 'real') server = await startRedisServer();
      store = new RedisStore(server ? redisServerSettings(server) : MOCK_REDIS);
    });
    after(async () => {
      await store.close();
      await server?.stop();
    });
    const lua = (body: string) => runLua(`local r = require("nauthilus_redis")\n${body}`, { redis: store });

    test('Nauthilus 1.10: redis_zadd takes one {member = score} table; a list\'s members are "1", "2"; a score that is no number is 0', async () => {
      const res = await lua(`
        local n = r.redis_zadd("default", "fz:a", {alice = 1, bob = "2.5", carol = "lots"})
        local l = r.redis_zadd("default", "fz:l", {"x", "7"})
        return n, r.redis_zscore("default", "fz:a", "bob"), r.redis_zscore("default", "fz:a", "carol"),
          r.redis_zrange("default", "fz:l", 0, -1), (r.redis_zscore("default", "fz:l", "2"))`);
      assert.deepEqual(res, [3, 2.5, 0, ['1', '2'], 7]);
      assert.deepEqual(await store.client.zrange('fz:a', 0, -1, 'WITHSCORES'), ['carol', '0', 'alice', '1', 'bob', '2.5']);
    });

    test('Nauthilus 1.12: redis_zadd(member, score, ...) varargs; an odd count is "Invalid number of arguments"; an empty table is Redis\' own error', async () => {
      const res = await lua(`
        local n = r.redis_zadd("default", "fz:v", "m1", 1, "m2", "2")
        local _, odd = r.redis_zadd("default", "fz:v", "m3")
        local _, empty = r.redis_zadd("default", "fz:v", {})
        return n, odd, empty, (r.redis_zrange("default", "fz:v", 0, -1))`);
      assert.deepEqual(res, [2, 'Invalid number of arguments', "ERR wrong number of arguments for 'zadd' command", ['m1', 'm2']]);
    });

    test('Nauthilus 1.10: redis_zrem takes one table of members, read as text (numbers, booleans); 1.12 varargs too', async () => {
      await store.client.zadd('fz:r', 1, 'a', 2, '3', 3, 'true', 4, 'b', 5, 'c');
      const res = await lua(`
        local t = r.redis_zrem("default", "fz:r", {"a", 6/2, true})
        local v = r.redis_zrem("default", "fz:r", "b", "c")
        local none = r.redis_zrem("default", "fz:r", {})
        return t, v, none`);
      assert.deepEqual(res, [3, 2, 0]);
      assert.equal(await store.client.zcard('fz:r'), 0);
      await assert.rejects(lua('return r.redis_zrem("default", "fz:r", {""})'), /Expected a table of string values/);
    });

    test('Nauthilus 1.10: a table where a value belongs is nil + "unable to convert Lua value of type table", not a Lua error', async () => {
      const [out] = await lua(`
        local out = {}
        local function put(v, err) out[#out + 1] = tostring(v) .. "|" .. tostring(err) end
        put(r.redis_set("default", "fc:s", {}))
        put(r.redis_sadd("default", "fc:set", "a", {}))
        put(r.redis_rpush("default", "fc:l", "a", {1}))
        put(r.redis_hset("default", "fc:h", "f", {}))
        put(r.redis_mset("default", "fc:m", {}))
        put(r.redis_sismember("default", "fc:set", {}))
        return out`);
      assert.deepEqual(out, Array(6).fill(`nil|${TABLE_ERR}`));
      assert.equal(await store.client.exists('fc:s', 'fc:set', 'fc:l', 'fc:h', 'fc:m'), 0); // nothing was sent
    });

    test('Nauthilus 1.10 numbers: keys and fields as Lua 5.1 prints them (6/2 is "3"), values as go-redis sends a float64', async () => {
      const res = await lua(`
        r.redis_set("default", 6/2, 6/2)
        r.redis_set("default", 1e-5, 1e-7)
        r.redis_set("default", "fn:big", 2^70)
        r.redis_set("default", "fn:half", 0.5)
        r.redis_hset("default", "fn:h", 10/5, 7/2)
        return r.redis_get("default", "3"), r.redis_get("default", "1e-05"), r.redis_get("default", "fn:big"),
          r.redis_get("default", "fn:half"), (r.redis_hget("default", "fn:h", "2"))`);
      assert.deepEqual(res, ['3', '0.0000001', '1180591620717411303424', '0.5', '3.5']);
    });

    test('Nauthilus 1.10: math.huge as a score bound is "+Inf" (gopher-lua\'s text), which Redis accepts', async () => {
      await store.client.zadd('fn:z', 1, 'a', 2, 'b');
      const [n] = await lua('return r.redis_zcount("default", "fn:z", -math.huge, math.huge)');
      assert.equal(n, 2);
    });

    test('Nauthilus 1.10: booleans are stored as "1"/"0" and nil as ""', async () => {
      const res = await lua(`
        r.redis_set("default", "fb:t", true)
        r.redis_set("default", "fb:f", false)
        local n = r.redis_sadd("default", "fb:set", true, false)
        r.redis_hset("default", "fb:h", "nil", nil)
        return r.redis_get("default", "fb:t"), r.redis_get("default", "fb:f"), n, (r.redis_sismember("default", "fb:set", true))`);
      assert.deepEqual(res, ['1', '0', 2, true]);
      assert.deepEqual((await store.client.smembers('fb:set')).sort(), ['0', '1']);
      assert.equal(await store.client.hget('fb:h', 'nil'), '');
    });

    test('Nauthilus 1.10: redis_get(h, key, "number") parses as Go\'s strconv.ParseFloat (no spaces, no bare hex)', async () => {
      await store.client.mset('fg:a', '1.5e3', 'fg:b', ' 5', 'fg:c', '0x10');
      const [a, b, berr, c, cerr] = await lua(`
        local a = r.redis_get("default", "fg:a", "number")
        local b, berr = r.redis_get("default", "fg:b", "number")
        local c, cerr = r.redis_get("default", "fg:c", "number")
        return a, b, berr, c, cerr`);
      assert.deepEqual([a, b, berr, c, cerr], [1500, null, 'strconv.ParseFloat: parsing " 5": invalid syntax', null, 'strconv.ParseFloat: parsing "0x10": invalid syntax']);
    });

    test('Nauthilus 1.10: a zero or negative redis_set expiry stores the key without one', async () => {
      const res = await lua('return r.redis_set("default", "fe:neg", "x", -5), (r.redis_set("default", "fe:zero", "x", 0))');
      assert.deepEqual(res, ['OK', 'OK']);
      assert.equal(await store.client.ttl('fe:neg'), -1);
      assert.equal(await store.client.ttl('fe:zero'), -1);
    });

    test('Nauthilus 1.12: sadd/srem/lpush/rpush/pfadd and hset take one table; calls without values answer 0', async () => {
      const res = await lua(`
        local s = r.redis_sadd("default", "ft:s", {"a", "b", 3})
        local l = r.redis_rpush("default", "ft:l", {"x", "y"})
        local h = r.redis_hset("default", "ft:h", {f1 = "v1", f2 = 2})
        local hl = r.redis_hset("default", "ft:hl", {"first", "second"})
        return s, l, h, hl, r.redis_sadd("default", "ft:s"), r.redis_rpush("default", "ft:l"), (r.redis_srem("default", "ft:s"))`);
      assert.deepEqual(res, [3, 2, 2, 2, 0, 0, 0]);
      const empty = await lua('return r.redis_hset("default", "ft:h", {}), r.redis_hdel("default", "ft:h", {}), (r.redis_hlen("default", "ft:h"))');
      assert.deepEqual(empty, [0, 0, 2]);
      assert.deepEqual(await store.client.hgetall('ft:hl'), { 1: 'first', 2: 'second' });
    });

    test('Nauthilus 1.10: zrangebyscore reads offset and count with LVAsNumber (numeric strings count)', async () => {
      await store.client.zadd('fo:z', 1, 'a', 2, 'b', 3, 'c');
      const [page] = await lua('return r.redis_zrangebyscore("default", "fo:z", "-inf", "+inf", {offset = "1", count = "1"})');
      assert.deepEqual(page, ['b']);
    });

    test('Nauthilus 1.10: pipeline rows are read leniently (items as text, numbers with LVAsNumber, tables stored as "")', async () => {
      const [res] = await lua(`
        local res = r.redis_pipeline("default", "write", {
          {"sadd", "fp:s", true},
          {"set", "fp:t", {}},
          {"zadd", "fp:z", "not a number", "m"},
          {"set", "fp:e", "v", "60"},
          {"rpush", "fp:l", 1, false},
        })
        local out = {}
        for i, e in ipairs(res) do out[i] = tostring(e.ok) end
        return out`);
      assert.deepEqual(res, ['true', 'true', 'true', 'true', 'true']);
      assert.deepEqual(await store.client.smembers('fp:s'), ['true']);
      assert.equal(await store.client.get('fp:t'), '');
      assert.equal(await store.client.zscore('fp:z', 'm'), '0');
      const ttl = await store.client.ttl('fp:e');
      assert.ok(ttl > 50 && ttl <= 60, `TTL ${ttl}`);
      assert.deepEqual(await store.client.lrange('fp:l', 0, -1), ['1', 'false']);
    });

    test('Nauthilus 1.10: run_script keys and args are LValue.String() (true is "true", 6/2 is "3")', async () => {
      const [argv, err] = await lua('return r.redis_run_script("default", "return table.concat(ARGV, \\",\\")", "", {}, {true, 6/2, 0.5})');
      assert.equal(err, null);
      assert.equal(argv, 'true,3,0.5');
    });
  });
}
