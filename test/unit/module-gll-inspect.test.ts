// The `inspect` module (the dump gopher-lua-libs v0.7.0 bundles, as Nauthilus 1.10 loads it): format and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): inspect prints sequences inline and other keys sorted on their own lines', async () => {
  const [a, b, c, d] = await runLua(`
    dynamic_loader("nauthilus_gll_inspect")
    local inspect = require("inspect")
    return inspect({ 1, 2, "three" }), inspect({ user = "alice", [5] = true, ["x-y"] = 1, 10, ok = false }),
      inspect({ { "a", "b" } }, { newline = "", indent = "" }), inspect("plain")`);
  assert.equal(a, '{ 1, 2, "three" }');
  assert.equal(b, '{ 10,\n  [5] = true,\n  ok = false,\n  user = "alice",\n  ["x-y"] = 1\n}');
  assert.equal(c, '{ { "a", "b" } }');
  assert.equal(d, '"plain"');
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): inspect escapes strings, marks shared tables and cycles, honours depth', async () => {
  const [a, b, c, d] = await runLua(`
    local inspect = require("inspect")
    local shared = { 1 }
    local cyc = {}
    cyc.self = cyc
    return inspect('say "hi"\\n\\0' .. "1\\1"), inspect({ shared, shared }), inspect(cyc), inspect({ a = { b = { c = 1 } } }, { depth = 1 })`);
  assert.equal(a, `'say "hi"\\n\\0001\\1'`);
  assert.equal(b, '{ <1>{ 1 }, <table 1> }');
  assert.equal(c, '<1>{\n  self = <table 1>\n}');
  assert.equal(d, '{\n  a = {...}\n}');
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): inspect shows metatables, numbers functions, and applies process', async () => {
  const [a, b, c] = await runLua(`
    local inspect = require("inspect")
    local t = setmetatable({ x = 1 }, { __index = {} })
    local f = function() end
    local hidden = inspect({ user = "bob", password = "secret" }, {
      process = function(item, path) if path[#path] == "password" then return nil end return item end })
    return inspect(t), inspect({ f, f, print }), hidden`);
  assert.equal(a, '{\n  x = 1,\n  <metatable> = {\n    __index = {}\n  }\n}');
  assert.equal(b, '{ <function 1>, <function 1>, <function 2> }');
  assert.equal(c, '{\n  user = "bob"\n}');
});
