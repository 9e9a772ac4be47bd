// The `strings` module: gopher-lua-libs' functions with Go semantics, readers and builders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('split, fields, prefixes, suffixes and contains follow Go', async () => {
  const r = await runLua(`
    local s = require("strings")
    return s.split("hello world", " "), s.split("a,b,,c", ","), s.split("", ","), s.split("héllo", ""),
      s.fields("  a \\t b\\nc  "), s.has_prefix("hello world", "hello"), s.has_prefix("he", "hello"),
      s.has_suffix("hello world", "world"), s.has_suffix("x", ""), s.contains("hello world", "o w"), s.contains("abc", "d"),
      s.split(12345, 3)`);
  assert.deepEqual(r, [
    ['hello', 'world'], ['a', 'b', '', 'c'], [''], ['h', 'é', 'l', 'l', 'o'], ['a', 'b', 'c'],
    true, false, true, true, true, false, ['12', '45'],
  ]);
});

test('trim family removes cut sets (UTF-8 aware), prefixes and suffixes', async () => {
  const r = await runLua(`
    local s = require("strings")
    local str = "hello world"
    return s.trim(str, "world"), s.trim(str, "hello "), s.trim_prefix(str, "hello "), s.trim_suffix(str, "hello "),
      s.trim("¡¡¡Hello, Gophers!!!", "!¡"), s.trim_left("xxhixx", "x"), s.trim_right("xxhixx", "x"),
      s.trim_space(" \\t padded \\n"), s.trim_suffix("report.lua", ".lua")`);
  assert.deepEqual(r, ['hello ', 'world', 'world', 'hello world', 'Hello, Gophers', 'hixx', 'xxhi', 'padded', 'report']);
});

test('replace, join, case, count, repeat and equal_fold', async () => {
  const r = await runLua(`
    local s = require("strings")
    return s.replace("oink oink oink", "k", "ky", 2), s.replace("oink oink oink", "oink", "moo"), s.replace("ab", "", "-"),
      s.join({ "a", "b", 3 }, ", "), s.to_upper("mixed Case"), s.to_lower("MiXed"), s.count("cheese", "e"), s.count("five", ""),
      s["repeat"]("ab", 3), s.equal_fold("Go", "GO")`);
  assert.deepEqual(r, ['oinky oinky oink', 'moo moo moo', '-a-b-', 'a, b, 3', 'MIXED CASE', 'mixed', 3, 5, 'ababab', true]);
});

test('new_reader reads by count, line and all; new_builder collects writes; strings stay binary safe', async () => {
  const r = await runLua(`
    local s = require("strings")
    local rd = s.new_reader("first\\r\\nsecond\\n42 rest")
    local a = rd:read("*l")
    local b = rd:read("*l")
    local n = rd:read("*n")
    local c = rd:read(3)
    local d = rd:read("*a")
    local e = rd:read(1)
    local bld = s.new_builder()
    bld:write("a", "b")
    bld.write("c")
    local bin = s.split("x\\0y\\255z", "\\0")
    return a, b, n, c, d, tostring(e), bld:string(), bld.string(), #bin[1], #bin[2]`);
  assert.deepEqual(r, ['first', 'second', 42, ' re', 'st', 'nil', 'abc', 'abc', 1, 3]);
});

test('wrong argument types raise Lua errors at the script line', async () => {
  for (const [body, msg] of [
    ['s.split(nil, ",")', "bad argument #1 to 'split' (string expected, got nil)"],
    ['s.has_prefix("a", {})', "bad argument #2 to 'has_prefix' (string expected, got table)"],
    ['s.join("a")', "bad argument #1 to 'join' (table expected, got string)"],
  ]) {
    await assert.rejects(runLua(`local s = require("strings")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.ok(e.format().startsWith(`test.lua:4: ${msg}`), e.format());
      return true;
    });
  }
});
