// engine/config: the Nauthilus 3.x layout (runtime, observability, storage, auth, identity) and the `nauthilus:` profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile, parseConfigText } from '../../engine/config/load';
import type { AuthStudioConfig } from '../../engine/config/types';
import { errorsOf, linesOf, yml } from '../helpers/config-text';

const FILE = 'lua-plugins.d/authstudio.yml';
const load = (text: string): AuthStudioConfig => parseConfigText(text, FILE, { checkFiles: false, env: {} });

test('Nauthilus 3.0: runtime/observability/storage/auth land where materializeLegacySections puts them', () => {
  const c = load(yml(
    'runtime:',
    '  servers: { http: { address: "127.0.0.1:9123", trusted_proxies: [10.0.0.1], http3: true } }',
    '  timeouts: { lua_script: 3s, redis_read: 1s }',
    '  clients: { dns: { resolver: "127.0.0.1:5353", timeout: 2s, resolve_client_ip: true } }',
    'observability:',
    '  log: { level: debug, json: false, color: true }',
    '  profiles: { pprof: { enabled: true } }',
    '  metrics: { monitor_connections: true }',
    '  tracing: { enabled: true }',
    'storage:',
    '  redis:',
    '    primary: { address: "127.0.0.1:6390", password: pw }',
    '    database_number: 2',
    '    prefix: "n:"',
    '    positive_cache_ttl: 10m',
    '    password_nonce: nonce-of-sixteen-chars',
    '    encryption_secret: secret-of-sixteen-chars',
    'auth:',
    '  backchannel: { basic_auth: { enabled: true, username: api, password: a-password-of-16-chars } }',
    '  pipeline: { max_concurrent_requests: 7, max_login_attempts: 3 }',
    '  backends:',
    '    order: [cache, lua]',
    '    lua:',
    '      backend:',
    '        default: { backend_script_path: b.lua, number_of_workers: 3, hook_vm_pool_size: 9 }',
    '        named_backends: { second: { number_of_workers: 4, queue_length: 2 } }',
    '        search: [{ protocol: [imap], cache_name: default, backend_name: second }]',
    '  controls:',
    '    tls_encryption: { allow_cleartext_networks: [127.0.0.0/8] }',
    '    relay_domains: { static: [Example.TEST.], allowlist: { bob: [10.1.0.0/16] } }',
    '    rbl: { threshold: 5, ip_allowlist: [10.0.0.0/8], lists: [{ name: l, rbl: rbl.test, ipv4: true, return_codes: [127.0.0.2, 127.0.0.3], weight: 5 }] }',
    '  services:',
    '    backend_health_checks: { targets: [{ protocol: imap, host: 127.0.0.1, port: 143, auth_mechanism: auto }], deep_interval: 1m }',
  ));
  assert.equal(c.layout, '3.x');
  assert.equal(c.profile, '3.0');
  assert.deepEqual([c.server.host, c.server.port, c.server.trustedProxies], ['127.0.0.1', 9123, ['10.0.0.1']]);
  assert.equal(c.server.luaScriptTimeoutMs, 3000);
  assert.deepEqual([c.server.dnsResolver, c.server.dnsTimeoutMs], ['127.0.0.1:5353', 2000]);
  assert.deepEqual([c.server.logLevel, c.server.logFormat, c.server.monitorConnections], ['debug', 'default', true]);
  assert.deepEqual(c.server.redis, { mode: 'standalone', addresses: ['127.0.0.1:6390'], password: 'pw', database: 2, prefix: 'n:', positiveCacheTtlSec: 600, negativeCacheTtlSec: 3600,
    encryptionSecret: 'secret-of-sixteen-chars' });
  assert.equal(c.server.passwordNonce, 'nonce-of-sixteen-chars');
  assert.deepEqual(c.server.basicAuth, { enabled: true, username: 'api', password: 'a-password-of-16-chars' });
  assert.equal(c.server.maxConcurrentRequests, 7);
  assert.deepEqual(c.server.backends, ['cache', 'lua']);
  assert.equal(c.lua.config.backendScript?.written, 'b.lua');
  assert.equal(c.lua.config.numberOfWorkers, 3);
  assert.deepEqual(c.lua.optionalBackends, { second: { numberOfWorkers: 4 } });
  assert.deepEqual(c.lua.search, [{ protocols: ['imap'], cacheName: 'default', backendName: 'second' }]);
  assert.deepEqual(c.cleartextNetworks, ['127.0.0.0/8']);
  assert.deepEqual(c.relayDomains, { staticDomains: ['example.test'], softWhitelist: { bob: ['10.1.0.0/16'] } });
  assert.equal(c.rbl?.threshold, 5);
  assert.deepEqual(c.rbl?.ipWhitelist, ['10.0.0.0/8']);
  assert.deepEqual(c.rbl?.lists[0].returnCodes, ['127.0.0.2', '127.0.0.3']);
  assert.deepEqual(c.backendServerMonitoring?.map((b) => `${b.protocol} ${b.host}:${b.port}`), ['imap 127.0.0.1:143']);
  assert.equal(c.warnings, undefined, 'tracing, http3, pool sizes ...: accepted, nothing to warn about');
});

test('Nauthilus 1.10: rbl return_code and return_codes both mark a listing (core/rbl.go)', () => {
  const lists = (item: string) => load(yml('realtime_blackhole_lists:', '  lists:', `    - { name: l, rbl: rbl.test, ipv4: true${item} }`)).rbl?.lists[0].returnCodes;
  assert.deepEqual(lists(''), ['127.0.0.2'], 'neither: AuthStudio\'s default');
  assert.deepEqual(lists(', return_code: 127.0.0.5'), ['127.0.0.5']);
  assert.deepEqual(lists(', return_code: 127.0.0.5, return_codes: [127.0.0.6]'), ['127.0.0.5', '127.0.0.6']);
  assert.deepEqual(linesOf(yml('realtime_blackhole_lists:', '  lists:', '    - { name: l, rbl: rbl.test, ipv4: true, return_codes: [nope] }')),
    [`${FILE}:3:60: expected an IPv4 address such as "127.0.0.2" at realtime_blackhole_lists.lists[0].return_codes[0], got the string "nope"`]);
});

test('Nauthilus 3.0: errors in a 3.x file name the 3.x key path and the line written', () => {
  assert.deepEqual(linesOf(yml(
    'storage:',
    '  redis:',
    '    primray: { address: "127.0.0.1:6379" }',
    'auth:',
    '  controls:',
    '    enabled: [brute_force, backend_health_checks]',
    '    brute_force:',
    '      ip_alowlist: [10.0.0.0/8]',
    '      buckets:',
    '        - name: b',
    '          period: soon',
    '          cidr: 24',
    '          ipv4: true',
    '          failed_requets: 3',
    '  policy:',
    '    attribute_sources:',
    '      lua:',
    '        environment:',
    '          - { name: e, script_path: e.lua, when_no_auth: true }',
  )), [
    `${FILE}:3:5: unknown key "primray" at storage.redis (did you mean "primary"?)`,
    `${FILE}:6:28: expected one of "tls_encryption", "rbl", "relay_domains", "lua", "brute_force" at auth.controls.enabled[1], got the string "backend_health_checks"`,
    `${FILE}:8:7: unknown key "ip_alowlist" at auth.controls.brute_force (did you mean "ip_allowlist"?)`,
    `${FILE}:11:19: expected a duration like "30s", "10m" or "1h30m" at auth.controls.brute_force.buckets[0].period, got the string "soon"`,
    `${FILE}:14:11: unknown key "failed_requets" at auth.controls.brute_force.buckets[0] (did you mean "failed_requests"?)`,
    `${FILE}:19:44: unknown key "when_no_auth" at auth.policy.attribute_sources.lua.environment[0]`,
  ]);
  // messages of the 1.x validators name keys as written: primary is 1.x's master
  assert.deepEqual(linesOf(yml('storage:', '  redis:', '    primary: { address: "127.0.0.1:1" }', '    sentinels: { master: m, addresses: ["127.0.0.1:2"] }')),
    [`${FILE}:4:5: storage.redis names both "primary" and "sentinels": choose one Redis setup`]);
  // required by Nauthilus 3.x (validate:"required"), named by their 3.x keys (brute_force without buckets: a warning)
  assert.deepEqual(linesOf(yml('auth:', '  controls:', '    brute_force: { ip_allowlist: [] }', '  backends:', '    ldap: { pools: {} }')), [
    `${FILE}:5:11: missing required key "default" at auth.backends.ldap`,
  ]);
});

test('Nauthilus 3.0: a 1.x section beside 3.x ones is an error naming both (Nauthilus 3 rejects legacy keys)', () => {
  const errs = errorsOf(yml('auth: {}', 'server:', '  address: 127.0.0.1:1'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'AS_ERR_CONFIG_CONFLICT');
  assert.equal(errs[0].location?.line, 2);
  assert.match(errs[0].message, /"server" is a Nauthilus 1\.x section, but this file uses the 3\.x layout \("auth" at line 1\)/);
  assert.deepEqual(linesOf(yml('auth: {}', 'storge: {}')), [`${FILE}:2:1: unknown key "storge" at the top level (did you mean "storage"?)`]);
});

test('Nauthilus 3.0: the identity provider\'s sections give one warning "not served by AuthStudio", not an error', () => {
  const c = load(yml('identity:', '  oidc: { enabled: true, clients: [{ client_id: x }] }', '  frontend: { enabled: true }', 'auth:', '  backends: { order: [lua] }'));
  assert.equal(c.warnings?.length, 1);
  const w = c.warnings![0];
  assert.equal(w.severity, 'warning');
  assert.equal(w.location?.line, 1);
  assert.match(w.message, /^identity: not served by AuthStudio/);
});

test('Nauthilus 3.0: keys AuthStudio does not apply yet are accepted with one warning per reason (bucket ban_time is applied)', () => {
  const c = load(yml('auth:', '  controls:', '    brute_force:', '      protocols: [imap]', '      buckets: [{ name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 3, ban_time: 4h }]',
    '      tolerate_percent: 20', '      tolerate_ttl: 1h', '  backchannel:', '    oidc_bearer: { enabled: true }'));
  assert.deepEqual(c.warnings?.map((w) => `${w.location?.line}: ${w.message}`), [
    '9: auth.backchannel.oidc_bearer: OIDC bearer tokens are not checked by AuthStudio (use basic_auth)',
  ]);
  assert.equal(c.bruteForce?.buckets[0].banTimeSec, 4 * 3600);
});

test('Nauthilus 3.0: the toleration keys of auth.controls.brute_force are read as 1.x brute_force reads them', () => {
  const c = load(yml('auth:', '  controls:', '    brute_force:', '      protocols: [imap]', '      buckets: [{ name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 3 }]',
    '      tolerate_percent: 20', '      tolerate_ttl: 1h', '      custom_tolerations: [{ ip_address: 192.0.2.0/24, tolerate_percent: 50, tolerate_ttl: 30m }]'));
  assert.equal(c.warnings, undefined);
  const t = c.bruteForce?.tolerations;
  assert.equal(t?.percent, 20);
  assert.equal(t?.ttlNs, 3600e9);
  assert.deepEqual(t?.custom.map((x) => [x.ipAddress, x.toleratePercent, x.tolerateTtlNs]), [['192.0.2.0/24', 50, 1800e9]]);
});

test('Nauthilus 3.0: auth.controls.enabled and auth.services.enabled switch sections on; warnings use the 3.x names', () => {
  const c = load(yml('auth:', '  controls:', '    enabled: [lua]', '    brute_force: { protocols: [imap], buckets: [{ name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 3 }] }',
    '  services:', '    enabled: [backend_health_checks]', '    backend_health_checks: { targets: [{ protocol: imap, host: 127.0.0.1, port: 143 }] }'));
  assert.deepEqual(c.server.features, ['lua', 'backend_server_monitoring']);
  assert.equal(c.bruteForce, undefined);
  assert.equal(c.backendServerMonitoring?.length, 1);
  assert.deepEqual(c.warnings?.map((w) => `${w.location?.line} ${w.path}: ${w.message}`), [
    '4 auth.controls.brute_force: auth.controls.brute_force is configured but auth.controls.enabled does not list "brute_force": it does not run (Nauthilus 3.x runs only the features listed there)',
  ]);
  // only one of the two lists: the other group runs what is configured (as a 1.x file without server.features)
  const onlyControls = load(yml('auth:', '  controls: { enabled: [lua] }', '  services:', '    backend_health_checks: { targets: [{ protocol: imap, host: 127.0.0.1, port: 143 }] }'));
  assert.deepEqual(onlyControls.server.features, ['lua', 'backend_server_monitoring']);
});

test('profiles: nauthilus: names the target version; absent, it is detected from the layout', () => {
  assert.deepEqual([load('lua: {}\n').profile, load('lua: {}\n').profileExplicit], ['1.10', false]);
  assert.deepEqual([load('auth: {}\n').profile, load('auth: {}\n').layout], ['3.0', '3.x']);
  assert.equal(load(yml('auth: {}', 'plugins: { allowed_dirs: [/x] }')).profile, '3.1', 'plugins: is a 3.1 section');
  assert.deepEqual([load('nauthilus: "1.12"\nlua: {}\n').profile, load('nauthilus: "1.12"\nlua: {}\n').profileExplicit], ['1.12', true]);
  // unquoted, YAML reads 3.0 and 1.10 as numbers: the text as written counts
  assert.equal(load('nauthilus: 3.1\nauth: {}\n').profile, '3.1');
  assert.equal(load('nauthilus: 1.10\n').profile, '1.10');
  assert.deepEqual(linesOf('nauthilus: "3.2"\n'), [`${FILE}:1:12: expected one of "1.10", "1.12", "3.0", "3.1" at nauthilus (the Nauthilus version this workspace targets), got the string "3.2" (did you mean "3.0"?)`]);
});

test('profiles: a 3.x layout with nauthilus: "1.10" is an error naming both; a 1.x layout with "3.0" a warning', () => {
  const errs = errorsOf(yml('nauthilus: "1.10"', 'storage:', '  redis: mock'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0].location?.line, 1);
  assert.match(errs[0].message, /nauthilus: "1\.10" targets Nauthilus 1\.10, but this file uses the Nauthilus 3\.x layout/);
  assert.match(errorsOf(yml('nauthilus: "3.0"', 'auth: {}', 'plugins: {}'))[0].message, /"plugins" is a Nauthilus 3\.1 section/);
  const c = load(yml('nauthilus: "3.0"', 'lua: {}'));
  assert.equal(c.profile, '3.0');
  assert.match(c.warnings?.[0].message ?? '', /Nauthilus 3\.0, which does not read the 1\.x layout/);
});

// The sample configs Nauthilus v3.0.1 ships, read from the local mirror when it is there (never copied into the repo).
const MIRROR = process.env.NAUTHILUS_MIRROR ?? '';
test('Nauthilus 3.0.1: its shipped identity-proxy edge config loads (mirror only)', { skip: MIRROR === '' || !existsSync(MIRROR) ? 'set NAUTHILUS_MIRROR to a Nauthilus git mirror' : false }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authstudio-v3-sample-'));
  try {
    const file = path.join(dir, 'edge-a.yml');
    writeFileSync(file, execFileSync('git', ['--git-dir', MIRROR, 'show', 'v3.0.1:contrib/identity-proxy-e2e/config/edge-a.yml'], { encoding: 'utf8' }));
    const c = loadConfigFile(file, { env: {} });
    assert.equal(c.profile, '3.0');
    assert.ok(c.warnings?.some((w) => /identity: not served/.test(w.message)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
