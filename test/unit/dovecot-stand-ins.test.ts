// Stand-ins for Dovecot scripts: the harness' urlMap and AUTHSTUDIO_HTTP_STANDINS send a script's requests to a local
// server while the script, its trace and its logs keep the URL it asked for; the studio's Nextcloud WebDAV stand-in
// (stand-in.json) answers like Nextcloud; the generated dovecot.*/req completion data matches the harness; two harness
// fixes found on the way (2.4 client without settings, os.getenv of an unset variable).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript } from '../../engine/dovecot';
import { DovecotStandIns, parseStandIn } from '../../engine/studio/dovecot-stand-ins';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { ROOT } from '../helpers/spawn-serve';

const SAMPLE = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'nextcloud');
const SEED = path.join(SAMPLE, 'auth-httpbasic.lua');
const LOGIN = { user: 'alice', password: 'alice-app-password', remoteIp: '192.0.2.7' };

let srv: TestHttpServer;
before(async () => {
  srv = await startHttpServer((req, res) => res.writeHead(req.headers.authorization ? 207 : 401).end());
});
after(() => srv.close());

test('urlMap: the unchanged seed script reaches the local server; its call records the Nextcloud URL it asked for', async () => {
  const r = await runDovecotScript({ file: SEED, login: LOGIN, urlMap: { 'https://nextcloud.example.com': srv.url } });
  assert.equal(r.status, 'PASSDB_RESULT_OK');
  assert.equal(r.http[0].url, 'https://nextcloud.example.com/remote.php/dav/');
  assert.equal(srv.requests.at(-1)!.url, '/remote.php/dav/');
  assert.equal(srv.requests.at(-1)!.method, 'PROPFIND');
  assert.ok(r.notes.includes(`https://nextcloud.example.com/remote.php/dav/ was answered by the stand-in at ${srv.url}/remote.php/dav/`), r.notes.join('\n'));
});

test('AUTHSTUDIO_HTTP_STANDINS works for Dovecot scripts as for the engine\'s HTTP modules', async () => {
  const r = await runDovecotScript({ file: SEED, login: LOGIN, env: { AUTHSTUDIO_HTTP_STANDINS: `https://nextcloud.example.com=${srv.url}` } });
  assert.equal(r.status, 'PASSDB_RESULT_OK');
  assert.equal(r.http[0].url, 'https://nextcloud.example.com/remote.php/dav/');
});

test('Nextcloud stand-in: 207 for a known app password, 401 for a wrong one or none, 405 for other methods', async () => {
  const standIns = new DovecotStandIns();
  try {
    const map = await standIns.urlMapFor(SAMPLE, 'dovecot/nextcloud');
    const base = map['https://nextcloud.example.com'];
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const propfind = (auth?: string) => fetch(`${base}/remote.php/dav/`, { method: 'PROPFIND', headers: auth ? { authorization: auth } : {} });
    assert.equal((await propfind(basic('alice', 'alice-app-password'))).status, 207);
    assert.equal((await propfind(basic('alice', 'bob-app-password'))).status, 401);
    assert.equal((await propfind()).status, 401);
    assert.equal((await fetch(`${base}/remote.php/dav/`)).status, 405);
    assert.deepEqual(await standIns.urlMapFor(SAMPLE, 'dovecot/nextcloud'), map, 'the same file keeps the same server');
  } finally {
    await standIns.close();
  }
});

test('stand-in.json mistakes name the file and the key', () => {
  const rel = 'dovecot/x/stand-in.json';
  const cases: Array<[string, RegExp, string]> = [
    ['{', /not JSON/, rel],
    ['{"kind":"ldap","origin":"https://a.example","app_passwords":{}}', /kind must be one of nextcloud-webdav/, `${rel}#kind`],
    ['{"kind":"nextcloud-webdav","origin":"https://a.example/dav","app_passwords":{}}', /origin must be a scheme and host without a path/, `${rel}#origin`],
    ['{"kind":"nextcloud-webdav","origin":"https://a.example","app_passwords":{"alice":7}}', /app_passwords\.alice must be a string/, `${rel}#app_passwords.alice`],
  ];
  for (const [text, message, where] of cases) {
    assert.throws(() => parseStandIn(text, rel), (e: Error & { path?: string }) => message.test(e.message) && e.message.startsWith(rel) && e.path === where);
  }
});

test('Dovecot 2.4: dovecot.http.client({}) with no settings is a client with the defaults (not a harness error)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-dv-empty-'));
  try {
    const file = path.join(dir, 's.lua');
    fs.writeFileSync(file, 'local c = dovecot.http.client({})\nfunction auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_OK, { nopassword = "y" } end\n');
    const r = await runDovecotScript({ file, dovecot: '2.4', login: LOGIN });
    assert.equal(r.status, 'PASSDB_RESULT_OK', JSON.stringify(r.logs));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the editor\'s Dovecot API data is what the harness provides (gen-dovecot-api.js --check), per version', () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'gen-dovecot-api.js'), '--check'], { cwd: ROOT, stdio: 'pipe' });
  const data = JSON.parse(fs.readFileSync(path.join(ROOT, 'renderer', 'src', 'generated', 'dovecot-api.json'), 'utf8')) as Record<string, Array<{ name: string; profiles: string[] }>>;
  const profilesOf = (list: string, name: string) => data[list].find((x) => x.name === name)?.profiles;
  assert.deepEqual(profilesOf('req_fields', 'service'), ['2.3'], 'Dovecot 2.4 renamed req.service');
  assert.deepEqual(profilesOf('req_fields', 'protocol'), ['2.4']);
  assert.deepEqual(profilesOf('req_fields', 'remote_ip'), ['2.3', '2.4']);
  assert.deepEqual(profilesOf('auth', 'PASSDB_RESULT_OK'), ['2.3', '2.4']);
  assert.deepEqual(profilesOf('dovecot', 'i_info'), ['2.3', '2.4']);
  assert.deepEqual(data.methods.map((m) => m.name).sort(), ['add_header', 'header', 'payload', 'reason', 'remove_header', 'request', 'set_payload', 'status', 'submit']);
});

test('Lua 5.4 as Dovecot links it: os.getenv of an unset variable returns one nil (tostring(os.getenv(x)) is "nil")', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-dv-getenv-'));
  try {
    const file = path.join(dir, 's.lua');
    fs.writeFileSync(file, 'function auth_userdb_lookup(req)\n  return dovecot.auth.USERDB_RESULT_OK, { n = tostring(select("#", os.getenv("AS_UNSET"))), v = tostring(os.getenv("AS_UNSET")), set = os.getenv("AS_SET") }\nend\n');
    const r = await runDovecotScript({ file, action: 'userdb', env: { AS_SET: 'yes' }, login: { user: 'alice' } });
    assert.deepEqual(r.fields, { n: '1', v: 'nil', set: 'yes' }, JSON.stringify(r.logs));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
