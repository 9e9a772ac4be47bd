// json.encode as gopher-lua-libs v0.7.0's json module (Nauthilus 1.10 preloads it) writes through Go's encoding/json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

/** json.encode of each Lua expression: "text" or "error: <err>". */
async function encodeAll(...exprs: string[]): Promise<string[]> {
  const body = exprs.map((e) => `do local s, err = json.encode(${e}); out[#out + 1] = s or ("error: " .. tostring(err)) end`).join('\n');
  const [joined] = await runLua(`local json = require("json")\nlocal out = {}\n${body}\nreturn table.concat(out, "\\n")`);
  return String(joined).split('\n');
}

const P = 'json: error calling MarshalJSON for type json.jsonValue: ';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): an empty table encodes as [], as {} once json.tableIsObject marked it or json.decode made it', async () => {
  assert.deepEqual(await encodeAll(
    '{}', '(function() local t = {} json.tableIsObject(t) return t end)()', 'json.decode("{}")', 'json.decode("[]")',
    'json.decode(\'{"a":{},"b":[],"c":{"d":{}}}\')', '{ empty = {} }',
  ), ['[]', '{}', '{}', '[]', '{"a":{},"b":[],"c":{"d":{}}}', '{"empty":[]}']);
});

test('Nauthilus 1.10 json.decode: objects carry the __jsonTableIsObject metatable, arrays none', async () => {
  const r = await runLua(`
    local json = require("json")
    local v = json.decode('{"o":{"x":1},"a":[1]}')
    local mt = getmetatable(v)
    -- (scripts get a copy of a host metatable from getmetatable: compare contents, not identity)
    return type(mt), mt and mt.__jsonTableIsObject, getmetatable(v.a) == nil, getmetatable(v.o).__jsonTableIsObject, v.o.x, rawget(v, "o") ~= nil`);
  assert.deepEqual(r, ['table', true, true, true, 1, true]);
});

test('Go encoding/json (Nauthilus 1.10 json.encode): object keys in byte order, strings HTML-escaped, invalid UTF-8 as \\ufffd', async () => {
  assert.deepEqual(await encodeAll(
    '{ b = 1, a = { c = 2, B = 3 }, ["<"] = "&", ["Z"] = true, ["é"] = 0, ["_"] = false }',
    '"a\\u{2028}b\\u{2029}\\0\\x1f\\x7f\\b\\f\\n\\r\\t\\"\\\\/"',
    '"\\xff\\xe2\\x82x\\xed\\xa0\\x80"', '"é€😀"',
  ), [
    '{"\\u003c":"\\u0026","Z":true,"_":false,"a":{"B":3,"c":2},"b":1,"é":0}',
    '"a\\u2028b\\u2029\\u0000\\u001f\x7f\\b\\f\\n\\r\\t\\"\\\\/"',
    '"\\ufffd\\ufffd\\ufffdx\\ufffd\\ufffd\\ufffd"', '"é€😀"',
  ]);
});

test('Go encoding/json (Nauthilus 1.10 json.encode): numbers are float64 in Go\'s shortest form', async () => {
  assert.deepEqual(await encodeAll('3', '6/2', '-0.0', '0.1', '123.456', '1e20', '1e21', '1.5e-7', '1e-6', '2^53', '2^63', '-2.5e-300', 'math.maxinteger'), [
    '3', '3', '-0', '0.1', '123.456', '100000000000000000000', '1e+21', '1.5e-7', '0.000001', '9007199254740992', '9223372036854776000',
    '-2.5e-300', '9223372036854776000',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): NaN and infinities are Go\'s "unsupported value" errors, one MarshalJSON prefix per table level', async () => {
  assert.deepEqual(await encodeAll('0/0', '1/0', '-1/0', '{ x = { 0/0 } }'), [
    `error: ${P}json: unsupported value: NaN`, `error: ${P}json: unsupported value: +Inf`, `error: ${P}json: unsupported value: -Inf`,
    `error: ${P}${P}${P}json: unsupported value: NaN`,
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): sparse arrays and mixed keys are errors', async () => {
  assert.deepEqual(await encodeAll('{ 1, 2, nil, 4 }', '{ [2] = 1 }', '{ 1, 2, x = 1 }', '{ [true] = 1 }', '{ a = 1, [1] = 2 }', '{ [1.5] = 1 }', '{ { 1, [3] = 3 } }'), [
    `error: ${P}cannot encode sparse array`, `error: ${P}cannot encode sparse array`, `error: ${P}cannot encode mixed or invalid key types`,
    `error: ${P}cannot encode mixed or invalid key types`, `error: ${P}cannot encode mixed or invalid key types`, `error: ${P}cannot encode sparse array`,
    `error: ${P}${P}cannot encode sparse array`,
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): functions cannot be encoded; a table met twice is "recursively nested", even side by side', async () => {
  assert.deepEqual(await encodeAll(
    'print', '{ print }', '{ { { f = print } } }', 'coroutine.create(print)',
    '(function() local t = {} t.self = t return t end)()', '(function() local s = { 1 } return { a = s, b = s } end)()',
    '{ { 1 }, { 1 } }',
  ), [
    `error: ${P}cannot encode function to JSON`, `error: ${P}${P}cannot encode function to JSON`, `error: ${P}${P}${P}${P}cannot encode function to JSON`,
    `error: ${P}cannot encode thread to JSON`, `error: ${P}${P}cannot encode recursively nested tables to JSON`,
    `error: ${P}${P}cannot encode recursively nested tables to JSON`, '[[1],[1]]',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): deep nesting encodes; json.encode() without a value raises', async () => {
  const [deep, err] = await runLua(`
    local json = require("json")
    local t = "x"
    for i = 1, 100 do t = { t } end
    local ok, e = pcall(json.encode)
    return json.encode(t), e`);
  assert.equal(deep, `${'['.repeat(100)}"x"${']'.repeat(100)}`);
  assert.match(String(err), /bad argument #1 to encode \(value expected\)/);
});

test('Go encoding/json (Nauthilus 1.10 json.encode): 3000 random float64 of every magnitude in Go\'s shortest form', async () => {
  // Go's float64 text and JavaScript's String(n) agree: shortest digits, exponent below 1e-6 and from 1e21 on
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const numbers = Array.from({ length: 3000 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 60 - 30));
  const [joined] = await runLua(`local json = require("json")
    local src = {${numbers.map((n) => String(n)).join(',')}}
    local out = {}
    for i, n in ipairs(src) do out[i] = json.encode(n) end
    return table.concat(out, " ")`, { timeoutMs: 30000 });
  const got = String(joined).split(' ');
  const wrong = numbers.map((n, i) => [String(n), got[i]]).filter(([want, have]) => want !== have);
  assert.deepEqual(wrong.slice(0, 5), []);
});
