// A Nauthilus 3.x config (runtime/storage/auth) decides like the equivalent 1.x config, request by request, against
// a real redis-server and a local DNS server; `authstudio check` reads the 3.x file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { startFixture, jsonLogin, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startDnsServer, type DnsServer } from '../helpers/dns-server';
import { workspace, yml } from '../helpers/config-text';
import { ROOT } from '../helpers/spawn-serve';

const BASIC = path.join(FIXTURES, 'ws-basic');
const script = (rel: string) => path.join(BASIC, rel);

const V1 = yml(
  'server:',
  '  address: 127.0.0.1:0',
  '  backends: [cache, lua]',
  '  features: [brute_force, rbl, lua]',
  '  redis:',
  '    master:',
  '      address: ${REDIS_ADDRESS}',
  '    prefix: "v1:"',
  '  dns:',
  '    resolver: ${DNS_RESOLVER}',
  '    timeout: 1s',
  'brute_force:',
  '  ip_whitelist: [192.0.2.10]',
  '  buckets:',
  '    - { name: b24, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }',
  'realtime_blackhole_lists:',
  '  threshold: 10',
  '  lists:',
  '    - { name: testlist, rbl: rbl.test, ipv4: true, return_codes: [127.0.0.3, 127.0.0.4], weight: 10 }',
  'lua:',
  '  features:',
  `    - { name: blocklist, script_path: ${script('features/blocklist.lua')} }`,
  '  filters:',
  `    - { name: no-pop3-for-bob, script_path: ${script('filters/no_pop3_for_bob.lua')} }`,
  '  actions:',
  `    - { type: lua, name: note-block, script_path: ${script('actions/note_block.lua')} }`,
  `    - { type: post, name: audit, script_path: ${script('actions/audit.lua')} }`,
  '  custom_hooks:',
  `    - { http_location: status, http_method: GET, script_path: ${script('hooks/status.lua')} }`,
  '  config:',
  `    backend_script_path: ${script('backend/backend.lua')}`,
  '    number_of_workers: 2',
);

// The same site written the Nauthilus 3.0 way (our own text; key names from v3.0.1 server/config/schema_v2.go)
const V3 = yml(
  'runtime:',
  '  instance_name: equivalence',
  '  servers:',
  '    http:',
  '      address: 127.0.0.1:0',
  '  clients:',
  '    dns:',
  '      resolver: ${DNS_RESOLVER}',
  '      timeout: 1s',
  'observability:',
  '  log: { level: info, json: true, color: false }',
  'storage:',
  '  redis:',
  '    primary:',
  '      address: ${REDIS_ADDRESS}',
  '    prefix: "v3:"',
  '    password_nonce: a-nonce-of-16-chars-or-more',
  '    encryption_secret: a-secret-of-16-chars-or-more',
  'auth:',
  '  backends:',
  '    order: [cache, lua]',
  '    lua:',
  '      backend:',
  '        default:',
  `          backend_script_path: ${script('backend/backend.lua')}`,
  '          number_of_workers: 2',
  '  controls:',
  '    enabled: [brute_force, rbl, lua]',
  '    brute_force:',
  '      protocols: [imap, pop3]',
  '      ip_allowlist: [192.0.2.10]',
  '      buckets:',
  '        - { name: b24, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }',
  '    rbl:',
  '      threshold: 10',
  '      lists:',
  '        - { name: testlist, rbl: rbl.test, ipv4: true, return_codes: [127.0.0.3, 127.0.0.4], weight: 10 }',
  '    lua:',
  '      hooks:',
  `        - { http_location: status, http_method: GET, script_path: ${script('hooks/status.lua')} }`,
  '  policy:',
  '    attribute_sources:',
  '      lua:',
  '        environment:',
  `          - { name: blocklist, script_path: ${script('features/blocklist.lua')} }`,
  '        subject:',
  `          - { name: no-pop3-for-bob, script_path: ${script('filters/no_pop3_for_bob.lua')} }`,
  '    obligation_targets:',
  '      lua:',
  '        actions:',
  `          - { type: lua, name: note-block, script_path: ${script('actions/note_block.lua')} }`,
  `          - { type: post, name: audit, script_path: ${script('actions/audit.lua')} }`,
  'identity:',
  '  oidc:',
  '    enabled: true',
);

/** The requests, in order (the brute-force ones build on each other), with what each must decide. */
const TABLE: Array<{ what: string; fields: Record<string, string>; status: number }> = [
  { what: 'right password', fields: { username: 'alice', password: 'alice-secret', client_ip: '192.0.2.20' }, status: 200 },
  { what: 'wrong password', fields: { username: 'alice', password: 'nope', client_ip: '198.51.100.1' }, status: 403 },
  { what: 'unknown user', fields: { username: 'carol', password: 'x', client_ip: '10.20.0.1' }, status: 403 },
  { what: 'subject source (filter) rejects bob on pop3', fields: { username: 'bob', password: 'bob-secret', client_ip: '10.30.0.1', protocol: 'pop3' }, status: 403 },
  { what: 'bob on imap', fields: { username: 'bob', password: 'bob-secret', client_ip: '10.30.0.1' }, status: 200 },
  { what: 'environment source (feature) blocks 203.0.113.0/24', fields: { username: 'alice', password: 'alice-secret', client_ip: '203.0.113.9' }, status: 403 },
  { what: 'second wrong password from the /24', fields: { username: 'alice', password: 'nope-2', client_ip: '198.51.100.2' }, status: 403 },
  { what: 'the bucket blocks the right password from that /24', fields: { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.50' }, status: 403 },
  { what: 'another /24 is not blocked', fields: { username: 'alice', password: 'alice-secret', client_ip: '198.51.101.5' }, status: 200 },
  { what: 'RBL lists 8.8.4.4 with 127.0.0.4 (one of return_codes)', fields: { username: 'alice', password: 'alice-secret', client_ip: '8.8.4.4' }, status: 403 },
  { what: 'RBL answers 127.0.0.9 for 8.8.8.8: not one of return_codes', fields: { username: 'alice', password: 'alice-secret', client_ip: '8.8.8.8' }, status: 200 },
  { what: 'ip_allowlist skips brute force', fields: { username: 'alice', password: 'wrong', client_ip: '192.0.2.10' }, status: 403 },
];

let redis: RedisServer;
let dns: DnsServer;
let env: Record<string, string>;
before(async () => {
  redis = await startRedisServer();
  dns = await startDnsServer({ '4.4.8.8.rbl.test': { A: ['127.0.0.4'] }, '8.8.8.8.rbl.test': { A: ['127.0.0.9'] } });
  env = { REDIS_ADDRESS: redis.address, DNS_RESOLVER: dns.address };
});
after(async () => {
  await dns.stop();
  await redis.stop();
});

async function decisions(text: string): Promise<Array<{ status: number; authStatus: unknown; trace: string[] }>> {
  const dir = workspace({ 'authstudio.yml': text });
  const fx: EngineFixture = await startFixture('', { configFile: path.join(dir, 'authstudio.yml'), env });
  try {
    const out = [];
    for (const row of TABLE) {
      const res = await jsonLogin(fx.app, { protocol: 'imap', ...row.fields });
      const trace = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))?.trace ?? [];
      out.push({ status: res.statusCode, authStatus: res.headers['auth-status'], trace: trace.map((t) => `${t.stage}:${t.name}:${t.result}`) });
    }
    const hook = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/status' });
    out.push({ status: hook.statusCode, authStatus: hook.json().status, trace: [] });
    return out;
  } finally {
    await fx.close();
  }
}

test('Nauthilus 3.0: a 3.x config (runtime, storage, auth) decides like the equivalent 1.x config on every request', async () => {
  const v1 = await decisions(V1);
  const v3 = await decisions(V3);
  TABLE.forEach((row, i) => {
    assert.equal(v1[i].status, row.status, `1.x: ${row.what}`);
    assert.deepEqual(v3[i], v1[i], `3.x like 1.x: ${row.what}`);
  });
  assert.deepEqual(v3[TABLE.length], { status: 200, authStatus: 'up', trace: [] }, 'the hook from auth.controls.lua.hooks answers');
  // each wrote under its own prefix (storage.redis.prefix / server.redis.prefix) in the one redis-server
  const raw = new Redis(redis.port, '127.0.0.1');
  try {
    assert.equal(await raw.get('v3:bf:b24:198.51.100.0/24'), '2');
    assert.equal(await raw.get('v1:bf:b24:198.51.100.0/24'), '2');
  } finally {
    raw.disconnect();
  }
});

test('authstudio check reads a 3.x config: OK, with the identity section reported as not served', () => {
  const dir = workspace({ 'v3.yml': V3 });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'check', '--config', path.join(dir, 'v3.yml')], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, REDIS_ADDRESS: '127.0.0.1:1', DNS_RESOLVER: '127.0.0.1:53' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /configuration and scripts OK \(\d+ warnings\)/);
  assert.match(r.stderr + r.stdout, /v3\.yml:53:1: identity: not served by AuthStudio/);
  // the 1.x scripts of ws-basic run here under the 3.0 profile; the Lua checker says which names Nauthilus 3.0 lacks
  assert.match(r.stderr, /^warning: \S*filters\/no_pop3_for_bob\.lua:7:\d+: nauthilus_builtin\.FILTER_ACCEPT is not in Nauthilus 3\.0, this workspace's profile \(Nauthilus 1\.10, 1\.12 have it\)$/m);
});
