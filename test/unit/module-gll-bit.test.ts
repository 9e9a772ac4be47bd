// The `bit` module (gopher-lua-libs v0.7.0 as Nauthilus 1.10 pins it): uint32 operations and Go's error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): bit operations work on uint32 values', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_bit")
    local bit = require("bit")
    return bit.band(111, 222), bit.bor(111, 222), bit.bxor(111, 222), bit.lshift(0xFF, 8), bit.rshift(0xFF, 1),
      bit.bnot(65536), bit.lshift(0x80000001, 1), bit.lshift(1, 40), bit.band(7.9, 3)`);
  assert.deepEqual(r, [78, 255, 177, 65280, 127, 4294901759, 2, 0, 3]);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): bit refuses negative and too large values with Go's text", async () => {
  const r = await runLua(`
    local bit = require("bit")
    local a, e1 = bit.band(-3, 23)
    local b, e2 = bit.bor(123, 4294967296)
    local c, e3 = bit.bnot(-1)
    local d, e4 = bit.rshift(-10, "not checked")
    return tostring(a) .. "|" .. e1, tostring(b) .. "|" .. e2, tostring(c) .. "|" .. e3, tostring(d) .. "|" .. e4`);
  assert.deepEqual(r, [
    'nil|cannot convert negative int -3 to uint32',
    'nil|int 4294967296 overflows uint32',
    'nil|cannot convert negative int -1 to uint32',
    'nil|cannot convert negative int -10 to uint32',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): bit.band of a string is an argument error', async () => {
  await assert.rejects(runLua('return require("bit").band(1, "2")'), /bad argument #2 to 'band' \(number expected, got string\)/);
});
