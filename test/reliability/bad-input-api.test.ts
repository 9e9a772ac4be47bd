// Property-based bad input on hooks, admin and JWT endpoints: a 4xx with a clear error or an allowed answer, never a 5xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { signJwt } from '../../engine/http/jwt';
import { anyJson, fieldValue, headerSafe, ipAddress, nastyString } from './support/input-arbitraries';
import { checkApiAnswer, tally } from './support/input-oracle';

const SECRET = 'a-bad-input-secret-of-at-least-32-characters';
const RUNS = 200;
let fx: EngineFixture;
/** Authorization header values and what they are. */
let auths: Array<{ kind: 'admin' | 'viewer' | 'refused'; header?: string }>;

before(async () => {
  fx = await startFixture('faults/input');
  const issue = async (username: string, password: string) => (await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username, password } })).json();
  const admin = await issue('admin', 'admin-password');
  const viewer = await issue('viewer', 'viewer-password');
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'admin', roles: ['admin'], iat: now, exp: now + 600, typ: 'access' };
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const [h, , sig] = (viewer.token as string).split('.');
  auths = [
    { kind: 'admin', header: `Bearer ${admin.token}` },
    { kind: 'viewer', header: `Bearer ${viewer.token}` },
    { kind: 'refused' },
    { kind: 'refused', header: `Bearer ${admin.refresh_token}` },
    { kind: 'refused', header: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.` },
    { kind: 'refused', header: `Bearer ${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}.${sig}` },
    { kind: 'refused', header: `Bearer ${signJwt(claims, 'another-secret-of-at-least-32-characters')}` },
    { kind: 'refused', header: `Bearer ${signJwt({ ...claims, exp: now - 1 }, SECRET)}` },
    { kind: 'refused', header: `Bearer ${h}.${b64({ ...claims, sub: 'viewer' })}.${sig}` }, // viewer's signature on admin's roles
    { kind: 'refused', header: `Basic ${Buffer.from('admin:admin-password').toString('base64')}` }, // basic_auth is off
    { kind: 'refused', header: 'Bearer ' },
    { kind: 'refused', header: 'Bearer a.b.c' },
  ];
});
after(async () => {
  await fx?.close();
  console.log('bad-input api figures', JSON.stringify(tally));
});

const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>, numRuns = RUNS) => fc.assert(fc.asyncProperty(arb, check), { numRuns });
const authArb = () => fc.oneof(
  { weight: 3, arbitrary: fc.constant(auths[0]) },
  { weight: 2, arbitrary: fc.constant(auths[1]) },
  { weight: 4, arbitrary: fc.integer({ min: 2, max: auths.length - 1 }).map((i) => auths[i]) },
  { weight: 1, arbitrary: nastyString.map((s) => ({ kind: 'refused' as const, header: headerSafe(`Bearer ${s}`) })) },
);
const bodyArb = fc.oneof(
  anyJson.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? 'null' })),
  fc.string({ unit: 'binary', maxLength: 100 }).map((s) => ({ type: 'application/json', payload: s })),
  fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'a/b;;c', 'application/json; charset=latin1'), fc.string({ unit: 'binary', maxLength: 100 })).map(([type, payload]) => ({ type, payload })),
  fc.integer({ min: 70 * 1024, max: 200 * 1024 }).map((n) => ({ type: 'application/json', payload: `{"x":"${'y'.repeat(n)}"}` })),
  fc.constant({ type: undefined, payload: undefined }),
);
const headersOf = (auth: { header?: string }, body: { type?: string }) => ({ ...(auth.header ? { authorization: auth.header } : {}), ...(body.type ? { 'content-type': body.type } : {}) });

test('custom hooks: any method, location, body, content type and credentials', async () => {
  const location = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('echo', 'admin-echo') }, fc.constantFrom('nope', 'echo/', '../echo', 'echo/../admin-echo', '%2e%2e/echo', 'ECHO', 'echo%00', 'echo?x=%zz'), fc.webSegment());
  await run(fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), location, auth: authArb(), body: bodyArb }), async ({ method, location: loc, auth, body }) => {
    const payload = method === 'GET' ? undefined : body.payload;
    const res = await fx.app.inject({ method, url: `/api/v1/custom/${loc}`, headers: headersOf(auth, payload === undefined ? {} : body), payload });
    // the echo hook answers 200 (or its own 400 for a body that is not JSON); admin-echo needs the admin role
    // the client resolves dot segments (as a browser or curl does); the hook's role check applies to where it lands
    const path = new URL(`http://h/api/v1/custom/${loc}`).pathname.slice('/api/v1/custom/'.length);
    const served = (path === 'echo' && (method === 'GET' || method === 'POST') && auth.kind !== 'refused') || (path === 'admin-echo' && method === 'POST' && auth.kind === 'admin');
    if (res.statusCode === 400 && res.json().error === 'bad json') {
      assert.ok(served, 'only a served hook answers with its own error');
      return checkApiAnswer('hooks', { ...res, statusCode: 200 } as typeof res, true);
    }
    checkApiAnswer('hooks', res, served);
    // the role is checked when the hook is chosen, after the body was read (a body too large is refused first)
    if (path === 'admin-echo' && method === 'POST' && auth.kind === 'viewer' && res.statusCode !== 413) assert.equal(res.statusCode, 403, 'a token without the role');
    // credentials are checked before anything else
    if (auth.kind === 'refused') assert.equal(res.statusCode, 401, res.body);
  });
});

test('bruteforce/list and flush, cache/flush: any body and credentials', async () => {
  const call = fc.oneof(
    fc.constant({ method: 'GET' as const, url: '/api/v1/bruteforce/list', body: false }),
    fc.constant({ method: 'POST' as const, url: '/api/v1/bruteforce/list', body: true }),
    fc.constant({ method: 'DELETE' as const, url: '/api/v1/bruteforce/flush', body: true }),
    fc.constant({ method: 'DELETE' as const, url: '/api/v1/cache/flush', body: true }),
  );
  const fields = fc.oneof(
    fc.record({ ip_address: fc.oneof(ipAddress, fieldValue), rule_name: fc.oneof(fc.constantFrom('*', 'b_1h_24', 'nope', ''), fieldValue) }, { requiredKeys: [] }).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc.record({ user: fc.oneof(fc.constantFrom('alice', 'alice@example.test', ''), fieldValue) }, { requiredKeys: [] }).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    bodyArb,
  );
  await run(fc.record({ call, auth: authArb(), body: fields }), async ({ call: c, auth, body }) => {
    const payload = c.body ? body.payload : undefined;
    const res = await fx.app.inject({ method: c.method, url: c.url, headers: headersOf(auth, payload === undefined ? {} : body), payload });
    checkApiAnswer('admin endpoints', res, auth.kind !== 'refused');
    if (auth.kind === 'refused') assert.equal(res.statusCode, 401, res.body);
  });
});

test('jwt/token and jwt/refresh: any body', async () => {
  const creds = fc.record({ username: fc.oneof(fc.constantFrom('admin', 'viewer', 'Admin', 'admin '), fieldValue), password: fc.oneof(fc.constantFrom('admin-password', 'viewer-password', 'admin-password\u0000', ''), fieldValue) }, { requiredKeys: [] });
  const refresh = fc.record({ refresh_token: fc.oneof(fc.nat(auths.length - 1).map((i) => auths[i].header?.replace(/^\w+ /, '') ?? ''), fieldValue) }, { requiredKeys: [] });
  await run(fc.oneof(
    creds.map((v) => ({ url: '/api/v1/jwt/token', type: 'application/json', payload: JSON.stringify(v), v: v as Record<string, unknown> })),
    refresh.map((v) => ({ url: '/api/v1/jwt/refresh', type: 'application/json', payload: JSON.stringify(v), v: v as Record<string, unknown> })),
    bodyArb.map((b) => ({ url: '/api/v1/jwt/token', ...b, v: {} as Record<string, unknown> })),
  ), async ({ url, type, payload, v }) => {
    const res = await fx.app.inject({ method: 'POST', url, headers: type ? { 'content-type': type } : {}, payload });
    const goodLogin = (v.username === 'admin' && v.password === 'admin-password') || (v.username === 'viewer' && v.password === 'viewer-password');
    // only the real refresh token renews
    const goodRefresh = v.refresh_token === auths[3].header!.slice('Bearer '.length);
    checkApiAnswer('jwt endpoints', res, url.endsWith('/token') ? goodLogin : goodRefresh);
  });
});

test('after all of it the admin API still works', async () => {
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list', headers: { authorization: auths[0].header! } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().enabled, true);
});
