// The VM core against real Lua: sandbox, 5.1 shims, module loading, errors with file:line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('json round trip and error returns', async () => {
  const [enc, dec, bad, err] = await runLua(`
    local json = require("json")
    local s = json.encode({a = 1, list = {1, 2, 3}})
    local d = json.decode('{"found": true, "n": null, "arr": [1, 2]}')
    local bad, err = json.decode("{not json")
    return s, d.found and #d.arr, bad, err`);
  assert.deepEqual(JSON.parse(enc as string), { a: 1, list: [1, 2, 3] });
  assert.equal(dec, 2);
  assert.equal(bad, null); // nil comes back as null
  assert.match(err as string, /json.decode/);
});

test('dynamic_loader accepts 1.x names and require works with or without it', async () => {
  const [a, b] = await runLua(`
    dynamic_loader("nauthilus_gll_json")
    local j1 = require("json")
    local ctx = require("nauthilus_context")
    return type(j1.encode), type(ctx.context_get)`);
  assert.equal(a, 'function');
  assert.equal(b, 'function');
});

test('sandbox removes process and bytecode escapes', async () => {
  const [r] = await runLua(`
    local out = {}
    out[#out+1] = tostring(os.execute)
    out[#out+1] = tostring(os.exit)
    out[#out+1] = tostring(io)
    out[#out+1] = tostring(package.loadlib)
    out[#out+1] = tostring(string.dump)
    local f, e = load("\\27Lua")
    out[#out+1] = tostring(f) .. ":" .. tostring(e)
    return table.concat(out, ",")`);
  assert.equal(r, 'nil,nil,nil,nil,nil,nil:attempt to load a binary chunk (bytecode is not allowed)');
});

test('Lua 5.1 shims exist', async () => {
  const [r] = await runLua(`
    local a, b = unpack({1, 2})
    return a + b + table.getn({1,2,3}) + math.pow(2, 3) + (loadstring("return 4")())`);
  assert.equal(r, 3 + 3 + 8 + 4);
});

test('gopher-lua (Nauthilus 1.x/3.x) math keeps Lua 5.1\'s cosh, sinh, tanh, log10, ldexp and frexp', async () => {
  const [r] = await runLua(`
    local m, e = math.frexp(48)
    local zm, ze = math.frexp(0)
    return { math.cosh(1), math.sinh(1), math.sinh(1e-10), math.tanh(0.3), math.tanh(30), math.tanh(-30),
      math.log10(1000), math.ldexp(0.75, 6), m, e, zm, ze, math.frexp(-0.1) }`);
  const v = Object.values(r as Record<string, number>);
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b));
  const want = [Math.cosh(1), Math.sinh(1), 1e-10, Math.tanh(0.3), 1, -1, 3, 48, 0.75, 6, 0, 0, -0.8];
  want.forEach((w, i) => assert.ok(near(Number(v[i]), w), `value ${i}: ${v[i]} vs ${w}`));
});

test('wrong argument types name the function, argument and script line', async () => {
  await assert.rejects(
    runLua(`local ctx = require("nauthilus_context")\nctx.context_set(nil, 1)\nreturn 1`),
    (e: Error & { format(): string }) => {
      assert.match(e.format(), /^test\.lua:4: bad argument #1 to 'context_set' \(string expected, got nil\)/);
      return true;
    },
  );
});

test('nauthilus_util helpers', async () => {
  const [routable, priv, len, tbool, exists, rs] = await runLua(`
    local u = require("nauthilus_util")
    return u.is_routable_ip("8.8.8.8"), u.is_routable_ip("192.168.1.1"), u.table_length({a=1, b=2, 3}),
      u.toboolean("yes"), u.exists_in_table({"a", "b"}, "b"), #u.generate_random_string(16)`);
  assert.deepEqual([routable, priv, len, tbool, exists, rs], [true, false, 3, true, true, 16]);
});

test('if_error_raise raises at the caller line', async () => {
  await assert.rejects(runLua(`local u = require("nauthilus_util")\n\nu.if_error_raise("backend down")\nreturn 1`), (e: Error & { format(): string }) => {
    assert.equal(e.format(), 'test.lua:5: backend down');
    return true;
  });
});

test('if_error_raise treats "redis: nil" (a missing key) as no error', async () => {
  const [v, err] = await runLua(`local u = require("nauthilus_util")
    local r = require("nauthilus_redis")
    local v, err = r.redis_get("default", "no-such-key")
    u.if_error_raise(err)
    return v, err`);
  assert.equal(v, null);
  assert.equal(err, 'redis: nil');
});

test('host calls work inside a script\'s own coroutines', async () => {
  const [a, b, c] = await runLua(`
    local r = require("nauthilus_redis")
    local co = coroutine.create(function(x)
      local v = r.redis_ping("default")
      local y = coroutine.yield(v .. x)
      return r.redis_set("default", "k", y) , r.redis_get("default", "k")
    end)
    local ok1, first = coroutine.resume(co, "!")
    local ok2, set, got = coroutine.resume(co, "value")
    local gen = coroutine.wrap(function() coroutine.yield(r.redis_ping("default")) end)
    return first, got, gen()`);
  assert.deepEqual([a, b, c], ['PONG!', 'value', 'PONG']);
});
