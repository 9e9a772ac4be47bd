// A 1.x workspace converted to the 3.x layout (with the auth.policy Nauthilus 3.0.1's converter generates) decides
// every request of a table as the original does, and so does the 1.x -> 3.x -> 1.x round trip: same status, same
// Auth-Status / Auth-User / Auth-Wait, same list and hook bodies. Real redis-server, local DNS for the RBL.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { startFixture, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startDnsServer, type DnsServer } from '../helpers/dns-server';
import { ROOT } from '../helpers/spawn-serve';
import { convertConfigText } from '../../engine/config/convert/convert';

let redis: RedisServer;
let dns: DnsServer;
let flush: Redis;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-convert-'));

before(async () => {
  redis = await startRedisServer();
  dns = await startDnsServer({ '4.4.8.8.rbl.test': { A: ['127.0.0.2'] } });
  flush = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
});
after(async () => {
  flush.disconnect();
  await dns.stop();
  await redis.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** One request of the table: a name and how to send it. */
interface Row { name: string; send: (fx: EngineFixture) => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>; body?: boolean }

const API = { authorization: `Basic ${Buffer.from('dovecot:dovecot-api-secret').toString('base64')}` };
// each request from its own /24 unless it names its client: failed logins of one row do not brute-force the next
let net = 0;
const json = (fields: Record<string, string>, query = '', headers: Record<string, string> = API): Row['send'] => {
  const client = `198.51.${10 + (net++ % 200)}.7`;
  return (fx) => fx.app.inject({ method: 'POST', url: `/api/v1/auth/json${query}`, payload: { protocol: 'imap', client_ip: client, ...fields }, headers });
};
const row = (name: string, send: Row['send'], body = false): Row => ({ name, send, body });

/** What a user or a proxy notices of one answer. */
async function observe(fx: EngineFixture, r: Row): Promise<Record<string, unknown>> {
  const res = await r.send(fx);
  const session = res.headers['x-nauthilus-session'];
  if (session) await fx.engine.lastTrace(String(session))?.postActions;
  const h = res.headers;
  return {
    status: res.statusCode, 'auth-status': h['auth-status'], 'auth-user': h['auth-user'], 'auth-wait': h['auth-wait'],
    'auth-server': h['auth-server'], 'auth-port': h['auth-port'], 'auth-error-code': h['auth-error-code'],
    // a hook's answer carries its own session id
    ...(r.body ? { body: res.body.replace(/"session":"[^"]*"/g, '"session":"…"') } : {}),
  };
}

/** Runs the table on `configFile` (a fresh engine, an empty Redis). */
async function decide(configFile: string, rows: Row[], opts: { redisOverride?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
  await flush.flushall();
  const fx = await startFixture('', {
    configFile, redis: opts.redisOverride ? redis.url : undefined,
    env: { REDIS_ADDRESS: redis.address, REDIS_PREFIX: 'conv:', DNS_RESOLVER: dns.address },
  });
  try {
    const out: Array<Record<string, unknown>> = [];
    for (const r of rows) out.push({ request: r.name, ...(await observe(fx, r)) });
    return out;
  } finally {
    await fx.close();
  }
}

/** A copy of the workspace with the original, the converted and the round-tripped config side by side. */
function variants(workspace: string, name: string): { original: string; v3: string; roundTrip: string; notes: string[] } {
  const dir = path.join(tmp, name);
  fs.cpSync(workspace, dir, { recursive: true });
  const original = path.join(dir, 'authstudio.yml');
  const text = fs.readFileSync(original, 'utf8');
  const to3 = convertConfigText(text, original, '3.x');
  assert.equal(to3.from, '1.x');
  const v3 = path.join(dir, 'converted-3x.yml');
  fs.writeFileSync(v3, to3.doc.toString());
  const back = convertConfigText(fs.readFileSync(v3, 'utf8'), v3, '1.x');
  assert.equal(back.from, '3.x');
  const roundTrip = path.join(dir, 'round-trip-1x.yml');
  fs.writeFileSync(roundTrip, back.doc.toString());
  return { original, v3, roundTrip, notes: to3.notes.map((n) => `${n.kind} ${n.path}: ${n.why}`) };
}

function assertSame(expected: Array<Record<string, unknown>>, actual: Array<Record<string, unknown>>, what: string): void {
  for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `${what}: request ${i} (${String(expected[i].request)})`);
}

describe('the richer 1.x workspace (brute force, RBL, relay domains, TLS, feature, filter, actions, hook)', () => {
  const nginx = (user: string, pass: string, extra: Record<string, string> = {}): Row['send'] => (fx) =>
    fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { ...API, 'auth-user': user, 'auth-pass': pass, 'auth-protocol': 'imap', 'client-ip': '198.51.100.8', ...extra } });
  const header = (user: string, pass: string): Row['send'] => (fx) =>
    fx.app.inject({ method: 'POST', url: '/api/v1/auth/header', headers: { ...API, 'auth-user': user, 'auth-pass': pass, 'auth-protocol': 'pop3', 'client-ip': '198.51.100.9' } });
  const basic = (user: string, pass: string): Row['send'] => (fx) =>
    fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic?protocol=imap', headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`, 'client-ip': '198.51.100.10' } });
  const rows: Row[] = [
    row('alice, right password', json({ username: 'alice', password: 'alice-secret' })),
    row('alice, wrong password', json({ username: 'alice', password: 'nope' })),
    row('unknown user', json({ username: 'mallory', password: 'x' })),
    row('empty password', json({ username: 'alice', password: '' })),
    row('alice again (password cache)', json({ username: 'alice', password: 'alice-secret' })),
    row('bob on IMAP', json({ username: 'bob', password: 'bob-secret' })),
    row('bob on POP3: the filter refuses', json({ username: 'bob', password: 'bob-secret', protocol: 'pop3' })),
    row('bob on POP3, wrong password', json({ username: 'bob', password: 'nope', protocol: 'pop3' })),
    row('blocked network: the feature refuses with its message', json({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.5' })),
    row('feature script error: temporary failure', json({ username: 'feature-error', password: 'x' })),
    row('backend error: temporary failure', json({ username: 'backend-error', password: 'x' })),
    row('no TLS from outside the cleartext networks', json({ username: 'alice', password: 'alice-secret', client_ip: '1.1.1.1' })),
    row('TLS from outside the cleartext networks', json({ username: 'alice', password: 'alice-secret', client_ip: '1.1.1.1', ssl: 'on' })),
    row('relay domain served', json({ username: 'alice@example.test', password: 'alice-secret' })),
    row('relay domain not served', json({ username: 'alice@other.test', password: 'alice-secret' })),
    row('RBL: listed client', json({ username: 'alice', password: 'alice-secret', client_ip: '8.8.4.4' })),
    row('RBL: unlisted client of the same cleartext network', json({ username: 'alice', password: 'alice-secret', client_ip: '8.8.4.5' })),
    row('attack 1 from 198.51.77.0/24', json({ username: 'alice', password: 'guess-1', client_ip: '198.51.77.1' })),
    row('attack 2', json({ username: 'bob', password: 'guess-2', client_ip: '198.51.77.2' })),
    row('attack 3', json({ username: 'alice', password: 'guess-3', client_ip: '198.51.77.3' })),
    row('attack 4: the bucket is full', json({ username: 'alice', password: 'guess-4', client_ip: '198.51.77.4' })),
    row('right password from the brute-forced network', json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.77.99' })),
    row('right password from another network', json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.78.1' })),
    ...[1, 2, 3, 4].map((i) => row(`allowlisted address, wrong password ${i}`, json({ username: 'bob', password: `w-${i}`, client_ip: '192.0.2.10' }))),
    row('allowlisted address, right password', json({ username: 'bob', password: 'bob-secret', client_ip: '192.0.2.10' })),
    row('no-auth lookup of a known account', json({ username: 'alice@example.test' }, '?mode=no-auth')),
    row('no-auth lookup of an unknown account', json({ username: 'carol@example.test' }, '?mode=no-auth')),
    row('list accounts', json({}, '?mode=list-accounts'), true),
    row('nginx, right password', nginx('alice', 'alice-secret')),
    row('nginx, wrong password', nginx('alice', 'wrong')),
    row('nginx, blocked network', nginx('bob', 'bob-secret', { 'client-ip': '203.0.113.9' })),
    row('header endpoint, bob on POP3', header('bob', 'bob-secret')),
    row('header endpoint, alice on POP3', header('alice', 'alice-secret')),
    row('basic endpoint, right password', basic('bob', 'bob-secret')),
    row('basic endpoint, wrong password', basic('bob', 'x')),
    row('without the API credentials', json({ username: 'alice', password: 'alice-secret' }, '', {})),
    row('the whoami hook', (fx) => fx.app.inject({ method: 'GET', url: '/api/v1/custom/whoami', headers: API }), true),
  ];
  let ws: ReturnType<typeof variants>;
  let expected: Array<Record<string, unknown>>;
  before(async () => {
    ws = variants(path.join(FIXTURES, 'convert-1x'), 'rich');
    expected = await decide(ws.original, rows);
  });

  test('the table has at least 30 requests and the original decides as written', () => {
    assert.ok(rows.length >= 30, `${rows.length} requests`);
    const by = Object.fromEntries(expected.map((e) => [e.request, e]));
    assert.equal(by['alice, right password'].status, 200);
    assert.equal(by['bob on POP3: the filter refuses'].status, 403);
    assert.equal(by['bob on POP3: the filter refuses']['auth-status'], 'POP3 is not allowed for bob');
    assert.equal(by['blocked network: the feature refuses with its message']['auth-status'], 'Network blocked by policy');
    assert.equal(by['right password from the brute-forced network'].status, 403);
    assert.equal(by['allowlisted address, right password'].status, 200);
    assert.equal(by['RBL: listed client'].status, 403);
    assert.equal(by['relay domain not served'].status, 403);
    assert.equal(by['no TLS from outside the cleartext networks']['auth-status'], 'TLS transport encryption required');
    assert.equal(by['feature script error: temporary failure'].status, 500);
    assert.equal(by['without the API credentials'].status, 401);
  });

  test('Nauthilus 3.0 layout: the converted workspace (generated auth.policy, enforce mode) decides every request the same', async () => {
    const v3 = fs.readFileSync(ws.v3, 'utf8');
    assert.match(v3, /^nauthilus: "3\.0"$/m, 'the profile key follows the layout');
    assert.match(v3, /name: standard_brute_force_deny/);
    assert.match(v3, /# clients outside these networks must use TLS/, 'comments stay with their keys');
    assertSame(expected, await decide(ws.v3, rows), 'converted 3.x');
  });

  test('Nauthilus 1.x -> 3.x -> 1.x: the round trip decides every request the same', async () => {
    const back = fs.readFileSync(ws.roundTrip, 'utf8');
    assert.doesNotMatch(back, /^(runtime|storage|auth|observability):/m, 'no 3.x section is left');
    assertSame(expected, await decide(ws.roundTrip, rows), 'round trip');
  });

  test('the conversion says which action no longer runs as a synchronous action (Nauthilus 3.0: actions are policy obligations)', () => {
    assert.ok(ws.notes.some((n) => n.startsWith('changed lua.actions[0]:') && n.includes('auth.obligation.lua_action.dispatch')), ws.notes.join('\n'));
  });
});

describe('the bundled sample workspace', () => {
  const hook = (fx: EngineFixture) => fx.app.inject({ method: 'GET', url: '/api/v1/custom/login-history?account=alice@example.com' });
  const rows: Row[] = [
    row('alice', json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' }, '', {})),
    row('bob', json({ username: 'bob', password: 'bob-secret' }, '', {})),
    row('alice with bob\'s password', json({ username: 'alice', password: 'bob-secret', client_ip: '198.51.100.7' }, '', {})),
    row('nobody', json({ username: 'nobody', password: 'x' }, '', {})),
    row('alice by account name', json({ username: 'Alice@Example.com', password: 'alice-secret' }, '', {})),
    row('blocked network', json({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.77' }, '', {})),
    row('bob on POP3', json({ username: 'bob', password: 'bob-secret', protocol: 'pop3' }, '', {})),
    row('bob on SMTP', json({ username: 'bob', password: 'bob-secret', protocol: 'smtp' }, '', {})),
    row('no-auth lookup', json({ username: 'alice@example.com' }, '?mode=no-auth', {})),
    row('no-auth lookup of an unknown account', json({ username: 'carol@example.com' }, '?mode=no-auth', {})),
    row('nginx', (fx) => fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { 'auth-user': 'bob', 'auth-pass': 'bob-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.3' } })),
    row('the login-history hook', hook, true),
  ];
  test('converted to Nauthilus 3.0 and back, it decides every request as the original', async () => {
    const ws = variants(path.join(ROOT, 'lua-plugins.d'), 'sample');
    const expected = await decide(ws.original, rows, { redisOverride: true });
    assert.equal(expected[0].status, 200);
    assert.equal(expected[5]['auth-status'], 'IP address blocked');
    assert.match(String(expected[11].body), /ok imap 198\.51\.100\.7/);
    assertSame(expected, await decide(ws.v3, rows, { redisOverride: true }), 'converted 3.x');
    assertSame(expected, await decide(ws.roundTrip, rows, { redisOverride: true }), 'round trip');
  });
});
