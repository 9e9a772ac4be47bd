// glua_http against a real local HTTP server: methods, headers, body, query, status, timeouts, refused ports, trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { CallContext } from '../../engine/lua/call-context';
import { freePort as closedPort } from '../helpers/free-port';

let srv: TestHttpServer;

before(async () => {
  srv = await startHttpServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/hang') return; // never answers
    if (path.startsWith('/status/')) {
      res.statusCode = Number(path.slice(8));
      return res.end(`status ${res.statusCode}`);
    }
    if (path === '/cookie') {
      res.setHeader('Set-Cookie', ['session=abc123; Path=/', 'theme=dark']);
      return res.end('cookies');
    }
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Reply', 'yes');
    res.end(JSON.stringify({ method: req.method, url: req.url, body: req.body, headers: req.headers }));
  });
});

after(() => srv.close());

test('every method reaches the server and returns status_code, body, body_size and headers', async () => {
  const [out] = await runLua(`
    local http = require("glua_http")
    local json = require("json")
    local out = {}
    for _, m in ipairs({"get", "post", "put", "delete", "patch"}) do
      local res, err = http[m]("${srv.url}/echo")
      out[#out + 1] = json.decode(res.body).method .. ":" .. res.status_code .. ":" .. tostring(err)
    end
    local r = http.request("options", "${srv.url}/echo")
    out[#out + 1] = json.decode(r.body).method
    local h = http.head("${srv.url}/echo")
    out[#out + 1] = "HEAD:" .. h.status_code .. ":" .. #h.body .. ":" .. h.headers["X-Reply"]
    return out`);
  assert.deepEqual(out, ['GET:200:nil', 'POST:200:nil', 'PUT:200:nil', 'DELETE:200:nil', 'PATCH:200:nil', 'OPTIONS', 'HEAD:200:0:yes']);
  assert.deepEqual(srv.requests.slice(-7).map((r) => r.method), ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
});

test('request headers and body reach the server; response headers come back with canonical names', async () => {
  const [ctype, reply, size, bodyLen, seen] = await runLua(`
    local http = require("glua_http")
    local res, err = http.post("${srv.url}/echo", {
      timeout = "10s",
      headers = { Accept = "*/*", ["User-Agent"] = "Nauthilus", ["Content-Type"] = "application/json", ["X-Num"] = 42 },
      body = '{"ip":"203.0.113.7","name":"Jörg"}',
    })
    require("nauthilus_util").if_error_raise(err)
    return res.headers["Content-Type"], res.headers["X-Reply"], res.body_size, #res.body, res.body`);
  assert.equal(ctype, 'application/json');
  assert.equal(reply, 'yes');
  assert.equal(size, bodyLen); // bytes, as in Go
  const echo = JSON.parse(seen as string);
  assert.equal(echo.body, '{"ip":"203.0.113.7","name":"Jörg"}');
  assert.equal(echo.headers['user-agent'], 'Nauthilus');
  assert.equal(echo.headers['content-type'], 'application/json');
  assert.equal(echo.headers['x-num'], '42');
});

test('query replaces the URL query as gluahttp does; form sets the urlencoded content type; cookies both ways', async () => {
  const [q1, q2, form, cookies] = await runLua(`
    local http = require("glua_http")
    local json = require("json")
    local a = json.decode(http.get("${srv.url}/q", { query = "a=b&c=d" }).body)
    local b = json.decode(http.get("${srv.url}/q?old=1", { query = "new=2" }).body)
    local f = json.decode(http.post("${srv.url}/f", { form = "x=1&y=2", cookies = { sid = "s1" } }).body)
    local c = http.get("${srv.url}/cookie")
    return a.url, b.url, f.headers["content-type"] .. "|" .. f.body .. "|" .. f.headers.cookie,
      c.cookies.session .. "," .. c.cookies.theme .. "|" .. c.headers["Set-Cookie"]`);
  assert.equal(q1, '/q?a=b&c=d');
  assert.equal(q2, '/q?new=2');
  assert.equal(form, 'application/x-www-form-urlencoded|x=1&y=2|sid=s1');
  assert.equal(cookies, 'abc123,dark|session=abc123; Path=/');
});

test('HTTP error statuses are responses, not errors', async () => {
  const [out] = await runLua(`
    local http = require("glua_http")
    local out = {}
    for _, code in ipairs({201, 404, 500, 503}) do
      local res, err = http.get("${srv.url}/status/" .. code)
      out[#out + 1] = res.status_code .. ":" .. res.body .. ":" .. tostring(err)
    end
    return out`);
  assert.deepEqual(out, ['201:status 201:nil', '404:status 404:nil', '500:status 500:nil', '503:status 503:nil']);
});

test('a server that never answers is an error return once the timeout passes (string and number timeouts)', async () => {
  const t0 = performance.now();
  const [r1, e1, r2, e2] = await runLua(`
    local http = require("glua_http")
    local r1, e1 = http.get("${srv.url}/hang", { timeout = "300ms" })
    local r2, e2 = http.post("${srv.url}/hang", { timeout = 0.2, body = "x" })
    return r1, e1, r2, e2`);
  const took = performance.now() - t0;
  assert.equal(r1, null);
  assert.match(e1 as string, /^GET http:\/\/127\.0\.0\.1:\d+\/hang: timeout after 300 ms/);
  assert.equal(r2, null);
  assert.match(e2 as string, /timeout after 200 ms/);
  assert.ok(took < 300 + 200 + 1500, `took ${took} ms`);
});

test('a refused connection and a bad URL are error returns', async () => {
  const port = await closedPort();
  const [r1, e1, r2, e2, r3, e3, r4, e4, r5, e5] = await runLua(`
    local http = require("glua_http")
    local r1, e1 = http.get("http://127.0.0.1:${port}/")
    local r2, e2 = http.get("not a url")
    local r3, e3 = http.get("ftp://127.0.0.1/")
    local r4, e4 = http.get("${srv.url}/", { timeout = "soon" })
    local r5, e5 = http.get("${srv.url}/", { body = "x" })
    return r1, e1, r2, e2, r3, e3, r4, e4, r5, e5`);
  assert.equal(r1, null);
  assert.match(e1 as string, /ECONNREFUSED/);
  assert.equal(r2, null);
  assert.match(e2 as string, /invalid URL/);
  assert.equal(r3, null);
  assert.match(e3 as string, /unsupported protocol scheme "ftp"/);
  assert.equal(r4, null);
  assert.match(e4 as string, /invalid timeout "soon"/);
  assert.equal(r5, null);
  assert.match(e5 as string, /a GET request cannot carry a body/);
});

test('request_batch runs requests together and reports errors per request', async () => {
  const port = await closedPort();
  const [codes, errs, allOk] = await runLua(`
    local http = require("glua_http")
    local res, errs = http.request_batch({
      {"get", "${srv.url}/status/200"},
      {"get", "http://127.0.0.1:${port}/"},
      {"post", "${srv.url}/status/201", {body = "x"}},
    })
    local ok, none = http.request_batch({{"get", "${srv.url}/status/204"}})
    return {res[1].status_code, res[2] == nil, res[3].status_code}, {errs[1] == nil, errs[2] ~= nil, errs[3] == nil}, ok[1].status_code == 204 and none == nil`);
  assert.deepEqual(codes, [200, true, 201]);
  assert.deepEqual(errs, [true, true, true]);
  assert.equal(allOk, true);
});

test('each call is recorded on the trace without credentials or secret query values', async () => {
  const call = new CallContext('trace-test', { recordEvents: true });
  const port = await closedPort();
  await runLua(`
    local http = require("glua_http")
    http.get("http://user:pw@127.0.0.1:${srv.port}/status/404?token=abc&user=x", { headers = { Authorization = "Bearer xyz" } })
    http.get("http://127.0.0.1:${port}/")
    http.get("${srv.url}/echo", { headers = { Authorization = "Bearer xyz", ["X-Api-Key"] = "abc" } })
    return 1`, { call });
  const http = call.events.filter((e) => e.kind === 'http');
  assert.equal(http.length, 3);
  assert.equal(http[0].detail.method, 'GET');
  assert.equal(http[0].detail.status, 404);
  assert.equal(http[0].detail.url, `http://127.0.0.1:${srv.port}/status/404?token=***&user=x`);
  assert.equal(typeof http[0].detail.duration_ms, 'number');
  assert.match(String(http[1].detail.error), /ECONNREFUSED/);
  // the answer's start is kept (the debugger's Host calls show it); credentials it echoes back are masked
  assert.equal(http[0].detail.body, 'status 404');
  assert.match(String(http[2].detail.body), /^\{"method":"GET","url":"\/echo"/);
  const text = JSON.stringify(call.events);
  assert.ok(!text.includes('pw@') && !text.includes('xyz') && !text.includes('abc'), text);
});

test('user info in the URL becomes Basic auth unless an Authorization header is given', async () => {
  const [basic, bearer] = await runLua(`
    local http = require("glua_http")
    local json = require("json")
    local a = json.decode(http.get("http://alice:s%3Acret@127.0.0.1:${srv.port}/echo").body)
    local b = json.decode(http.get("http://alice:x@127.0.0.1:${srv.port}/echo", { headers = { Authorization = "Bearer t" } }).body)
    return a.headers.authorization, b.headers.authorization`);
  assert.equal(basic, 'Basic ' + Buffer.from('alice:s:cret').toString('base64'));
  assert.equal(bearer, 'Bearer t');
});

test('wrong argument types raise errors naming the function and argument', async () => {
  await assert.rejects(runLua('return require("glua_http").get(nil)'), /bad argument #1 to 'get' \(string expected, got nil\)/);
  await assert.rejects(runLua('return require("glua_http").post("http://127.0.0.1/", "body")'), /bad argument #2 to 'post' \(table or nil expected, got string\)/);
  await assert.rejects(runLua('return require("glua_http").request("GET")'), /bad argument #2 to 'request'/);
});

test('the seed feature pattern works unchanged (dynamic_loader, post with JSON, decode the answer)', async () => {
  const [method, status] = await runLua(`
    dynamic_loader("nauthilus_gluahttp")
    local http = require("glua_http")
    dynamic_loader("nauthilus_gll_json")
    local json = require("json")
    local nauthilus_util = require("nauthilus_util")
    local payload = json.encode({ ip = "203.0.113.7" })
    local result, request_err = http.post(os.getenv("BLOCKLIST_URL"), {
      timeout = "10s",
      headers = { Accept = "*/*", ["User-Agent"] = "Nauthilus", ["Content-Type"] = "application/json" },
      body = payload,
    })
    nauthilus_util.if_error_raise(request_err)
    local response, err_jdec = json.decode(result.body)
    nauthilus_util.if_error_raise(err_jdec)
    return response.method, result.status_code`, { env: { BLOCKLIST_URL: `${srv.url}/blocklist` } });
  assert.equal(method, 'POST');
  assert.equal(status, 200);
});
