// `http` (gopher-lua-libs 0.7, Nauthilus 1.10's nauthilus_gll_http) against a real local HTTP server: client
// options, request objects, do_request results and errors, cookies, redirects, the URL helpers.
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
    if (path === '/login') {
      res.setHeader('Set-Cookie', ['sid=s3cr3t; Path=/']);
      return res.end('logged in');
    }
    if (path === '/moved') {
      res.statusCode = 302;
      res.setHeader('Location', '/landing');
      return res.end();
    }
    if (path.startsWith('/status/')) {
      res.statusCode = Number(path.slice(8));
      return res.end(`status ${res.statusCode}`);
    }
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Reply', 'yes');
    res.end(JSON.stringify({ method: req.method, url: req.url, body: req.body, headers: req.headers }));
  });
});
after(() => srv.close());

test('Nauthilus 1.10 (gopher-lua-libs http): dynamic_loader("nauthilus_gll_http"), http.request + client:do_request return code, body and headers', async () => {
  const [code, body, ctype, reply] = await runLua(`
    dynamic_loader("nauthilus_gll_http")
    local http = require("http")
    local client = http.client()
    local req = http.request("POST", "${srv.url}/api?x=1", '{"user":"alice"}')
    req:header_set("content-type", "application/json")
    req:header_set("x-api-key", 42)
    local res, err = client:do_request(req)
    if err then error(err) end
    return res.code, res.body, res.headers["Content-Type"], res.headers["X-Reply"]`);
  assert.equal(code, 200);
  assert.equal(ctype, 'application/json');
  assert.equal(reply, 'yes');
  const seen = JSON.parse(String(body));
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/api?x=1');
  assert.equal(seen.body, '{"user":"alice"}');
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.equal(seen.headers['x-api-key'], '42');
  assert.equal(seen.headers['user-agent'], 'gopher-lua');
});

test('Nauthilus 1.10 (gopher-lua-libs http): client options user_agent, headers and basic auth win over the request; a GET body is sent; no Content-Type is implied', async () => {
  const [body] = await runLua(`
    local http = require("http")
    local client = http.client({ user_agent = "authstudio-test", headers = { ["x-tenant"] = "t1" }, basic_auth_user = "svc", basic_auth_password = "pw", timeout = 5 })
    local req = http.request("GET", "${srv.url}/get", "payload")
    req:header_set("X-Tenant", "from-request")
    req:set_basic_auth("ignored", "ignored")
    local res, err = client:do_request(req)
    if err then error(err) end
    return res.body`);
  const seen = JSON.parse(String(body));
  assert.equal(seen.headers['user-agent'], 'authstudio-test');
  assert.equal(seen.headers['x-tenant'], 't1');
  assert.equal(seen.headers.authorization, 'Basic ' + Buffer.from('svc:pw').toString('base64'));
  assert.equal(seen.body, 'payload');
  assert.equal(seen.headers['content-type'], undefined);
});

test('Nauthilus 1.10 (gopher-lua-libs http): a client keeps cookies (Go cookie jar) and follows redirects; a non-2xx status is a result, not an error', async () => {
  const [landing, cookie, status, errNil] = await runLua(`
    local http = require("http")
    local client = http.client()
    assert(client:do_request(http.request("GET", "${srv.url}/login")))
    local moved = client:do_request(http.request("GET", "${srv.url}/moved"))
    local seen = require("json").decode(moved.body)
    local res, err = client:do_request(http.request("GET", "${srv.url}/status/503"))
    return seen.url, seen.headers.cookie, res.code, err == nil`);
  assert.equal(landing, '/landing');
  assert.equal(cookie, 'sid=s3cr3t');
  assert.equal(status, 503);
  assert.equal(errNil, true);
});

test('Nauthilus 1.10 (gopher-lua-libs http): failures come back as (nil, err) in Go\'s wording; bad options raise', async () => {
  const port = await closedPort();
  const call = new CallContext('s', { recordEvents: true });
  const [refusedRes, refused, timeout, scheme, badMethod, optErr, notReq] = await runLua(`
    local http = require("http")
    local res, err = http.client():do_request(http.request("GET", "http://127.0.0.1:${port}/x"))
    local _, terr = http.client({ timeout = 1 }):do_request(http.request("GET", "${srv.url}/hang"))
    local _, serr = http.client():do_request(http.request("GET", "ftp://example.test/x"))
    local _, merr = http.request("BAD METHOD", "${srv.url}/")
    local ok, oerr = pcall(http.client, { timeout = "10s" })
    local ok2, rerr = pcall(http.client().do_request, http.client(), {})
    return tostring(res), err, terr, serr, merr, oerr, rerr`, { call });
  assert.equal(refusedRes, 'nil');
  assert.equal(refused, `Get "http://127.0.0.1:${port}/x": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  assert.equal(timeout, `Get "${srv.url}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  assert.equal(scheme, 'Get "ftp://example.test/x": unsupported protocol scheme "ftp"');
  assert.equal(badMethod, 'net/http: invalid method "BAD METHOD"');
  assert.match(String(optErr), /bad argument #1 to 'client' \(timeout must be number\)/);
  assert.match(String(notReq), /bad argument #2 to 'do_request' \(http request expected\)/);
  assert.ok(call.events?.some((e) => e.kind === 'http'), 'requests show in the trace');
});

test('Nauthilus 1.10 (gopher-lua-libs http): query_escape, query_unescape, parse_url and build_url as Go net/url', async () => {
  const r = await runLua(`
    local http = require("http")
    local u = http.parse_url("https://bob:pw@example.test:8443/a%20b/c?x=1&x=2&y=hello+world")
    local bad, berr = http.query_unescape("%zz")
    local built = http.build_url({ scheme = "https", host = "example.test", path = "/p q", query = { b = { "2" }, a = { "x y", "&" } } })
    return http.query_escape("a b&c/é"), http.query_unescape("a+b%26c"), u.scheme, u.host, u.port, u.path, u.raw_query,
      u.user.username, u.user.password, table.concat(u.query.x, ","), u.query.y[1], tostring(bad), berr, built,
      http.build_url({ host = "h", user = { username = "u" } })`);
  assert.deepEqual(r, [
    'a+b%26c%2F%C3%A9', 'a b&c', 'https', 'example.test:8443', '8443', '/a b/c', 'x=1&x=2&y=hello+world',
    'bob', 'pw', '1,2', 'hello world', 'nil', 'invalid URL escape "%zz"',
    'https://example.test/p%20q?a=x+y&a=%26&b=2',
    '//u:nil@h', // gopher-lua-libs reads a missing password as the string "nil" (LNil.String()); Nauthilus does the same
  ]);
});

test('http.server, serve_static and file_request load but answer (nil, err): scripts do not serve HTTP or upload host files', async () => {
  const r = await runLua(`
    local http = require("http")
    local s, e1 = http.server("127.0.0.1:0")
    local f, e2 = http.file_request("${srv.url}/", { fieldname = "f", path = "/etc/passwd" })
    return tostring(s), e1, tostring(f), e2`);
  assert.equal(r[0], 'nil');
  assert.match(String(r[1]), /http\.server is not available in AuthStudio/);
  assert.equal(r[2], 'nil');
  assert.match(String(r[3]), /http\.file_request is not available/);
  assert.equal(srv.requests.some((q) => q.body.includes('root:')), false);
});

test('Nauthilus 1.10 (gopher-lua-libs v0.7.0): nauthilus_gll_http also preloads http_client and http_util, http\'s client functions and URL helpers', async () => {
  const [same, escaped, parsedHost, clientFns] = await runLua(`
    dynamic_loader("nauthilus_gll_http")
    local http, http_client, http_util = require("http"), require("http_client"), require("http_util")
    local u = http_util.parse_url("http://user:pw@example.test:8080/p?q=1")
    local fns = {}
    for k, v in pairs(http_client) do fns[#fns + 1] = k .. "=" .. type(v) end
    table.sort(fns)
    return http_util.build_url == http.build_url and http_client.request == http.request,
      http_util.query_escape("a b&c"), u.host, table.concat(fns, ",")`);
  assert.equal(same, true);
  assert.equal(escaped, 'a+b%26c');
  assert.equal(parsedHost, 'example.test:8080');
  assert.equal(clientFns, 'client=function,file_request=function,request=function');
});
