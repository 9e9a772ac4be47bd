// lua-plugins.d/dovecot/authstudio.lua in the harness, against a local stand-in for AuthStudio's JSON endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runDovecotScript, type DovecotLogin, type RunDovecotOptions } from '../../engine/dovecot';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { ROOT } from '../helpers/spawn-serve';

const BRIDGE = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio.lua');
let api: TestHttpServer;

before(async () => {
  api = await startHttpServer((req, res) => {
    const body = req.body ? JSON.parse(req.body) : {};
    const mode = new URL(req.url, 'http://x').searchParams.get('mode');
    res.setHeader('Content-Type', 'application/json');
    if (mode === 'list-accounts') return void res.end(JSON.stringify(['alice', 'bob', 'caf\u00e9']));
    if (body.username === 'broken') return void res.writeHead(500).end('{"ok":false}');
    if (body.username === 'garbled') return void res.end('{"ok": tru');
    if (body.username === 'disabled') return void res.writeHead(403, { 'Auth-Status': 'Account disabled' }).end('{}');
    if (mode === 'no-auth' ? body.username === 'alice' : body.username === 'alice' && body.password === 'alice "secret" \u00e9') {
      return void res.end(JSON.stringify({
        ok: true, account_field: 'account', backend: 'lua',
        attributes: { account: 'alice@example.test', groups: ['staff', 'imap'], quota: 1024, 'bad key': 'x', '': 'empty', note: 'line\nbreak \u2603' },
      }));
    }
    res.writeHead(403, { 'Auth-Status': 'Invalid login or password' }).end('{"ok":false}');
  });
});
after(() => api.close());

function bridge(login: Partial<DovecotLogin>, opts: Partial<RunDovecotOptions> = {}) {
  return runDovecotScript({
    file: BRIDGE, env: { AUTHSTUDIO_URL: `${api.url}/`, AUTHSTUDIO_AUTH: 'dovecot:bridge-pass' },
    login: { user: 'alice', password: 'alice "secret" \u00e9', remoteIp: '192.0.2.44', remotePort: 50123, localIp: '192.0.2.1', localPort: 993, session: 'sess1', secured: 'TLS', ...login },
    ...opts,
  });
}

test('a login POSTs the request fields as JSON with basic credentials; 200 is OK with the attributes as fields', async () => {
  const r = await bridge({});
  assert.equal(r.status, 'PASSDB_RESULT_OK');
  assert.equal(r.entry, 'auth_password_verify');
  assert.deepEqual(r.fields, { account: 'alice@example.test', groups: 'staff,imap', quota: '1024', note: 'line\nbreak \u2603' });
  const seen = api.requests.at(-1)!;
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/api/v1/auth/json');
  assert.equal(seen.headers.authorization, `Basic ${Buffer.from('dovecot:bridge-pass').toString('base64')}`);
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(seen.body), {
    username: 'alice', password: 'alice "secret" \u00e9', client_ip: '192.0.2.44', client_port: '50123', local_ip: '192.0.2.1',
    local_port: '993', service: 'imap', method: 'PLAIN', session: 'sess1', ssl: 'on',
  });
  assert.deepEqual(r.http.map((h) => h.requestHeaders.find(([k]) => k === 'Authorization')?.[1]), ['Basic ***']);
});

test('403 is PASSWORD_MISMATCH, or USER_DISABLED when Auth-Status says so; the client sees AUTHENTICATIONFAILED', async () => {
  const wrong = await bridge({ password: 'nope' });
  assert.equal(wrong.status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
  assert.equal(wrong.imap, 'NO [AUTHENTICATIONFAILED] Authentication failed.');
  const disabled = await bridge({ user: 'disabled' });
  assert.equal(disabled.status, 'PASSDB_RESULT_USER_DISABLED');
  assert.equal(disabled.failCode, 'user_disabled');
});

test('500, an unreadable answer or an unreachable engine are INTERNAL_FAILURE (a temporary failure), logged', async () => {
  const broken = await bridge({ user: 'broken', remoteIp: undefined, session: undefined });
  assert.equal(broken.outcome, 'tempfail');
  assert.deepEqual(broken.logs.map((l) => l.text), [`auth-worker: Error: lua(broken): passdb-lua: AuthStudio ${api.url}: HTTP 500 Internal Server Error`]);
  const garbled = await bridge({ user: 'garbled' });
  assert.equal(garbled.outcome, 'tempfail');
  assert.match(garbled.logs[0].text, /passdb-lua: AuthStudio answered invalid JSON/);
  const down = await bridge({}, { env: { AUTHSTUDIO_URL: 'http://127.0.0.1:1' } });
  assert.equal(down.outcome, 'tempfail');
  assert.match(down.logs[0].text, /HTTP 9003 connect\(127\.0\.0\.1:1\) failed: Connection refused$/);
});

test('userdb lookups use mode=no-auth without a password; iteration uses mode=list-accounts', async () => {
  const u = await bridge({ password: undefined }, { action: 'userdb' });
  assert.equal(u.status, 'USERDB_RESULT_OK');
  assert.equal(u.fields.account, 'alice@example.test');
  let seen = api.requests.at(-1)!;
  assert.equal(seen.url, '/api/v1/auth/json?mode=no-auth');
  assert.equal(JSON.parse(seen.body).password, undefined);
  const unknown = await bridge({ user: 'nobody' }, { action: 'userdb' });
  assert.equal(unknown.status, 'USERDB_RESULT_USER_UNKNOWN');
  const it = await bridge({}, { action: 'iterate' });
  assert.deepEqual(it.users, ['alice', 'bob', 'caf\u00e9']);
  seen = api.requests.at(-1)!;
  assert.equal(seen.url, '/api/v1/auth/json?mode=list-accounts');
  assert.equal(seen.headers.accept, 'application/json');
});

test('non-plaintext mechanisms cannot be checked by AuthStudio: SCHEME_NOT_AVAILABLE, and nothing is sent', async () => {
  const before = api.requests.length;
  const r = await bridge({ mech: 'CRAM-MD5' });
  assert.equal(r.status, 'PASSDB_RESULT_SCHEME_NOT_AVAILABLE');
  assert.equal(r.outcome, 'fail');
  assert.equal(api.requests.length, before);
});
