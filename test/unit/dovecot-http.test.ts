// dovecot.http.client in the harness against real local servers: requests, responses, option rules, 9xxx statuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript } from '../../engine/dovecot';
import { httpUrlError, HTTP_ERRORS } from '../../engine/dovecot/dovecot-http';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';

let srv: TestHttpServer;
let raw: net.Server;
let rawPort: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot-http-'));
let n = 0;

before(async () => {
  srv = await startHttpServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 400);
    res.setHeader('X-Test', 'yes');
    res.writeHead(req.url === '/401' ? 401 : 207, req.url === '/401' ? 'Nope' : 'Multi-Status');
    res.end(`payload:${req.body}`);
  });
  // answers garbage or hangs up, for the transport failure statuses
  raw = net.createServer((sock) => {
    sock.once('data', (d) => {
      if (d.toString().startsWith('GET /garbage')) sock.end('HELLO garbage\r\n\r\n');
      else sock.destroy();
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  rawPort = (raw.address() as net.AddressInfo).port;
});
after(async () => {
  await srv.close();
  raw.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Run `body` inside auth_passdb_lookup; it returns a table of strings as the fields. */
async function lua(body: string, opts: { displayPath?: string } = {}) {
  const file = path.join(dir, `h${++n}.lua`);
  fs.writeFileSync(file, `local URL = "${srv.url}"\nlocal RAW = "http://127.0.0.1:${rawPort}"\nfunction auth_passdb_lookup(req)\n${body}\nend\n`);
  return runDovecotScript({ file, displayPath: opts.displayPath, login: { user: 'alice', password: 'secret', remoteIp: '192.0.2.5' } });
}

const SHOW = `local function show(r) return { nopassword = "y", status = r:status(), t = math.type(r:status()), reason = r:reason(),
  hdr = r:header("x-test"), missing = "[" .. r:header("X-Nope") .. "]", payload = r:payload() } end`;

test('a request reaches the server with its method, headers and Date; the response has status, reason, header, payload', async () => {
  const r = await lua(`${SHOW}
    local c = dovecot.http.client { user_agent = "probe/1", max_attempts = 1 }
    local q = c:request { url = URL .. "/dav/", method = "PROPFIND" }
    q:add_header("Authorization", "Basic YWxpY2U6c2VjcmV0")
    q:add_header("X-Gone", "1")
    q:add_header("X-Number", 5)
    q:remove_header("x-gone")
    return 1, show(q:submit())`);
  assert.deepEqual(r.fields, { status: '207', t: 'integer', reason: 'Multi-Status', hdr: 'yes', missing: '[]', payload: 'payload:' });
  const seen = srv.requests.at(-1)!;
  assert.equal(seen.method, 'PROPFIND');
  assert.equal(seen.headers['user-agent'], 'probe/1');
  assert.equal(seen.headers['x-number'], '5');
  assert.equal(seen.headers['x-gone'], undefined);
  assert.ok(seen.headers.date, 'Dovecot sends a Date header');
  assert.deepEqual(r.http.map((h) => [h.method, h.status, h.reason]), [['PROPFIND', 207, 'Multi-Status']]);
  assert.deepEqual(r.http[0].requestHeaders[0], ['Authorization', 'Basic ***'], 'credentials never reach the trace');
});

test('a non-empty payload goes with Expect: 100-continue and Content-Length; an empty one without Expect', async () => {
  const r = await lua(`${SHOW}
    local c = dovecot.http.client {}
    local q = c:request { url = URL .. "/p", method = "POST" }
    q:set_payload("hello")
    local e = c:request { url = URL .. "/e", method = "POST" }
    e:set_payload("")
    e:submit()
    return 1, show(q:submit())`);
  assert.equal(r.fields.payload, 'payload:hello');
  const [empty, full] = srv.requests.slice(-2);
  assert.equal(full.headers.expect, '100-continue');
  assert.equal(full.headers['content-length'], '5');
  assert.equal(empty.headers.expect, undefined);
  assert.equal(empty.headers['content-length'], '0');
});

test('transport failures are statuses >= 9000 with Dovecot\'s reasons, never Lua errors', async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const r = await lua(`
    local c = dovecot.http.client { request_timeout_msecs = 100 }
    local function st(u) local x = c:request { url = u }:submit() return x:status() .. " " .. x:reason() end
    return 1, { nopassword = "y", refused = st("http://127.0.0.1:${closed}/"), lost = st(RAW .. "/close"),
      bad = st(RAW .. "/garbage"), slow = st(URL .. "/slow") }`);
  assert.equal(r.fields.refused, `9003 connect(127.0.0.1:${closed}) failed: Connection refused`);
  assert.match(r.fields.lost, /^9005 Connection lost: /);
  assert.match(r.fields.bad, /^9007 /);
  assert.match(r.fields.slow, /^9008 Request timed out \(Request queued 0\.\d+ secs ago/);
  assert.equal(HTTP_ERRORS.HOST_LOOKUP_FAILED, 9002);
});

test('client options: unknown keys are ignored (timeout keeps the 60 s default), wrong types are Lua errors', async () => {
  const ignored = await lua(`${SHOW}
    local c = dovecot.http.client { timeout = 50, max_attempts = 1 }
    return 1, show(c:request { url = URL .. "/slow" }:submit())`);
  assert.equal(ignored.fields.payload, 'late', 'an unknown `timeout` does not cut a 400 ms answer');
  for (const [opts, message] of [
    ['{ max_attempts = "3" }', 'Invalid HTTP client setting: max_attempts: non-negative number expected'],
    ['{ max_attempts = -1 }', 'Invalid HTTP client setting: max_attempts: non-negative number expected'],
    ['{ request_timeout_msecs = 1.5 }', 'Invalid HTTP client setting: request_timeout_msecs: non-negative number expected'],
    ['{ debug = "yes" }', 'Invalid HTTP client setting: debug: boolean expected'],
    ['{ user_agent = 5 }', 'Invalid HTTP client setting: user_agent: string expected'],
    ['{ proxy_url = "ftp://x" }', 'Invalid HTTP client setting: proxy_url is invalid: Not an HTTP URL'],
    ['"x"', "bad argument #1 to 'client' (table expected, got string)"],
  ]) {
    const r = await lua(`dovecot.http.client(${opts})\nreturn 1, "nopassword=y"`);
    assert.equal(r.outcome, 'tempfail', opts);
    assert.ok(r.logs[0].text.includes(`failed: ${message.startsWith('bad') ? '' : message}`), `${opts}: ${r.logs[0].text}`);
    assert.ok(r.logs[0].text.includes(message), `${opts}: ${r.logs[0].text}`);
  }
});

test('request errors: add_header with nil, argument counts, bad URLs (texts and tracebacks as Dovecot logs them)', async () => {
  const nilHeader = await lua(`local q = dovecot.http.client{}:request { url = URL }\nq:add_header("X-Forwarded-For", req.remote_port_nope)\nreturn 1, ""`, { displayPath: '/etc/dovecot/lua/h.lua' });
  assert.deepEqual(nilHeader.logs.map((l) => l.text), [
    "auth-worker: Error: lua(alice,192.0.2.5): db-lua: lua_pcall(auth_passdb_lookup, 1, 2) failed: /etc/dovecot/lua/h.lua:5: bad argument #2 to 'add_header' (string expected, got nil)",
    'auth-worker: Error: stack traceback:',
    "auth-worker: Error: \t[C]: in method 'add_header'",
    "auth-worker: Error: \t/etc/dovecot/lua/h.lua:5: in function 'auth_passdb_lookup'",
  ]);
  for (const [body, message] of [
    ['dovecot.http.client{}:request{ url = URL }:add_header("X")', 'failed: expected 3 arguments, got 2'],
    ['dovecot.http.client{}:request{}', 'failed: cannot create request: url not specified'],
    ['dovecot.http.client{}:request{ url = "not a url" }', 'failed: Failed to parse url not a url: Relative HTTP URL not allowed'],
    ['dovecot.http.client{}:request{ url = URL, method = {} }', "bad argument #-2 to 'request' (string expected, got table)"],
    ['dovecot.http.client{}:request{ url = URL }:set_payload(nil)', "bad argument #1 to 'set_payload' (string expected, got nil)"],
  ]) {
    const r = await lua(`${body}\nreturn 1, "nopassword=y"`);
    assert.ok(r.logs[0].text.includes(message), `${body}: ${r.logs[0].text}`);
  }
});

test('URL rules follow Dovecot\'s http_url_parse', () => {
  assert.equal(httpUrlError('http://127.0.0.1:8080/x?y=1'), undefined);
  assert.equal(httpUrlError('https://user:pw@example.test/dav/'), undefined);
  assert.equal(httpUrlError('http://[::1]:8080/'), undefined);
  assert.equal(httpUrlError('ftp://x/'), 'Not an HTTP URL');
  assert.equal(httpUrlError('http://'), 'HTTP URL does not allow empty host identifier');
  assert.equal(httpUrlError('http://a b/'), 'Invalid host identifier');
  assert.equal(httpUrlError('http://h:99999/'), 'Invalid port number');
  assert.equal(httpUrlError('http://h/?q=a b'), 'Query component contains invalid character');
  assert.equal(httpUrlError('http://h/#frag'), 'URL fragment not allowed for HTTP URL in this context');
});
