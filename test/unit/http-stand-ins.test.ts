// AUTHSTUDIO_HTTP_STANDINS: a script calling a fixed internet host (e.g. a password-breach range API) reaches a local
// server speaking the same protocol instead, through both HTTP clients; the trace says a stand-in answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { CallContext } from '../../engine/lua/call-context';
import { parseStandIns, standInFor } from '../../engine/lua/http-stand-ins';

let srv: TestHttpServer;
before(async () => {
  srv = await startHttpServer((req, res) => res.end(`stand-in saw ${req.method} ${req.url}`));
});
after(() => srv.close());

const env = () => ({ AUTHSTUDIO_HTTP_STANDINS: `https://range.example.invalid=${srv.url}/base/, https://other.example.invalid:8443=${srv.url}` });

test('glua_http: a request for a stood-in origin reaches the local server with its path and query; the trace keeps the script URL', async () => {
  const call = new CallContext('s', { recordEvents: true });
  const [body, err] = await runLua(`
    local http = require("glua_http")
    local res, err = http.get("https://range.example.invalid/range/5BAA6?mode=padding")
    if res == nil then return nil, err end
    return res.body
  `, { env: env(), call });
  assert.equal(err, undefined);
  assert.equal(body, 'stand-in saw GET /base/range/5BAA6?mode=padding');
  const detail = call.events.find((e) => e.kind === 'http')?.detail ?? {};
  assert.equal(detail.url, 'https://range.example.invalid/range/5BAA6?mode=padding');
  assert.equal(detail.stand_in, srv.url);
});

test('gopher-lua-libs http: client:do_request goes to the stand-in too; an origin with another port is a different origin', async () => {
  const [a, b] = await runLua(`
    local http = require("http")
    local c = http.client({ timeout = 5 })
    local r1, e1 = c:do_request(http.request("POST", "https://other.example.invalid:8443/x", "body"))
    local r2, e2 = c:do_request(http.request("GET", "https://other.example.invalid/x"))
    return r1 and r1.body or e1, r2 and r2.body or e2
  `, { env: env() });
  assert.equal(a, 'stand-in saw POST /x');
  assert.notEqual(b, 'stand-in saw GET /x', 'https://other.example.invalid (port 443) has no stand-in');
});

test('a malformed AUTHSTUDIO_HTTP_STANDINS is an error naming the variable and the pair, never a request to the real host', async () => {
  const before = srv.requests.length;
  const [res, err] = await runLua(`
    local http = require("glua_http")
    return http.get("https://range.example.invalid/range/5BAA6")
  `, { env: { AUTHSTUDIO_HTTP_STANDINS: 'https://range.example.invalid->http://127.0.0.1:1' } });
  assert.equal(res ?? undefined, undefined);
  assert.match(String(err), /AUTHSTUDIO_HTTP_STANDINS: "https:\/\/range\.example\.invalid->http:\/\/127\.0\.0\.1:1" is not ORIGIN=URL/);
  assert.equal(srv.requests.length, before);
  assert.throws(() => parseStandIns('ftp://x=http://127.0.0.1:1'), /only http and https URLs/);
  assert.equal(standInFor(new URL('https://range.example.invalid/x'), () => undefined), undefined);
});
