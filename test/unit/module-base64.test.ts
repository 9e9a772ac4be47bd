// The `base64` module: Go's four encodings, binary safety, Go's error positions, encoders and decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('the four encodings encode and decode as Go does', async () => {
  const r = await runLua(`
    local b = require("base64")
    local tag = "this is a <tag> and should be encoded"
    return b.RawStdEncoding:encode_to_string("foo\\1bar"), b.StdEncoding:encode_to_string("foo\\1bar"),
      b.RawURLEncoding:encode_to_string(tag), b.URLEncoding:encode_to_string(tag),
      b.RawStdEncoding:decode_string("Zm9vAWJhcg") == "foo\\1bar", b.StdEncoding:decode_string("Zm9vAWJhcg==") == "foo\\1bar",
      b.RawURLEncoding:decode_string("dGhpcyBpcyBhIDx0YWc-IGFuZCBzaG91bGQgYmUgZW5jb2RlZA"),
      b.URLEncoding:decode_string("dGhpcyBpcyBhIDx0YWc-IGFuZCBzaG91bGQgYmUgZW5jb2RlZA=="),
      b.StdEncoding:encode_to_string(""), b.StdEncoding:decode_string("Zm9v\\r\\nYmFy")`);
  assert.deepEqual(r, [
    'Zm9vAWJhcg', 'Zm9vAWJhcg==', 'dGhpcyBpcyBhIDx0YWc-IGFuZCBzaG91bGQgYmUgZW5jb2RlZA',
    'dGhpcyBpcyBhIDx0YWc-IGFuZCBzaG91bGQgYmUgZW5jb2RlZA==', true, true,
    'this is a <tag> and should be encoded', 'this is a <tag> and should be encoded', '', 'foobar',
  ]);
});

test('every byte value survives a round trip (the module never crosses into JS)', async () => {
  const expected = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');
  const [enc, same, len] = await runLua(`
    local b = require("base64")
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local all = table.concat(t)
    local e = b.StdEncoding:encode_to_string(all)
    local d = b.StdEncoding:decode_string(e)
    return e, d == all, #d`);
  assert.deepEqual([enc, same, len], [expected, true, 256]);
});

test("bad input is an error return with Go's byte position", async () => {
  const r = await runLua(`
    local b = require("base64")
    local out = {}
    for _, c in ipairs({ { b.StdEncoding, "Zm9vAWJhcg" }, { b.RawStdEncoding, "Zm9vAWJhcg==" }, { b.StdEncoding, "Zm9v!A==" },
                        { b.StdEncoding, "Zg=" }, { b.StdEncoding, "Zg==x" } }) do
      local v, err = c[1]:decode_string(c[2])
      out[#out + 1] = tostring(v) .. "|" .. tostring(err)
    end
    return out`);
  assert.deepEqual(r[0], [
    'nil|illegal base64 data at input byte 8',
    'nil|illegal base64 data at input byte 10',
    'nil|illegal base64 data at input byte 4',
    'nil|illegal base64 data at input byte 3',
    'nil|illegal base64 data at input byte 4',
  ]);
});

test('new_encoding, new_encoder over a strings builder, new_decoder over a strings reader', async () => {
  const r = await runLua(`
    local b = require("base64")
    local strings = require("strings")
    local custom = b.new_encoding("ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba9876543210+/")
    local w = strings.new_builder()
    local enc = b.new_encoder(b.StdEncoding, w)
    enc:write("foo", "bar", "baz")
    enc:close()
    local dec = b.new_decoder(b.StdEncoding, strings.new_reader(b.StdEncoding:encode_to_string("foo\\nbar")))
    local l1, l2 = dec:read("*l"), dec:read("*l")
    local num = b.new_decoder(b.StdEncoding, strings.new_reader(b.StdEncoding:encode_to_string("123 456")))
    return custom:decode_string(custom:encode_to_string("hi!")), w:string(), l1, l2, num:read("*n"), num:read("*n")`);
  assert.deepEqual(r, ['hi!', 'Zm9vYmFyYmF6', 'foo', 'bar', 123, 456]);
});

test('wrong arguments raise Lua errors', async () => {
  for (const [body, msg] of [
    ['b.StdEncoding.encode_to_string("x")', "bad argument #1 to 'encode_to_string' (base64.Encoding expected)"],
    ['b.StdEncoding:decode_string(nil)', "bad argument #2 to 'decode_string' (string expected, got nil)"],
    ['b.new_encoding("abc")', "bad argument #1 to 'new_encoding' (encoder must have 64 characters)"],
  ]) {
    await assert.rejects(runLua(`local b = require("base64")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.ok(e.format().startsWith(`test.lua:4: ${msg}`), e.format());
      return true;
    });
  }
});
