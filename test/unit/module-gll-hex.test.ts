// The `hex` module (gopher-lua-libs v0.7.0 as Nauthilus 1.10 pins it): Go's encoding/hex texts and streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): hex.encode_to_string and decode_string round-trip every byte', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_hex")
    local hex = require("hex")
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local all = table.concat(t)
    local e = hex.encode_to_string(all)
    return hex.encode_to_string("Mail!"), hex.decode_string("4D61696c21"), e, hex.decode_string(e) == all, hex.encode_to_string("")`);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');
  assert.deepEqual(r, ['4d61696c21', 'Mail!', all, true, '']);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): hex.decode_string errors are nil plus Go's text", async () => {
  const r = await runLua(`
    local hex = require("hex")
    local out = {}
    for _, s in ipairs({ "abc", "zz", "a\\1", "0g", "ab\\233" }) do
      local v, err = hex.decode_string(s)
      out[#out + 1] = tostring(v) .. "|" .. err
    end
    return table.unpack(out)`);
  assert.deepEqual(r, [
    'nil|encoding/hex: odd length hex string',
    "nil|encoding/hex: invalid byte: U+007A 'z'",
    'nil|encoding/hex: invalid byte: U+0001',
    "nil|encoding/hex: invalid byte: U+0067 'g'",
    "nil|encoding/hex: invalid byte: U+00E9 'é'",
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): hex.new_encoder writes to a builder, new_decoder reads a reader', async () => {
  const r = await runLua(`
    local hex, strings = require("hex"), require("strings")
    local b = strings.new_builder()
    local enc = hex.new_encoder(b)
    enc:write("ab", "c")
    enc:close()
    local dec = hex.new_decoder(strings.new_reader("6f6b21"))
    local ok, err = pcall(hex.new_encoder, 42)
    return b:string(), dec:read("*a"), ok, err:match("expected writer") ~= nil`);
  assert.deepEqual(r, ['616263', 'ok!', false, true]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): hex.encode_to_string of a table is an argument error', async () => {
  await assert.rejects(runLua('return require("hex").encode_to_string({})'), /bad argument #1 to 'encode_to_string' \(string expected, got table\)/);
});
