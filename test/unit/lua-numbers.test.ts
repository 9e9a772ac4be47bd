// Numbers as text at the host boundaries: Nauthilus 1.10 runs gopher-lua (Lua 5.1, every number a float64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { luaNumberText } from '../../engine/lua/go-number';

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): tostring(6/2) is "3"', async () => {
  const [a, b, c] = await runLua('return tostring(6/2), tostring(3), tostring(-0.0)');
  assert.deepEqual([a, b, c], ['3', '3', '0']);
});

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): string.format("%s", 10/2) is "5" and print/tostring agree', async () => {
  const [s, t] = await runLua('return string.format("%s|%s|%s", 10/2, 7, 2^53), ("%s"):format(1/4)');
  assert.equal(s, '5|7|9007199254740992');
  assert.equal(t, '0.25');
});

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): non-integral floats print as Go %v (1.5, 1e-05, 1.2345675e+06, 1e+21)', async () => {
  const [out] = await runLua('return table.concat({tostring(3/2), tostring(1/100000), tostring(1234567.5), tostring(1e21), tostring(2^63), tostring(-2^63), tostring(0.1+0.2)}, " ")');
  assert.equal(out, '1.5 1e-05 1.2345675e+06 1e+21 9.223372036854776e+18 -9223372036854775808 0.30000000000000004');
});

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): inf and nan print as Go does (+Inf, -Inf, NaN)', async () => {
  const [out] = await runLua('return tostring(1/0) .. " " .. tostring(-1/0) .. " " .. tostring(0/0)');
  assert.equal(out, '+Inf -Inf NaN');
});

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): string.format %d, %g, %.2f and %5.1f are unchanged by the number text', async () => {
  const [out] = await runLua('return string.format("%d %g %.2f %5.1f %x", 6/2, 6/2, 6/2, 2.25, 255)');
  assert.equal(out, '3 3 3.00   2.2 ff');
});

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): a script\'s tostring in its own environment and getmetatable(0) is nil', async () => {
  // each script runs in its own environment (script-env.lua): the number text is VM-wide, a script cannot change it
  const [a, b, c] = await runLua('local t = tostring; tostring = function(x) return "x" end; local r = t(8/4); tostring = t; return r, getmetatable(0), tostring(8/4)');
  assert.deepEqual([a, b, c], ['2', null, '2']);
});

test('Lua 5.4 difference that stays: `..` of a division keeps "3.0" (authstudio check warns about it)', async () => {
  const [out] = await runLua('return "k" .. 6/2');
  assert.equal(out, 'k3.0');
});

test('luaNumberText: gopher-lua LNumber.String for int64 edges', () => {
  assert.equal(luaNumberText(-(2 ** 63)), '-9223372036854775808');
  assert.equal(luaNumberText(2 ** 63), '9.223372036854776e+18');
  assert.equal(luaNumberText(1e20), '1e+20');
  assert.equal(luaNumberText(1e18), '1000000000000000000');
});
