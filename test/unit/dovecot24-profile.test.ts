// The harness' Dovecot 2.4 profile without a Dovecot: each difference to 2.3 as Dovecot 2.4.1's source has it (the
// interop test test/interop/dovecot24-differential.test.ts compares the same with a real Dovecot 2.4.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript, type DovecotVersion } from '../../engine/dovecot';
import { parseHttpClientSettings24, parseInterval } from '../../engine/dovecot/http-settings-24';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot24-profile-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function run(src: string, version: DovecotVersion, extra: Record<string, unknown> = {}) {
  const file = path.join(dir, `s${n++}.lua`);
  fs.writeFileSync(file, src);
  return runDovecotScript({ file, dovecot: version, login: { user: 'Alice@Example.test', password: 'pw', remoteIp: '192.0.2.9', service: 'pop3' }, ...extra });
}

const log = (r: { logs: Array<{ text: string }> }) => r.logs.map((l) => l.text).join('\n');

test('Dovecot 2.4: request fields protocol, remote_ip, mechanism; 2.3 names (service, rip, mech, username, domain) read nil', async () => {
  const src = `function auth_passdb_lookup(req)
    return dovecot.auth.PASSDB_RESULT_OK, { nopassword = "y",
      a = tostring(req.service) .. "/" .. tostring(req.protocol), b = tostring(req.rip) .. "/" .. tostring(req.remote_ip),
      c = tostring(req.mech) .. "/" .. tostring(req.mechanism), d = tostring(req.username) .. "/" .. tostring(req.domain) }
  end`;
  assert.deepEqual((await run(src, '2.4')).fields, { a: 'nil/pop3', b: 'nil/192.0.2.9', c: 'nil/PLAIN', d: 'nil/nil', original_user: 'Alice@Example.test' });
  assert.deepEqual((await run(src, '2.3')).fields, { a: 'pop3/nil', b: '192.0.2.9/192.0.2.9', c: 'PLAIN/PLAIN', d: 'alice/example.test', original_user: 'Alice@Example.test' });
});

test('Dovecot 2.4: OK with a "k=v" string is an internal failure with 2.4\'s message; 2.3 took it', async () => {
  const src = 'function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_OK, "nopassword=y" end';
  const r = await run(src, '2.4');
  assert.equal(r.status, 'PASSDB_RESULT_INTERNAL_FAILURE');
  assert.match(log(r), /auth-worker\(alice@example\.test,192\.0\.2\.9\): request \[1\]: Error: lua: db-lua: db-lua: auth_passdb_lookup\(req\) invalid return value \(expected nil or table, got string\)/);
  assert.equal((await run(src, '2.3')).status, 'PASSDB_RESULT_OK');
});

test('Dovecot 2.4: a failure status with a table is refused; with nil INTERNAL_FAILURE logs "passdb failed"', async () => {
  const r = await run('function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, {} end', '2.4');
  assert.equal(r.status, 'PASSDB_RESULT_INTERNAL_FAILURE');
  assert.match(log(r), /invalid error return value \(expected nil or string, got table\)/);
  const nil = await run('function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE end', '2.4');
  assert.match(log(nil), /Error: lua: db-lua: passdb failed$/m);
});

test('Dovecot 2.4: an empty field key is skipped with a warning (2.3\'s worker died on it)', async () => {
  const r = await run('function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_OK, { [""] = "x", nopassword = "y" } end', '2.4');
  assert.equal(r.status, 'PASSDB_RESULT_OK');
  assert.match(log(r), /Warning: lua: db-lua: Field key cannot be empty - ignoring/);
});

test('Dovecot 2.4: script_init(args) gets lua_settings; a non-zero result does not stop the service', async () => {
  const src = `local S
  function script_init(args) S = args; return 1 end
  function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_OK, { nopassword = "y", url = S.url } end`;
  const r = await run(src, '2.4', { luaSettings: { url: 'http://backend' } });
  assert.deepEqual(r.fields, { url: 'http://backend', original_user: 'Alice@Example.test' });
  assert.equal((await run(src, '2.3')).status, 'AUTH_PROCESS_BROKEN');
});

test('Dovecot 2.4: script_init raising is fatal with 2.4\'s text', async () => {
  const r = await run('function script_init(args) error("no config") end function auth_passdb_lookup(req) end', '2.4');
  assert.equal(r.imap, '* BYE Auth process broken');
  assert.match(log(r), /^auth: Fatal: passdb-lua: script_init\(\) failed: lua_pcall\(script_init, 1, 0\) failed: .*no config$/m);
});

test('Dovecot 2.4: dovecot.http.client refuses 2.3 setting names and values without units', async () => {
  const client = (settings: string) => run(`function auth_passdb_lookup(req) dovecot.http.client(${settings}) return dovecot.auth.PASSDB_RESULT_OK, { nopassword = "y" } end`, '2.4');
  assert.match(log(await client('{ max_attempts = 1 }')), /Invalid HTTP client setting: max_attempts is unknown setting/);
  assert.match(log(await client('{ request_timeout = 5000 }')), /Invalid http_client_request_timeout=5000: Time interval '5000' is missing units \(add e\.g\. 's' for seconds\)/);
  assert.equal((await client('{ request_timeout = "5s", request_max_attempts = 2 }')).status, 'PASSDB_RESULT_OK');
  // lua_tostring(false) is NULL: the worker dies
  assert.match(log(await client('{ auto_redirect = false }')), /Aborted PASSV request for alice@example\.test: Worker process died unexpectedly: Connection closed/);
  assert.equal((await run('function auth_passdb_lookup(req) dovecot.http.client({ max_attempts = 1, timeout = 1 }) return dovecot.auth.PASSDB_RESULT_OK, { nopassword = "y" } end', '2.3')).status, 'PASSDB_RESULT_OK');
});

test('Dovecot 2.4: time intervals as str_parse_get_interval_msecs reads them', () => {
  assert.deepEqual(parseInterval('5s', true), { value: 5000 });
  assert.deepEqual(parseInterval('250 msecs', true), { value: 250 });
  assert.deepEqual(parseInterval('2 mins', true), { value: 120000 });
  assert.deepEqual(parseInterval('0', true), { value: 0 });
  assert.deepEqual(parseInterval('1500ms', false), { error: 'Milliseconds not supported for this setting: 1500ms' });
  assert.deepEqual(parseHttpClientSettings24([['request_max_attempts', 'x']]), {
    error: 'Invalid HTTP client setting: http_client settings: Failed to parse configuration: Failed to override configuration from hardcoded: Invalid http_client_request_max_attempts=x: Invalid number x: Not a valid number',
  });
});
