// Finding 3 (issue 13): the auth endpoints take modes and client facts only from callers the config trusts.
// 127.0.0.2 is a loopback address outside the default server.trusted_proxies (127.0.0.1, ::1, Nauthilus 3.0.1's
// default in server/config/file.go): a request from it is an untrusted caller; one from 127.0.0.1 is trusted.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FIXTURES, startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { basicHeader, rawRequest } from './support/attack-raw-http';
import { parseConfigText } from '../../engine/config/load';
import { AuthStudioError } from '../../engine/errors/registry';
import type { AuthRequest } from '../../engine/pipeline/auth-request';

const UNTRUSTED = '127.0.0.2';
const TRUSTED = '127.0.0.1';

async function listening(file: string): Promise<{ fx: EngineFixture; port: number; seen: AuthRequest[] }> {
  const fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', file) });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  const seen: AuthRequest[] = [];
  fx.engine.events.on('auth', (req: AuthRequest) => seen.push(req));
  return { fx, port: (fx.app.server.address() as AddressInfo).port, seen };
}

describe('no API credentials configured, default trusted_proxies', () => {
  let fx: EngineFixture;
  let port: number;
  let seen: AuthRequest[];
  before(async () => {
    ({ fx, port, seen } = await listening('trust.yml'));
  });
  after(async () => {
    await fx?.close();
  });
  const basicGet = (query: string, headers: Record<string, string>, from: string) =>
    rawRequest(port, `GET /api/v1/auth/basic${query} HTTP/1.1`, headers, '', from);

  test('/auth/basic?mode=no-auth with a wrong password from an untrusted caller: 403, never OK', async () => {
    const r = await basicGet('?mode=no-auth', { Authorization: basicHeader('alice', 'wrong-password'), 'X-SSL': 'on' }, UNTRUSTED);
    assert.equal(r.status, 403, r.body);
    assert.equal(JSON.parse(r.body).error, 'AS_ERR_UNTRUSTED_CALLER');
    assert.match(JSON.parse(r.body).message, /trusted_proxies/);
  });

  test('/auth/basic?mode=list-accounts from an untrusted caller: 403, no account names', async () => {
    const r = await basicGet('?mode=list-accounts', { Authorization: basicHeader('alice', 'x'), 'X-SSL': 'on', Accept: 'application/json' }, UNTRUSTED);
    assert.equal(r.status, 403, r.body);
    assert.doesNotMatch(r.body, /alice|bob|carol/i);
  });

  test('Client-IP and X-SSL from an untrusted caller are ignored: the TLS rule holds and the client is the peer', async () => {
    seen.length = 0;
    const r = await basicGet('', { Authorization: basicHeader('alice', 'alice-secret'), 'Client-IP': '192.0.2.5', 'X-SSL': 'on', 'X-SSL-Protocol': 'TLSv1.3' }, UNTRUSTED);
    assert.notEqual(r.status, 200, 'an untrusted caller lifted the TLS rule with its own headers');
    assert.match(r.headers['auth-status'] ?? '', /TLS/);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].fields.client_ip, UNTRUSTED);
    assert.equal(seen[0].fields.ssl, '');
  });

  test('the same facts in the JSON body of an untrusted caller are ignored too, and its modes refused', async () => {
    seen.length = 0;
    const body = JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '192.0.2.5', ssl: 'on', ssl_protocol: 'TLSv1.3' });
    const r = await rawRequest(port, 'POST /api/v1/auth/json HTTP/1.1', { 'Content-Type': 'application/json' }, body, UNTRUSTED);
    assert.notEqual(r.status, 200, r.body);
    assert.equal(seen[0]?.fields.client_ip, UNTRUSTED);
    const noAuth = await rawRequest(port, 'POST /api/v1/auth/json?mode=no-auth HTTP/1.1', { 'Content-Type': 'application/json' }, JSON.stringify({ username: 'alice', password: 'nope' }), UNTRUSTED);
    assert.equal(noAuth.status, 403, noAuth.body);
  });

  test('without API credentials configured, admin endpoints answer only trusted_proxies: an untrusted caller cannot flush its own brute-force block', async () => {
    const flush = (from: string) => rawRequest(port, 'DELETE /api/v1/bruteforce/flush HTTP/1.1', { 'Content-Type': 'application/json' }, JSON.stringify({ ip_address: UNTRUSTED, rule_name: '*' }), from);
    const list = (from: string) => rawRequest(port, 'GET /api/v1/bruteforce/list HTTP/1.1', {}, '', from);
    for (const r of [await flush(UNTRUSTED), await list(UNTRUSTED)]) {
      assert.equal(r.status, 403, r.body);
      assert.equal(JSON.parse(r.body).error, 'AS_ERR_UNTRUSTED_CALLER');
    }
    assert.equal((await flush(TRUSTED)).status, 200);
    assert.equal((await list(TRUSTED)).status, 200);
  });

  test('a caller at 127.0.0.1 (in the default trusted_proxies) keeps every mode and fact (Nauthilus 3.0.1 default trusted_proxies 127.0.0.1, ::1)', async () => {
    seen.length = 0;
    const ok = await basicGet('', { Authorization: basicHeader('alice', 'alice-secret'), 'Client-IP': '192.0.2.5' }, TRUSTED);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(seen[0].fields.client_ip, '192.0.2.5');
    const noAuth = await basicGet('?mode=no-auth', { Authorization: basicHeader('alice', 'not-checked'), 'X-SSL': 'on' }, TRUSTED);
    assert.equal(noAuth.status, 200, noAuth.body);
    const list = await basicGet('?mode=list-accounts', { Authorization: basicHeader('alice', 'x'), 'X-SSL': 'on' }, TRUSTED);
    assert.equal(list.status, 200, list.body);
    assert.match(list.body, /alice/);
  });
});

describe('API credentials make a caller trusted wherever it is', () => {
  let fx: EngineFixture;
  let port: number;
  let seen: AuthRequest[];
  before(async () => {
    ({ fx, port, seen } = await listening('basic.yml'));
  });
  after(async () => {
    await fx?.close();
  });

  test('with server.basic_auth credentials, a caller outside trusted_proxies may use no-auth and set client_ip', async () => {
    seen.length = 0;
    const creds = { Authorization: basicHeader('ops', 'ops-password-1'), 'Content-Type': 'application/json' };
    const r = await rawRequest(port, 'POST /api/v1/auth/json?mode=no-auth HTTP/1.1', creds, JSON.stringify({ username: 'alice', client_ip: '198.51.100.7' }), UNTRUSTED);
    assert.equal(r.status, 200, r.body);
    assert.equal(seen[0].fields.client_ip, '198.51.100.7');
  });
});

describe('server.trusted_proxies in the config', () => {
  const load = (text: string) => parseConfigText(text, 'authstudio.yml', { checkFiles: false, env: {} });

  test('a bad entry is refused with its key path', () => {
    for (const bad of ['"10.0.0.0/33"', '"not-an-ip"', '"::1/129"', '42']) {
      assert.throws(() => load(`server:\n  trusted_proxies: [${bad}]\n`), (e: unknown) => {
        assert.ok(e instanceof AuthStudioError, String(e));
        assert.match(e.format() + JSON.stringify((e as { errors?: unknown }).errors ?? ''), /server\.trusted_proxies\[0\]/);
        return true;
      });
    }
  });

  test('default 127.0.0.1 and ::1; an explicit list replaces it ([] trusts no address)', () => {
    assert.deepEqual(load('server: {}\n').server.trustedProxies, ['127.0.0.1', '::1']);
    assert.deepEqual(load('server:\n  trusted_proxies: [10.0.0.0/8, "2001:db8::/32"]\n').server.trustedProxies, ['10.0.0.0/8', '2001:db8::/32']);
    assert.deepEqual(load('server:\n  trusted_proxies: []\n').server.trustedProxies, []);
  });

  test('an address added to trusted_proxies is trusted', async (t) => {
    const fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', 'trust-extra.yml') });
    t.after(() => fx.close());
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (fx.app.server.address() as AddressInfo).port;
    const r = await rawRequest(port, 'GET /api/v1/auth/basic?mode=no-auth HTTP/1.1', { Authorization: basicHeader('alice', 'x'), 'X-SSL': 'on' }, '', UNTRUSTED);
    assert.equal(r.status, 200, r.body);
  });
});
