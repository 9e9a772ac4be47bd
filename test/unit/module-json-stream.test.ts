// `json` encoder and decoder objects on readers and writers, as gopher-lua-libs v0.7.0 (Nauthilus 1.10) has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua, testServices } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): json.new_encoder writes one value and a newline per encode; set_indent indents as Go', async () => {
  const r = await runLua(`
    local json, strings = require("json"), require("strings")
    local w = strings.new_builder()
    local enc = json.new_encoder(w)
    local e1 = enc:encode({ 1, 2 })
    local e2 = enc:encode("a<b")
    enc:set_escape_HTML(false)
    enc:encode("&")
    local plain = w:string()
    local w2 = strings.new_builder()
    local enc2 = json.new_encoder(w2)
    enc2:set_indent(">", "  ")
    enc2:encode({ list = { 1, { x = true } }, empty = {} })
    local _, bad = pcall(json.new_encoder, {})
    local e3 = json.new_encoder(strings.new_builder()):encode({ f = function() end })
    return plain, e1, e2, w2:string(), bad, e3`);
  assert.equal(r[0], '[1,2]\n"a\\u003cb"\n"\\u0026"\n');
  assert.equal(r[1], null);
  assert.equal(r[2], null);
  const indented = r[3] as string;
  assert.ok(indented.endsWith('\n'));
  // an empty table is an array to gopher-lua-libs (json.encode below)
  assert.deepEqual(JSON.parse(indented.replace(/\n>/g, '\n')), { list: [1, { x: true }], empty: [] });
  assert.match(indented, /^\{\n> {2}"/);
  assert.match(indented, /\n> {4}1,\n> {4}\{\n> {6}"x": true\n> {4}\}\n/);
  assert.match(r[4] as string, /bad argument #1 to 'new_encoder' \(expected writer\)/);
  assert.equal(r[5], 'json: error calling MarshalJSON for type json.jsonValue: json: error calling MarshalJSON for type json.jsonValue: cannot encode function to JSON');
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): json.new_decoder reads value after value from a reader, then nil, "EOF"', async () => {
  const r = await runLua(`
    local json, strings = require("json"), require("strings")
    local d = json.new_decoder(strings.new_reader('{"a": {"b": 1}} [1, "x"]\\n 42 "\u00e9" '))
    local a = d:decode()
    local off = d:input_offset()
    local more = d:more()
    local b = d:decode()
    local n = d:decode()
    local s = d:decode()
    local more2 = d:more()
    local none, eof = d:decode()
    local _, bad = json.new_decoder(strings.new_reader("  }")):decode()
    local _, cut = json.new_decoder(strings.new_reader('{"a": [1, 2')):decode()
    return a.a.b, off, more, b, n, s, more2, tostring(none), eof, bad, cut, d:input_offset()`);
  assert.deepEqual(r.slice(0, 9), [1, 15, true, [1, 'x'], 42, '\u00e9', false, 'nil', 'EOF']);
  assert.equal(r[9], "invalid character '}' looking for beginning of value");
  assert.equal(r[10], 'unexpected EOF');
  assert.equal(r[11], 33); // bytes: the é counts two
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): a decoder reads a large stream through small reads of the reader', async () => {
  const [count, last] = await runLua(`
    local json = require("json")
    local items = {}
    for i = 1, 2000 do items[#items + 1] = '{"i":' .. i .. ',"pad":"' .. string.rep("x", 7) .. '"}' end
    local text, pos = table.concat(items, "\\n"), 1
    local reader = { read = function(self, n) if pos > #text then return nil end local c = text:sub(pos, pos + 2) pos = pos + 3 return c end }
    local d = json.new_decoder(reader)
    local count, last = 0
    while d:more() do
      local v, err = d:decode()
      assert(not err, err)
      count, last = count + 1, v.i
    end
    return count, last`);
  assert.equal(count, 2000);
  assert.equal(last, 2000);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): json.encode escapes <, > and & as Go json.Marshal does', async () => {
  const [text] = await runLua('local json = require("json")\nreturn json.encode({ "<a href=\\"x\\">&</a>" })');
  assert.equal(text, '["\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"]');
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): with lua_allow_io, encoders write to and decoders read from io files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-jsonio-'));
  const vm = await LuaVm.create({ poolName: 'jsonio', services: testServices({ baseDir: dir }), memoryLimitBytes: 16 << 20, allowIo: true });
  try {
    const script = await vm.loadScript('io.lua', `function run()
      local json, yaml = require("json"), require("yaml")
      local f = assert(io.open("out.json", "w"))
      local enc = json.new_encoder(f)
      enc:encode({ n = 1 })
      enc:encode({ n = 2 })
      f:close()
      local y = assert(io.open("out.yaml", "w"))
      yaml.new_encoder(y):encode({ k = "v" })
      y:close()
      local r = assert(io.open("out.json", "r"))
      local d = json.new_decoder(r)
      local a, b = d:decode(), d:decode()
      local _, eof = d:decode()
      r:close()
      local ry = assert(io.open("out.yaml", "r"))
      local doc = yaml.new_decoder(ry):decode()
      ry:close()
      return a.n, b.n, eof, doc.k
    end`, 2000);
    const r = await vm.evalEnv(script, 'run', new CallContext('jsonio'), 2000);
    assert.deepEqual(r, [1, 2, 'EOF', 'v']);
    assert.equal(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'), '{"n":1}\n{"n":2}\n');
  } finally {
    vm.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
