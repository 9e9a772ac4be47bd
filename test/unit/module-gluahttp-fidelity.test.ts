// glua_http as cjoudrey/gluahttp (the commit Nauthilus 1.10 pins): http.response objects, auth, binary bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';

let srv: TestHttpServer;
// every byte value, a \0 first, then bytes that are not UTF-8
const BINARY = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x41, 0]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

before(async () => {
  srv = await startHttpServer((req, res) => {
    if (req.url === '/binary') {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(BINARY);
    } else if (req.url === '/echo-raw') {
      res.end(req.raw);
    } else {
      res.setHeader('Set-Cookie', 'sid=abc; Path=/');
      res.setHeader('X-Reply', 'yes');
      res.end(`auth=${req.headers.authorization ?? ''}`);
    }
  });
});
after(() => srv.close());

test('gluahttp (Nauthilus 1.10): a response is an http.response object: fields through __index, a fresh headers table per read, no fields set', async () => {
  const r = await runLua(`
    local http = require("glua_http")
    local res = http.get("${srv.url}/plain")
    local h = res.headers
    h["X-Reply"] = "changed"
    local set_ok, set_err = pcall(function() res.status_code = 500 end)
    return type(http.response), type(http.response.__index), getmetatable(res).__name, res.status_code, res.headers["X-Reply"],
      res.cookies.sid, res.body_size, tostring(res.nothing), set_ok, tostring(set_err), next(res) == nil`);
  assert.deepEqual(r.slice(0, 9), ['table', 'function', 'http.response', 200, 'yes', 'abc', 5, 'nil', false]);
  assert.match(r[9] as string, /cannot set field 'status_code' of an http\.response/);
  assert.equal(r[10], true);
});

test('gluahttp (Nauthilus 1.10): auth = {user, pass} sends Basic auth; headers.Authorization wins over it; a nil field is an error return', async () => {
  const r = await runLua(`
    local http = require("glua_http")
    local a = http.get("${srv.url}/plain", { auth = { user = "alice", pass = "s3cret" } })
    local b = http.get("${srv.url}/plain", { auth = { user = "alice", pass = "x" }, headers = { Authorization = "Bearer t" } })
    local c = http.get("http://bob:pw@127.0.0.1:${srv.port}/plain", { auth = { user = "alice", pass = 42 } })
    local none, err = http.get("${srv.url}/plain", { auth = { user = "alice" } })
    local none2, err2 = http.post("${srv.url}/plain", { auth = { user = false, pass = "x" } })
    return a.body, b.body, c.body, tostring(none), err, tostring(none2), err2`);
  assert.deepEqual(r, [
    `auth=Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
    'auth=Bearer t',
    `auth=Basic ${Buffer.from('alice:42').toString('base64')}`,
    'nil', 'auth table must contain no nil user and pass fields',
    'nil', 'auth table must contain no nil user and pass fields',
  ]);
});

test('gluahttp (Nauthilus 1.10): binary bodies round-trip byte for byte (\\0 and bytes that are not UTF-8), in responses and requests', async () => {
  const before = srv.requests.length;
  const r = await runLua(`
    local http = require("glua_http")
    local res = http.get("${srv.url}/binary")
    local body = res.body
    local sent = http.post("${srv.url}/echo-raw", { body = body })
    local form = http.post("${srv.url}/echo-raw", { form = "a=\\0\\255" })
    local text = http.post("${srv.url}/echo-raw", { body = "h\\195\\169llo" })
    return #body, res.body_size, body:byte(1), body:byte(2), body:sub(-1):byte(), sent.body == body, #form.body, form.body:byte(4), text.body`);
  assert.deepEqual(r, [BINARY.length, BINARY.length, 0, 0xff, 0xff, true, 4, 0xff, 'h\u00e9llo']);
  const seen = srv.requests.slice(before).filter((q) => q.url === '/echo-raw');
  assert.ok(seen[0].raw.equals(BINARY), 'the server got the binary body byte for byte');
  assert.deepEqual([...seen[1].raw], [0x61, 0x3d, 0, 0xff]);
  assert.equal(seen[1].headers['content-type'], 'application/x-www-form-urlencoded');
});

test('gluahttp (Nauthilus 1.10): request_batch gives http.response objects with binary bodies intact, and errors in order', async () => {
  const r = await runLua(`
    local http = require("glua_http")
    local rs, errs = http.request_batch({ { "get", "${srv.url}/binary" }, { "get", "${srv.url}/plain", { auth = { user = "u" } } } })
    return getmetatable(rs[1]).__name, rs[1].body_size, #rs[1].body, tostring(rs[2]), errs[2]`);
  assert.deepEqual(r, ['http.response', BINARY.length, BINARY.length, 'nil', 'auth table must contain no nil user and pass fields']);
});
