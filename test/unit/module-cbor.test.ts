// nauthilus_cbor (Nauthilus 3.0 lualib/cbor.go, encoding/cborcodec): our own vectors, checked against RFC 8949's
// encoding rules and cborcodec's deterministic mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

const HEX = `
local cbor = require("nauthilus_cbor")
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end
`;

test('Nauthilus 3.0: nauthilus_cbor.encode uses the shortest integer heads, float64, and sorts map keys (core deterministic)', async () => {
  const [out] = await runLua(`${HEX}
    local cases = { 0, 23, 24, 100, 1000, 1000000, -1, -1000, 1.5, "a", "", true, false, cbor.null, { 1, 2, 3 },
      { b = { 2, 3 }, a = 1 }, {}, cbor.bytes("\\1\\2"), { [2] = "x", [10] = "y" } }
    local out = {}
    for i = 1, 19 do local s, err = cbor.encode(cases[i]); out[i] = s and hex(s) or ("err:" .. tostring(err)) end
    return table.concat(out, " ")`);
  assert.deepEqual(String(out).split(' '), [
    '00', '17', '1818', '1864', '1903e8', '1a000f4240', '20', '3903e7', 'fb3ff8000000000000', '6161', '60', 'f5', 'f4', 'f6',
    '83010203', 'a2616101616282' + '0203', 'a0', '420102',
    // integer keys become their decimal text; "2" (61 32) sorts before "10" (62 31 30): shorter encodings first
    'a2' + '6132' + '6178' + '623130' + '6179',
  ]);
});

test('Nauthilus 3.0: nauthilus_cbor.decode reads what encode writes and refuses tags, indefinite lengths, duplicate keys and trailing bytes', async () => {
  const [round, halfInf, half1, dup, tag, indef, extra, badUtf8, bytes] = await runLua(`${HEX}
    local t = cbor.decode(cbor.encode({ user = "alice", n = 3, tags = { "x", "y" }, ok = true, ratio = 0.25 }))
    local round = t.user .. "," .. t.n .. "," .. table.concat(t.tags, "+") .. "," .. tostring(t.ok) .. "," .. tostring(t.ratio)
    local function err(h) local v, e = cbor.decode(unhex(h)) return tostring(v) .. "|" .. tostring(e) end
    return round, cbor.decode(unhex("f97c00")), cbor.decode(unhex("f93c00")), err("a2616101616102"), err("c001"), err("9f01ff"),
      err("0000"), err("62c328"), cbor.decode(unhex("420102")) == "\\1\\2"`);
  assert.equal(round, 'alice,3,x+y,true,0.25');
  assert.equal(halfInf, Infinity);
  assert.equal(half1, 1);
  assert.match(String(dup), /^nil\|cbor: found duplicate map key/);
  assert.match(String(tag), /^nil\|cbor: CBOR tag/);
  assert.match(String(indef), /^nil\|cbor: indefinite-length/);
  assert.equal(extra, 'nil|cbor: 1 bytes of extraneous data starting at index 1');
  assert.match(String(badUtf8), /^nil\|cbor: invalid UTF-8/);
  assert.equal(bytes, true);
});

test('Nauthilus 3.0: nauthilus_cbor.null decodes from CBOR null and encodes back to it; a table key must be a string or an integer', async () => {
  const [isNull, enc, badKey] = await runLua(`${HEX}
    local v = cbor.decode(unhex("f6"))
    local _, e = cbor.encode({ [1.5] = "x" })
    return v == cbor.null, hex((cbor.encode({ a = cbor.null }))), e`);
  assert.equal(isNull, true);
  assert.equal(enc, 'a16161f6');
  assert.match(String(badKey), /CBOR map number key must be an integer: 1.5/);
});
