// The harness as strict as Dovecot 2.3.19: password schemes, noauthenticate, renames, master users,
// init failures, lua-cjson and io (the interop differential test checks the same against a real Dovecot).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript, type DovecotLogin, type RunDovecotOptions } from '../../engine/dovecot';
import { DOVECOT_SCHEME_NAMES } from '../../engine/dovecot/schemes';
import { desCrypt } from '../../engine/dovecot/des-crypt';
import { cramMd5Context } from '../../engine/dovecot/cram-md5';
import { ROOT } from '../helpers/spawn-serve';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'dovecot-diff');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot-strict-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function script(src: string): string {
  const f = path.join(dir, `s${n++}.lua`);
  fs.writeFileSync(f, src);
  return f;
}
const run = (file: string, login: Partial<DovecotLogin>, opts: Partial<RunDovecotOptions> = {}) =>
  runDovecotScript({ file, login: { user: 'alice', password: 'secret', remoteIp: '192.0.2.1', ...login }, ...opts });
const texts = (r: { logs: Array<{ text: string }> }) => r.logs.map((l) => l.text);

test('Dovecot 2.3.19: `doveadm pw -l` lists these schemes, and the harness knows each', () => {
  const listed = 'SHA1 SSHA512 SCRAM-SHA-256 BLF-CRYPT PLAIN HMAC-MD5 OTP SHA512 SHA DES-CRYPT CRYPT SSHA MD5-CRYPT PLAIN-MD4 PLAIN-MD5 SCRAM-SHA-1 SHA512-CRYPT CLEAR CLEARTEXT ARGON2I ARGON2ID SSHA256 MD5 PBKDF2 SHA256 CRAM-MD5 PLAIN-TRUNC SHA256-CRYPT SMD5 DIGEST-MD5 LDAP-MD5';
  assert.deepEqual([...DOVECOT_SCHEME_NAMES].sort(), listed.split(' ').sort());
});

test('Dovecot 2.3.19: DES crypt(3) and the CRAM-MD5 context match known values', () => {
  // the first vector is the self-test sample Dovecot checks crypt() with at start; the others come from doveadm pw
  assert.equal(desCrypt(Buffer.from('08/15!test~4711'), 'JB'), 'JBOZ0DgmtucwE');
  assert.equal(desCrypt(Buffer.from('secret'), 'uo'), 'uoY3bp/cDswDI');
  assert.equal(cramMd5Context(Buffer.from('secret')).toString('hex'), 'cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56');
});

test('Dovecot 2.3.19: a PLAIN login against every scheme\'s stored hash (doveadm pw output), right and wrong password', async () => {
  const src = fs.readFileSync(path.join(FIXTURES, 'schemes.lua'), 'utf8');
  const users = [...src.matchAll(/^ {2}\["([a-z0-9-]+)"\] = "/gm)].map((m) => m[1]).filter((u) => !['nosuch', 'bad-base64', 'bad-pbkdf2'].includes(u));
  assert.ok(users.length >= 33, String(users.length));
  const file = path.join(FIXTURES, 'schemes.lua');
  for (const u of users) {
    const ok = await run(file, { user: `${u}@schemes.test`, password: 'secret' });
    assert.equal(ok.status, 'PASSDB_RESULT_OK', `${u}: ${texts(ok).join(' | ')} ${ok.notes.join(' ')}`);
    if (u === 'plain-trunc') continue;
    const bad = await run(file, { user: `${u}@schemes.test`, password: 'Secret' });
    assert.equal(bad.status, 'PASSDB_RESULT_PASSWORD_MISMATCH', u);
    assert.deepEqual(texts(bad), [`auth-worker: Info: lua(${u}@schemes.test,192.0.2.1): Password mismatch`], u);
  }
});

test('Dovecot 2.3.19: {NOSUCH} and bad data are PASSWORD_MISMATCH with Dovecot\'s error line', async () => {
  const file = path.join(FIXTURES, 'schemes.lua');
  for (const [u, line] of [
    ['nosuch', 'Unknown scheme NOSUCH'],
    ['bad-base64', "Password data is not valid for scheme SSHA: Input isn't valid base64 encoded data"],
    ['bad-pbkdf2', 'Invalid password in passdb: Invalid PBKDF2 passdb entry format'],
  ]) {
    const r = await run(file, { user: `${u}@schemes.test` });
    assert.equal(r.status, 'PASSDB_RESULT_PASSWORD_MISMATCH', u);
    assert.equal(r.imap, 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.deepEqual(texts(r), [`auth-worker: Error: lua(${u}@schemes.test,192.0.2.1): ${line}`]);
  }
});

test('Dovecot 2.3.19: req:password_verify on malformed stored values returns Dovecot\'s codes and texts', async () => {
  const r = await run(path.join(FIXTURES, 'schemes.lua'), { user: 'malformed@schemes.test' });
  assert.deepEqual([r.fields.v1, r.fields.v4, r.fields.v5, r.fields.v7, r.fields.v9, r.fields.v12, r.fields.v18, r.fields.v21, r.fields.v24], [
    '0.0|Password mismatch', '0.0|Password mismatch', '-1.0|Password is not blowfish password', '-1.0|SSHA password is too short',
    "-1.0|Password data is not valid for scheme SHA256: Input length isn't valid (3 instead of 32)", '0.0|Unknown scheme NOSUCH',
    '-1.0|Not a valid MD5-CRYPT or PLAIN-MD5 password', '0.0|Unknown scheme SHA.XYZ', '1.0|nil',
  ]);
});

test('Dovecot 2.3.19: noauthenticate makes the only passdb a temporary failure; fail= and renames', async () => {
  const file = path.join(FIXTURES, 'returns.lua');
  const noauth = await run(file, { user: 'noauthenticate@ret.test' });
  assert.equal(noauth.outcome, 'tempfail');
  assert.deepEqual(texts(noauth), ['auth: Error: lua(noauthenticate@ret.test,192.0.2.1): Last passdb had noauthenticate field, cannot authenticate user']);
  assert.equal((await run(file, { user: 'fail_field@ret.test' })).status, 'PASSDB_RESULT_USER_UNKNOWN');
  assert.deepEqual((await run(file, { user: 'rename_user@ret.test' })).fields, { user: 'renamed@other.test', original_user: 'rename_user@ret.test', kept: '1' });
  assert.deepEqual((await run(file, { user: 'rename_domain@ret.test' })).fields, { user: 'rename_domain@elsewhere.test', original_user: 'rename_domain@ret.test' });
  assert.deepEqual((await run(file, { user: 'String_Fields@Ret.Test' })).fields, { original_user: 'String_Fields@Ret.Test', quota: '10', flag: '' });
});

test('Dovecot 2.3.19: master users (user*master against a master = yes passdb) and login_user', async () => {
  const opts = { masterScript: { file: path.join(FIXTURES, 'master.lua') } };
  const file = path.join(FIXTURES, 'returns.lua');
  const ok = await run(file, { user: 'alice@ret.test*admin', password: 'master-secret' }, opts);
  assert.equal(ok.status, 'PASSDB_RESULT_OK');
  assert.deepEqual(ok.fields, { user: 'alice@ret.test', original_user: 'admin', auth_user: 'admin', as_user: 'alice@ret.test', looked_up: 'admin', master_field: 'nil' });
  assert.deepEqual(texts(ok), ['auth: Info: Master user logging in as alice@ret.test']);
  const bad = await run(file, { user: 'alice@ret.test*admin', password: 'nope' }, opts);
  assert.deepEqual(texts(bad), ['auth-worker: Info: lua(admin,192.0.2.1,master): Password mismatch']);
  assert.deepEqual(bad.fields, { user: 'admin' });
  const forced = await run(file, { user: 'login_user@ret.test' });
  assert.deepEqual(forced.fields, { user: 'target@ret.test', original_user: 'login_user@ret.test', auth_user: 'login_user@ret.test' });
});

test('Dovecot 2.3.19: script_init failing means no auth process: BYE for every client, the fatal line each time', async () => {
  for (const f of ['init-fails.lua', 'init-raises.lua']) {
    const r = await run(path.join(FIXTURES, f), {});
    assert.equal(r.status, 'AUTH_PROCESS_BROKEN');
    assert.equal(r.imap, '* BYE Auth process broken');
    assert.ok(texts(r).every((l) => !l.startsWith('auth-worker')), texts(r).join('\n'));
    assert.match(texts(r)[0], /^auth: Fatal: passdb-lua: initialization failed: /);
  }
});

test('lua-cjson 2.1.0 (Debian 12) as Dovecot scripts get it: encode, decode, null, errors, cjson.safe', async () => {
  const r = await run(path.join(FIXTURES, 'modules.lua'), { user: 'cjson@modules.test' });
  assert.equal(r.status, 'PASSDB_RESULT_OK', texts(r).join('\n'));
  assert.deepEqual(r.fields, {
    object: '{"only":"one"}', array: '[1,2,"three",true,null]', empty: '{}', numbers: '[3,1.5,-0.25,9.007199254741e+15,1e+300]',
    escapes: '"a\\/b\\"c\\n\\t\\u0001"', sparse: '[1,null,null,4]', too_sparse: 'Cannot serialise table: excessively sparse array',
    func: 'Cannot serialise function: type not supported', null_is_null: 'true', null_type: 'userdata', list_len: '3', int: '7.0',
    s: 'éx', nested: 'false', bad1: 'Expected object key string but found invalid token at character 2',
    bad2: 'Expected comma or array end but found T_END at character 5', bad3: 'Expected value but found T_END at character 1',
    bad4: 'Expected colon but found T_NUMBER at character 6', version: '2.1.0', safe: 'nil|Expected value but found invalid token at character 1',
  });
});

test('io.open / io.lines read the host file system; writes stay in memory', async () => {
  const r = await run(path.join(FIXTURES, 'modules.lua'), { user: 'io@modules.test' });
  assert.deepEqual(r.fields, { first: 'first line of the data file', rest_len: '23', missing: 'nil', err: 'no-such-file.txt: No such file or directory', errno: '2', lines: '3' });
  const target = path.join(dir, 'written.txt');
  const w = await run(script(`function auth_passdb_lookup(req)
    local f = assert(io.open("${target}", "w")) f:write("x") f:close()
    local back = io.open("${target}"):read("a")
    return 1, { nopassword = "y", back = back }
  end`), {});
  assert.equal(w.fields.back, 'x');
  assert.equal(fs.existsSync(target), false);
  assert.ok(w.notes.some((x) => x.includes('writes stay in the harness')), w.notes.join('\n'));
});
