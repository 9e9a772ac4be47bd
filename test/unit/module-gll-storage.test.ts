// The `storage` module: gopher-lua-libs v0.7.0's key-value store ("memory" driver) as Nauthilus 1.10 bundles it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): storage set/get/keys/dump keep JSON values; a missing key is nil, false', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_storage")
    local storage = require("storage")
    local s, err = storage.open("mem-test-1.json")
    local n = select("#", s:set("a", { x = 1, list = { "p", "q" } }))
    s:set("b", "text", 60)
    s:set("c", 42, nil)
    local a, found = s:get("a")
    local none, nfound = s:get("zzz")
    local keys = s:keys()
    table.sort(keys)
    local d = s:dump()
    local s2 = storage.open("mem-test-1.json")
    local b2 = s2:get("b")
    return err, n, a.x, a.list[2], found, none, nfound, table.concat(keys, ","), d.b, d.c, b2, s:sync(), s:close()`);
  assert.deepEqual(r, [null, 0, 1, 'q', true, null, false, 'a,b,c', 'text', 42, 'text', null]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): storage errors: driver, TTL type, value that JSON cannot hold, not a store', async () => {
  const r = await runLua(`
    local storage = require("storage")
    local none, derr = storage.open("x", "redis")
    local s = storage.open("mem-test-2")
    local ok, terr = pcall(s.set, s, "k", 1, "soon")
    local eerr = s:set("f", function() end)
    local ok2, uerr = pcall(s.get, {}, "k")
    return none, derr, ok, terr, type(eerr), ok2, uerr`);
  assert.deepEqual(r.slice(0, 3), [null, 'driver not found', false]);
  assert.match(String(r[3]), /bad argument #4 to 'set' \(must be integer or nil\)/);
  assert.equal(r[4], 'string');
  assert.equal(r[5], false);
  assert.match(String(r[6]), /bad argument #1 to 'get' \(storage_ud excepted\)/);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): with lua_allow_io the store is the library\'s JSON file; without it no file is made', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-storage-'));
  try {
    await runLua(`
      local s = require("storage").open("db.json")
      s:set("user", { name = "alice" })
      return s:close()`, { allowIo: true, baseDir: dir });
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8'));
    assert.equal(Buffer.from(doc.data.user.value, 'base64').toString(), '{"name":"alice"}');
    assert.equal(typeof doc.data.user.max_valid_at, 'number');

    // a file written by another process (Go's layout) is read on open
    const other = path.join(dir, 'other.json');
    const far = (BigInt(Date.now()) * 1_000_000n + 3_600_000_000_000n).toString();
    fs.writeFileSync(other, `{"data":{"k":{"value":"${Buffer.from('[1,2]').toString('base64')}","max_valid_at":${far}},"old":{"value":"MQ==","max_valid_at":1}}}`);
    const r = await runLua('local s = require("storage").open("other.json"); local v = s:get("k"); return v[2], s:get("old")', { allowIo: true, baseDir: dir });
    assert.deepEqual(r, [2, null, false]); // an entry past max_valid_at is gone

    await runLua('local s = require("storage").open("nofile.json"); s:set("a", 1); return s:sync()', { baseDir: dir });
    assert.equal(fs.existsSync(path.join(dir, 'nofile.json')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
