// Finding 1 (issue 13): the API credential check is decided on the route that will run, never on the URL text.
// Every spelling of every protected route (percent-encoding, absolute form, //, /./, case, trailing slash, ;)
// goes over a raw socket without credentials: it is refused (401) or routed nowhere (404/400), never served.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FIXTURES, startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { basicHeader, rawRequest } from './support/attack-raw-http';
import { signJwt } from '../../engine/http/jwt';

interface Route {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const LOGIN = JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });

const ADMIN_ROUTES: Route[] = [
  { method: 'GET', path: '/api/v1/bruteforce/list' },
  { method: 'HEAD', path: '/api/v1/bruteforce/list' },
  { method: 'POST', path: '/api/v1/bruteforce/list', headers: JSON_HEADERS, body: '{}' },
  { method: 'DELETE', path: '/api/v1/bruteforce/flush', headers: JSON_HEADERS, body: JSON.stringify({ ip_address: '198.51.100.7', rule_name: '*' }) },
  { method: 'DELETE', path: '/api/v1/cache/flush', headers: JSON_HEADERS, body: JSON.stringify({ user: 'alice' }) },
  { method: 'GET', path: '/api/v1/custom/echo' },
  { method: 'POST', path: '/api/v1/custom/echo', headers: JSON_HEADERS, body: '{}' },
];
const AUTH_ROUTES: Route[] = [
  { method: 'POST', path: '/api/v1/auth/json', headers: JSON_HEADERS, body: LOGIN },
  { method: 'GET', path: '/api/v1/auth/header', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Client-IP': '198.51.100.7' } },
  { method: 'GET', path: '/api/v1/auth/nginx', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Client-IP': '198.51.100.7', 'Auth-Protocol': 'imap' } },
];

/** Spellings of one path that a router might take for the same route. */
function variants(p: string, port: number): Array<[string, string]> {
  const enc = (s: string) => [...s].map((c) => (c === '/' ? c : '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))).join('');
  const last = p.lastIndexOf('/');
  return [
    ['plain', p],
    ['first letter percent-encoded', p.replace('/api', '/%61pi')],
    ['upper-case percent-encoding', p.replace('/api', '/%41pi').replace('/v1', '/%76%31')],
    ['every letter percent-encoded', enc(p)],
    ['last segment percent-encoded', p.slice(0, last + 1) + enc(p.slice(last + 1))],
    ['double percent-encoding', p.replace('/api', '/%2561pi')],
    ['encoded slashes', p.replace(/\//g, '%2f').replace(/^%2f/, '/')],
    ['absolute form', `http://x${p}`],
    ['absolute form with port', `http://127.0.0.1:${port}${p}`],
    ['absolute form upper-case scheme', `HTTP://X${p}`],
    ['absolute form, encoded', `http://x${p.replace('/api', '/%61pi')}`],
    ['leading //', `/${p}`],
    ['inner //', p.replace('/v1/', '/v1//')],
    ['/./', p.replace('/v1/', '/v1/./')],
    ['leading /./', `/.${p}`],
    ['/x/../', p.replace('/v1/', '/v1/x/../')],
    ['encoded dot segment', p.replace('/v1/', '/v1/%2e/')],
    ['upper case', p.toUpperCase()],
    ['capitalised', p.replace('/api', '/Api')],
    ['trailing slash', `${p}/`],
    ['trailing ;', `${p};`],
    ['matrix parameter', `${p};jsessionid=1`],
    ['; inside', p.replace('/v1/', '/v1;x/')],
    ['query', `${p}?x=1`],
    ['encoded ?', `${p}%3f`],
    ['fragment', `${p}#x`],
    ['backslash', p.replace('/v1/', '/v1\\')],
  ];
}

async function probe(port: number, routes: Route[], creds: string, label: string): Promise<void> {
  const served: string[] = [];
  for (const r of routes) {
    const plain = await rawRequest(port, `${r.method} ${r.path} HTTP/1.1`, { ...r.headers, Authorization: creds }, r.body ?? '');
    assert.ok(plain.status >= 200 && plain.status < 300 || (plain.status === 403 && r.path.includes('/auth/')), `${label}: ${r.method} ${r.path} with credentials should be served, got ${plain.status} ${plain.body}`);
    for (const [what, target] of variants(r.path, port)) {
      const line = `${r.method} ${target} HTTP/1.1`;
      const without = await rawRequest(port, line, r.headers ?? {}, r.body ?? '');
      const withCreds = await rawRequest(port, line, { ...r.headers, Authorization: creds }, r.body ?? '');
      if (![400, 401, 404].includes(without.status) || without.body.includes('hook-ran')) {
        served.push(`${what}: ${line} -> ${without.status} ${without.body.slice(0, 80)}`);
        continue;
      }
      // whenever the router serves this spelling with credentials, it must ask for them without
      if (withCreds.status !== 404 && withCreds.status !== 400 && without.status !== 401) {
        served.push(`${what}: ${line} -> ${without.status} without credentials but ${withCreds.status} with them`);
      }
    }
  }
  assert.deepEqual(served, [], `${label}: requests served without credentials`);
}

describe('basic_auth on: no spelling of a protected route is served without credentials', () => {
  let fx: EngineFixture;
  let port: number;
  before(async () => {
    fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', 'basic.yml') });
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await fx?.close();
  });

  test('admin and hook endpoints: every spelling is 401 (or routed nowhere) without Basic credentials', async () => {
    await probe(port, ADMIN_ROUTES, basicHeader('ops', 'ops-password-1'), 'basic_auth');
  });

  test('auth endpoints (json, header, nginx): every spelling is 401 (or routed nowhere) without Basic credentials', async () => {
    await probe(port, AUTH_ROUTES, basicHeader('ops', 'ops-password-1'), 'basic_auth');
  });

  test('the issue\'s two reproductions: /%61pi/... and an absolute-form request line get 401', async () => {
    for (const line of ['GET /%61pi/v1/bruteforce/list HTTP/1.1', 'GET http://x/api/v1/bruteforce/list HTTP/1.1']) {
      const r = await rawRequest(port, line);
      assert.equal(r.status, 401, `${line}: ${r.body}`);
      assert.equal(JSON.parse(r.body).error, 'AS_ERR_UNAUTHORIZED');
    }
  });
});

describe('jwt_auth on: no spelling of an admin or hook route is served without a token', () => {
  let fx: EngineFixture;
  let port: number;
  before(async () => {
    fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', 'jwt.yml') });
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await fx?.close();
  });

  test('admin and hook endpoints: every spelling is 401 (or routed nowhere) without a bearer token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({ sub: 'admin', roles: ['admin'], iat: now, exp: now + 600, typ: 'access' }, fx.engine.config.server.jwtAuth!.secretKey);
    const adminHook: Route = { method: 'POST', path: '/api/v1/custom/admin-echo', headers: JSON_HEADERS, body: '{}' };
    await probe(port, [...ADMIN_ROUTES, adminHook], `Bearer ${token}`, 'jwt_auth');
  });

  test('a token without the role reaches neither an admin endpoint nor a role-bound hook by any spelling', async () => {
    const now = Math.floor(Date.now() / 1000);
    const viewer = signJwt({ sub: 'viewer', roles: ['monitoring'], iat: now, exp: now + 600, typ: 'access' }, fx.engine.config.server.jwtAuth!.secretKey);
    const routes: Route[] = [...ADMIN_ROUTES.filter((r) => !r.path.includes('/custom/')), { method: 'POST', path: '/api/v1/custom/admin-echo', headers: JSON_HEADERS, body: '{}' }];
    const served: string[] = [];
    for (const r of routes) {
      for (const [what, target] of variants(r.path, port)) {
        const a = await rawRequest(port, `${r.method} ${target} HTTP/1.1`, { ...r.headers, Authorization: `Bearer ${viewer}` }, r.body ?? '');
        if (![400, 403, 404].includes(a.status) || a.body.includes('hook-ran')) served.push(`${what}: ${r.method} ${target} -> ${a.status}`);
      }
    }
    assert.deepEqual(served, []);
  });
});
