// The layout converter (engine/config/convert) and `authstudio convert`: where 1.x keys land in 3.x, what is reported
// as not carried over, comments, the profile key, and the errors for an unreadable input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertConfigText, type ConvertNote } from '../../engine/config/convert/convert';
import { loadConfigFile } from '../../engine/config/load';
import { FIXTURES } from '../helpers/engine-fixture';
import { ROOT } from '../helpers/spawn-serve';

const CLI = path.join(ROOT, 'bin', 'authstudio');
const SECTIONS = path.join(FIXTURES, 'convert-1x', 'sections.yml');

function to3(text: string): { out: Record<string, any>; text: string; notes: ConvertNote[] } {
  const r = convertConfigText(text, 'in.yml', '3.x');
  return { out: r.doc.toJSON(), text: r.doc.toString(), notes: r.notes };
}

test('Nauthilus 3.0.1 converter: every 1.x section AuthStudio reads lands where Nauthilus 3 reads it', () => {
  const { out } = to3(fs.readFileSync(SECTIONS, 'utf8'));
  assert.equal(out.runtime.servers.http.address, '0.0.0.0:9080');
  assert.deepEqual(out.runtime.servers.http.trusted_proxies, ['127.0.0.1', '10.0.0.0/8']);
  assert.deepEqual(out.runtime.clients.dns, { resolver: '127.0.0.53', timeout: '2s' });
  assert.deepEqual(out.observability.log, { level: 'debug', json: false });
  assert.equal(out.observability.profiles.pprof.enabled, true);
  assert.equal(out.observability.metrics.monitor_connections, true);
  assert.deepEqual(out.storage.redis.primary, { address: '127.0.0.1:6379', password: 'redis-secret' });
  assert.equal(out.storage.redis.database_number, 2);
  assert.equal(out.storage.redis.password_nonce, 'a-nonce-of-our-own');
  assert.deepEqual(out.auth.backchannel.basic_auth, { enabled: true, username: 'dovecot', password: 'api-secret' });
  assert.deepEqual(out.auth.backends.order, ['cache', 'lua']);
  assert.deepEqual(out.auth.controls.enabled, ['brute_force', 'rbl', 'relay_domains', 'lua']);
  assert.deepEqual(out.auth.services.enabled, ['backend_health_checks']);
  assert.deepEqual(out.auth.controls.brute_force.ip_allowlist, ['127.0.0.0/8']);
  assert.deepEqual(out.auth.controls.brute_force.allowlist, { carol: ['192.0.2.77'] });
  assert.deepEqual(out.auth.controls.relay_domains.allowlist, { bob: ['203.0.113.0/24'] });
  assert.deepEqual(out.auth.controls.rbl.ip_allowlist, ['192.0.2.0/24']);
  assert.equal(out.auth.controls.rbl.soft_whitelist, undefined);
  assert.deepEqual(out.auth.controls.lua.hooks[0].scopes, ['admin']);
  assert.equal(out.auth.services.backend_health_checks.targets[0].test_password, 'health-secret');
  assert.equal(out.auth.backends.ldap.default.bind_pw, 'ldap-secret');
  assert.equal(out.auth.backends.ldap.pools.archive.lookup_pool_size, 2);
  assert.equal(out.auth.backends.lua.backend.default.package_path, './lib/?.lua');
  assert.equal(out.auth.backends.lua.backend.named_backends.archive.number_of_workers, 1);
  assert.deepEqual(out.auth.policy.attribute_sources.lua.subject, [{ name: 'no_pop3_for_bob', script_path: './filters/no_pop3_for_bob.lua' }]);
  const subjectCheck = out.auth.policy.checks.find((c: { name: string }) => c.name === 'lua_subject_no_pop3_for_bob');
  assert.deepEqual(subjectCheck.operations, ['authenticate', 'lookup_identity'], 'when_no_auth: true');
  assert.deepEqual(subjectCheck.run_if, { auth_state: 'authenticated' }, 'when_authenticated: true');
  assert.ok(out.auth.policy.policies.some((p: { name: string }) => p.name === 'standard_list_accounts_success'), 'optional backends: an account provider');
  assert.equal(out.auth.policy.policies.at(-1).name, 'standard_default_deny');
});

test('Nauthilus 3.0.1 converter: what has no 3.x place is reported with its 1.x key path and line, never silently lost', () => {
  const { out, notes } = to3(fs.readFileSync(SECTIONS, 'utf8'));
  const dropped = notes.filter((n) => n.kind === 'dropped');
  const jwt = dropped.find((n) => n.path === 'server.jwt_auth.users[0].password');
  assert.ok(jwt, notes.map((n) => n.path).join(', '));
  assert.equal(jwt.line, 40);
  assert.ok(dropped.some((n) => n.path === 'server.lua_memory_limit'));
  assert.ok(dropped.some((n) => n.path === 'realtime_blackhole_lists.soft_whitelist.alice[0]' && /no soft allowlist/.test(n.why)));
  assert.equal(JSON.stringify(out).includes('jwt'), false);
  assert.ok(notes.some((n) => n.kind === 'changed' && n.path === 'lua.filters[0].when_authenticated' && /run_if/.test(n.why)));
});

test('the converted file loads, comments stay with their keys, nauthilus: "3.0" only when the input had a profile key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-convert-unit-'));
  try {
    fs.cpSync(path.join(FIXTURES, 'convert-1x'), dir, { recursive: true });
    const { text } = to3(fs.readFileSync(SECTIONS, 'utf8'));
    fs.writeFileSync(path.join(dir, 'v3.yml'), text);
    const config = loadConfigFile(path.join(dir, 'v3.yml'));
    assert.equal(config.profile, '3.0');
    assert.equal(config.profileExplicit, true);
    assert.equal(config.bruteForce?.buckets.length, 2);
    assert.match(text, /^# Every 1\.x section AuthStudio reads/);
    assert.match(text, /^nauthilus: "3\.0"$/m);
    const plain = to3('# top\nserver:\n  # the listener\n  address: 127.0.0.1:9080\n').text;
    assert.doesNotMatch(plain, /nauthilus:/);
    assert.match(plain, /# the listener\n\s+address: 127\.0\.0\.1:9080/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0.1 converter: a configured section server.features did not list is switched on, and the note says so', () => {
  const { out, notes } = to3('server:\n  features: [lua]\nbrute_force:\n  buckets:\n    - { name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 3 }\n');
  assert.deepEqual(out.auth.controls.enabled, ['lua', 'brute_force']);
  const n = notes.find((x) => x.path === 'brute_force');
  assert.equal(n?.kind, 'changed');
  assert.equal(n?.line, 3);
  assert.match(n?.why ?? '', /server\.features did not list it: Nauthilus 3 will run it/);
});

test('3.x -> 1.x: the generated policies go quietly, other policies are named as not expressible in 1.x', () => {
  const back = convertConfigText(to3(fs.readFileSync(SECTIONS, 'utf8')).text, 'v3.yml', '1.x');
  const out = back.doc.toJSON() as Record<string, any>;
  assert.deepEqual(out.server.features, ['brute_force', 'rbl', 'relay_domains', 'lua', 'backend_server_monitoring']);
  assert.deepEqual(out.brute_force.soft_whitelist, { carol: ['192.0.2.77'] });
  assert.deepEqual(out.lua.filters[0], { name: 'no_pop3_for_bob', script_path: './filters/no_pop3_for_bob.lua', when_no_auth: true, when_authenticated: true });
  assert.deepEqual(out.lua.custom_hooks[0].roles, ['admin']);
  assert.equal(out.nauthilus, '1.12');
  assert.ok(back.notes.some((n) => n.path === 'auth.policy' && n.kind === 'info'));
  const own = convertConfigText('auth:\n  policy:\n    policies:\n      - { name: deny_lab, stage: pre_auth, if: { attribute: request.client.ip, cidr_contains: 10.0.0.0/8 }, then: { decision: deny } }\n', 'p.yml', '1.x');
  assert.match(own.notes.find((n) => n.path === 'auth.policy')?.why ?? '', /no policy layer: policies deny_lab left out/);
  assert.equal(own.notes.find((n) => n.path === 'auth.policy')?.line, 2);
});

test('authstudio convert: writes -o, lists what it could not carry over (exit 0); an unreadable input is exit 2 with file:line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-convert-cli-'));
  try {
    const ok = spawnSync(process.execPath, [CLI, 'convert', SECTIONS, '-o', path.join(dir, 'out.yml')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'out.yml'), 'utf8'), /^auth:/m);
    assert.match(ok.stderr, /not carried over: server\.jwt_auth\.secret_key \(.*sections\.yml:37\): no 3\.x place for it/);
    assert.match(ok.stderr, /\d+ not carried over, \d+ changed: review them before deploying/);
    const stdout = spawnSync(process.execPath, [CLI, 'convert', path.join(FIXTURES, 'nauthilus3', 'v1.yml')], { encoding: 'utf8' });
    assert.equal(stdout.status, 0);
    assert.match(stdout.stdout, /^runtime:/m);
    fs.writeFileSync(path.join(dir, 'bad.yml'), 'server:\n  address: [unclosed\n  backends: x\n');
    const bad = spawnSync(process.execPath, [CLI, 'convert', path.join(dir, 'bad.yml')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.yml:\d+:\d+: .*YAML syntax error/);
    const missing = spawnSync(process.execPath, [CLI, 'convert', path.join(dir, 'nope.yml')], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yml:1:1: cannot read .*ENOENT/);
    const usage = spawnSync(process.execPath, [CLI, 'convert', SECTIONS, '--to', '2.x'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--to must be 3\.x or 1\.x/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
