// Numbers as text at the host boundaries: Nauthilus 1.10 runs gopher-lua (Lua 5.1, every number a float64).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { CallContext } from '../../engine/lua/call-context';
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

test('Nauthilus 1.10 (gopher-lua string.format is Go fmt.Sprintf): %d of 7/2 is "3", %x of 255.9 is "ff", %d of -7/2 is "-3"', async () => {
  const [out, pct] = await runLua('return string.format("%d|%5i|%x|%d|%s|%.1f", 7/2, 9.99, 255.9, -7/2, 7/2, 7/2), ("%d%%"):format(99.5)');
  assert.equal(out, '3|    9|ff|-3|3.5|3.5');
  assert.equal(pct, '99%');
});

test('Nauthilus 1.10 (gopher-lua string.format is Go fmt.Sprintf): %g is Go\'s shortest text (1/3 is 0.3333333333333333, 1234567 is 1.234567e+06); %.3g stays C\'s', async () => {
  const [out] = await runLua('return string.format("%g|%g|%g|%-4g|%6g|%G|%.3g|%g%%", 1/3, 1234567, 6/2, 2, 0.5, 1e-7, 1/3, 50)');
  assert.equal(out, '0.3333333333333333|1.234567e+06|3|2   |   0.5|1E-07|0.333|50%');
});

test('string.format errors still name \'format\' and point at the script line', async () => {
  for (const [src, msg] of [
    ['local s = string.format("%d", "x")\nreturn s', "bad argument #2 to 'format' (number expected, got string)"],
    ['local s = string.format("%d %d", 1.5, {})\nreturn s', "bad argument #3 to 'format' (number expected, got table)"],
  ]) {
    await assert.rejects(runLua(src), (e: Error & { location?: { file: string; line?: number } }) => {
      assert.equal(e.message, msg);
      assert.deepEqual(e.location, { file: 'test.lua', line: 3 });
      return true;
    });
  }
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

test('Nauthilus 1.10 (gopher-lua, Lua 5.1): tostring of 3000 random floats equals Go\'s strconv \'g\' text (go-number.ts)', async () => {
  const values: number[] = [0.1, 0.2 + 0.1, 1 / 3, 2 / 3, 5e-324, 1.7976931348623157e308, 123456.7, 999999.5, 1e-4, 1.5e-5, -2.5e-7, 1e21, 1e22 / 3];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 3000; i++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20));
  const lua = `local v = {${values.map((v) => v.toPrecision(17)).join(',')}} local out = {} for i, x in ipairs(v) do out[i] = tostring(x) end return table.concat(out, " ")`;
  const [out] = await runLua(lua);
  const got = String(out).split(' ');
  values.forEach((v, i) => assert.equal(got[i], luaNumberText(v), `tostring(${v.toPrecision(17)})`));
});

test('luaNumberText: gopher-lua LNumber.String for int64 edges', () => {
  assert.equal(luaNumberText(-(2 ** 63)), '-9223372036854775808');
  assert.equal(luaNumberText(2 ** 63), '9.223372036854776e+18');
  assert.equal(luaNumberText(1e20), '1e+20');
  assert.equal(luaNumberText(1e18), '1000000000000000000');
});

let srv: TestHttpServer;
before(async () => {
  srv = await startHttpServer((req, res) => res.end(JSON.stringify({ headers: req.headers, url: req.url })));
});
after(() => srv.close());

test('gopher-lua-libs v0.7.0 yaml (Nauthilus 1.10): yaml.encode writes 6/2 as 3 and other floats with strconv \'g\' (1.2345675e+06, .inf)', async () => {
  const [out] = await runLua('return require("yaml").encode({a = 6/2, b = 1.5, c = 1234567.5, d = 1/0, e = {10/5}})');
  assert.equal(out, 'a: 3\nb: 1.5\nc: 1.2345675e+06\nd: .inf\ne:\n- 2\n');
});

test('gopher-lua-libs v0.7.0 json (Nauthilus 1.10): json.encode writes 6/2 as 3 (encoding/json of a float64)', async () => {
  const [out] = await runLua('return require("json").encode({n = 6/2, list = {9/3, 0.5}, big = 1e21})');
  assert.deepEqual(JSON.parse(String(out)), { n: 3, list: [3, 0.5], big: 1e21 });
  assert.match(String(out), /"n":3[,}]/);
  assert.match(String(out), /"list":\[3,0\.5\]/);
});

test('gopher-lua-libs v0.7.0 template (Nauthilus 1.10, mustache via gluamapper float64 and fmt.Sprint): {{n}} of 6/2 is 3, 1234567 is 1.234567e+06', async () => {
  const [out] = await runLua('local t = require("template").choose("mustache"); return t:render("{{a}} {{b}} {{c}} {{d}}", {a = 6/2, b = 2.5, c = 1234567, d = 1/100000})');
  assert.equal(out, '3 2.5 1.234567e+06 1e-05');
});

test('Nauthilus 1.10: custom_log_add of 6/2 logs 3 (a float64 in slog\'s text handler: strconv \'g\')', async () => {
  const call = new CallContext('numbers', { recordEvents: true });
  await runLua('nauthilus_builtin.custom_log_add("avg", 6/2); nauthilus_builtin.custom_log_add("big", 1234567); nauthilus_builtin.custom_log_add("third", 1/3); nauthilus_builtin.custom_log_add(10/2, "v"); return 0', { call });
  assert.deepEqual(call.customLogs, [['avg', '3'], ['big', '1.234567e+06'], ['third', '0.3333333333333333'], ['5', 'v']]);
});

test('Nauthilus 1.10 nauthilus_util.print_result: a result value of 6/2 is logged as 3', async () => {
  const call = new CallContext('numbers', { recordEvents: true });
  await runLua('require("nauthilus_util").print_result({log_format = "logfmt"}, {caller = "t", rate = 6/2}); return 0', { call });
  const line = JSON.stringify(call.events);
  assert.match(line, /rate=3[ "]/);
  assert.doesNotMatch(line, /rate=3\.0/);
});

test('cjoudrey/gluahttp (Nauthilus 1.10): glua_http header and cookie values of 6/2 are sent as "3", 1234567.5 as "1.2345675e+06" (LValue.String)', async () => {
  const [body] = await runLua(`local http = require("glua_http")
    local res, err = http.get("${srv.url}/h", { headers = { ["X-Count"] = 6/2, ["X-Big"] = 2469135/2 }, cookies = { n = 8/2 } })
    return res and res.body or err`);
  const seen = JSON.parse(String(body)) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-count'], '3');
  assert.equal(seen.headers['x-big'], '1.2345675e+06');
  assert.equal(seen.headers.cookie, 'n=4');
});

test('gopher-lua-libs v0.7.0 http (Nauthilus 1.10): request header and body of 6/2 are "3"', async () => {
  const [body] = await runLua(`local http = require("http")
    local req = http.request("POST", "${srv.url}/g", 6/2)
    req:header_set("X-Half", 6/2)
    local res, err = http.client():do_request(req)
    return res and res.body or err`);
  const seen = JSON.parse(String(body)) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-half'], '3');
  assert.equal(seen.headers['content-length'], '1');
});

test('Nauthilus 1.10 nauthilus_http_response: a header or body of 6/2 is written as "3" (CheckString of a number)', async () => {
  const call = new CallContext('numbers', { recordEvents: true });
  call.stage = 'hook';
  call.httpRequest = { method: 'GET', path: '/x', query: {}, headers: {}, body: '' } as unknown as CallContext['httpRequest'];
  await runLua('local w = require("nauthilus_http_response"); w.set_http_response_header("X-N", 6/2); w.set_http_response_header("X-Big", 2469135/2); w.write_http_response_body(9/3); return 0', { call });
  assert.deepEqual([call.httpResponse?.headers, call.httpResponse?.body], [{ 'x-n': ['3'], 'x-big': ['1.2345675e+06'] }, '3']);
});
