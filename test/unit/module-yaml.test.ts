// The `yaml` module: decode and encode as gopher-lua-libs (Go yaml.v2, YAML 1.1) does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('decode gives Lua tables; YAML 1.1 booleans; timestamps stay strings; errors are returned', async () => {
  const r = await runLua(`
    local yaml = require("yaml")
    local v, err = yaml.decode("a:\\n  b: 1\\nlist: [1, two, yes, off]\\nwhen: 2024-01-02\\nnothing: ~\\n")
    local bad, e2 = yaml.decode("a: [1, 2")
    return v.a.b, v.list, v.when, tostring(v.nothing), err, tostring(bad), e2, yaml.decode("")`);
  assert.deepEqual(r.slice(0, 6), [1, [1, 'two', true, false], '2024-01-02', 'nil', null, 'nil']);
  assert.match(r[6] as string, /^yaml: Flow sequence/);
  assert.equal(r[7], null);
});

test('encode matches gopher-lua-libs output: sorted keys, unindented sequences, number keys', async () => {
  const r = await runLua(`
    local yaml = require("yaml")
    return yaml.encode({ a = { b = 1 } }), yaml.encode({ "foo", "bar", "baz" }), yaml.encode({ [0] = "foo", [1] = "bar", [2] = "baz" }),
      yaml.encode({ foo = "bar", bar = { 1, 2, 3.45 } }), yaml.encode({}), yaml.encode(nil), (yaml.encode({ s = "yes", t = true }))`);
  assert.deepEqual(r, [
    'a:\n  b: 1\n', '- foo\n- bar\n- baz\n', '0: foo\n1: bar\n2: baz\n', 'bar:\n- 1\n- 2\n- 3.45\nfoo: bar\n', '[]\n', 'null\n',
    's: "yes"\nt: true\n',
  ]);
});

test('functions and self-containing tables are error returns; no argument raises', async () => {
  const [fnErr, cycleErr] = await runLua(`
    local yaml = require("yaml")
    local _, e1 = yaml.encode({ f = function() end })
    local t1 = {}
    local t2 = { t1 = t1 }
    t1[t2] = t2
    local _, e2 = yaml.encode(t1)
    return e1, e2`);
  assert.equal(fnErr, 'cannot encode values with function in them');
  assert.match(cycleErr as string, /nested table/);
  await assert.rejects(runLua('local yaml = require("yaml")\nyaml.encode()\nreturn 1'), (e: Error & { format(): string }) => /test\.lua:4: bad argument #1 to 'encode' \(value expected\)/.test(e.format()));
  await assert.rejects(runLua('local yaml = require("yaml")\nyaml.decode()\nreturn 1'), (e: Error & { format(): string }) => /test\.lua:4: bad argument #1 to 'decode' \(string expected, got nil\)/.test(e.format()));
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): yaml.new_encoder separates later documents with ---; new_decoder reads one document per call', async () => {
  const r = await runLua(`
    local yaml, strings = require("yaml"), require("strings")
    local w = strings.new_builder()
    local enc = yaml.new_encoder(w)
    local e1 = enc:encode({ a = 1 })
    enc:encode({ "x", "y" })
    local d = yaml.new_decoder(strings.new_reader(w:string()))
    local first, second = d:decode(), d:decode()
    local none, eof = d:decode()
    local _, bad = pcall(yaml.new_decoder, 42)
    return w:string(), e1, first.a, second, tostring(none), eof, bad`);
  assert.deepEqual(r.slice(0, 6), ['a: 1\n---\n- x\n- "y"\n', null, 1, ['x', 'y'], 'nil', 'EOF']);
  assert.match(r[6] as string, /bad argument #1 to 'new_decoder' \(expected reader\)/);
});

test('yaml.v2 (gopher-lua-libs v0.7.0, Nauthilus 1.10): a repeated key is no error (the last wins) unless the decoder is strict', async () => {
  const r = await runLua(`
    local yaml, strings = require("yaml"), require("strings")
    local v = yaml.decode("k: 1\\nk: 2\\n")
    local d = yaml.new_decoder(strings.new_reader("k: 1\\nk: 2\\n"))
    d:set_strict(true)
    local none, err = d:decode()
    return v.k, tostring(none), err`);
  assert.equal(r[0], 2);
  assert.equal(r[1], 'nil');
  assert.match(r[2] as string, /^yaml: .*[Uu]nique|^yaml: .*key/);
});
