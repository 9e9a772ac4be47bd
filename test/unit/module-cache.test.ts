// The `nauthilus_cache` module: one in-process cache shared by every VM of an engine.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices } from '../helpers/lua-harness';

test('set/get copy values, tables included; another VM of the same engine sees them', async () => {
  const services = testServices();
  const [ok, err, got] = await runLua(`
    local cache = require("nauthilus_cache")
    local t = { retry = 3, hosts = { "a", "b" } }
    local ok, err = cache.cache_set("config", t)
    t.retry = 99 -- changing the script's table afterwards does not change the cached copy
    return ok, err, cache.cache_get("config")`, { services });
  assert.deepEqual([ok, err, got], ['OK', null, { retry: 3, hosts: ['a', 'b'] }]);
  const [other, missing] = await runLua(`
    local cache = require("nauthilus_cache")
    return cache.cache_get("config").hosts[2], tostring(cache.cache_get("nope"))`, { services });
  assert.deepEqual([other, missing], ['b', 'nil']);
});

test('exists, delete, keys, size and flush', async () => {
  const r = await runLua(`
    local cache = require("nauthilus_cache")
    cache.cache_set("a", 1)
    cache.cache_set("b", true)
    local keys = cache.cache_keys()
    table.sort(keys)
    local before = { cache.cache_exists("a"), cache.cache_size(), table.concat(keys, ",") }
    local deleted, again = cache.cache_delete("a"), cache.cache_delete("a")
    local after = { cache.cache_exists("a"), cache.cache_size() }
    cache.cache_flush()
    return before, deleted, again, after, cache.cache_size()`);
  assert.deepEqual(r, [[true, 2, 'a,b'], true, false, [false, 1], 0]);
});

test('push appends (promoting a single value to a list) and pop_all empties the key', async () => {
  const r = await runLua(`
    local cache = require("nauthilus_cache")
    local n1 = cache.cache_push("failed", { user = "alice", ip = "192.0.2.1" })
    local n2 = cache.cache_push("failed", { user = "bob" })
    local batch = cache.cache_pop_all("failed")
    cache.cache_set("single", "first")
    local n3 = cache.cache_push("single", "second")
    local promoted = cache.cache_pop_all("single")
    cache.cache_set("one", 7)
    return n1, n2, batch, cache.cache_exists("failed"), n3, promoted, cache.cache_pop_all("one"), #cache.cache_pop_all("none")`);
  assert.deepEqual(r, [1, 2, [{ user: 'alice', ip: '192.0.2.1' }, { user: 'bob' }], false, 2, ['first', 'second'], [7], 0]);
});

test('entries expire after their TTL; cache_update keeps the TTL', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
  t.after(() => mock.timers.reset());
  const services = testServices();
  await runLua(`
    local cache = require("nauthilus_cache")
    cache.cache_set("short", "x", 60)
    cache.cache_set("forever", "y", 0)
    cache.cache_set("counter", 1, 60)
    return cache.cache_update("counter", function(old) return old + 1 end)`, { services });
  mock.timers.tick(30_000);
  const [mid] = await runLua('return require("nauthilus_cache").cache_get("counter")', { services });
  assert.equal(mid, 2);
  mock.timers.tick(31_000);
  const r = await runLua(`
    local cache = require("nauthilus_cache")
    return tostring(cache.cache_get("short")), cache.cache_get("forever"), cache.cache_exists("counter"), cache.cache_size()`, { services });
  assert.deepEqual(r, ['nil', 'y', false, 1]);
});

test('functions cannot be stored (error return); wrong argument types raise', async () => {
  const [ok, err] = await runLua(`
    local cache = require("nauthilus_cache")
    return cache.cache_set("f", { cb = function() end })`);
  assert.equal(ok, null);
  assert.match(err as string, /cache_set: only strings, numbers, booleans and tables/);
  for (const [body, msg] of [
    ['cache.cache_get(1)', "bad argument #1 to 'cache_get' (string expected, got number)"],
    ['cache.cache_set("k", 1, "60")', "bad argument #3 to 'cache_set' (number expected or nil expected, got string)"],
    ['cache.cache_update("k", 1)', "bad argument #2 to 'cache_update' (function expected, got number)"],
  ]) {
    await assert.rejects(runLua(`local cache = require("nauthilus_cache")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.match(e.format(), /^test\.lua:4: /);
      assert.ok(e.format().includes(msg.replace(' expected or nil expected', ' or nil expected')), e.format());
      return true;
    });
  }
});
