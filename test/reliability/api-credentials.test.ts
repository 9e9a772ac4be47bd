// API credentials: Basic auth compares in constant time (structurally: fixed-length digests, both fields always); JWTs the protection tests do not cover are refused.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { safeEqual } from '../../engine/http/api-auth';
import { signJwt, verifyJwt } from '../../engine/http/jwt';

describe('Basic auth for the API', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startFixture('faults/basic-auth');
  });
  after(async () => {
    await fx?.close();
  });
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const list = (authorization?: string) => fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list', headers: authorization ? { authorization } : {} });

  test('safeEqual: equal strings only, whatever their length or content', () => {
    const cases: Array<[string, string, boolean]> = [
      ['ops-password-1', 'ops-password-1', true], ['', '', true], ['p\u00e4ss', 'p\u00e4ss', true],
      ['ops-password-1', 'ops-password-2', false], ['ops-password-1', 'ops-password-1 ', false], ['ops-password-1', 'ops-password', false],
      ['', 'x', false], ['a', 'A', false], ['p\u00e4ss', 'pa\u0308ss', false], ['x'.repeat(100_000), 'x'.repeat(100_001), false],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(safeEqual(a, b), want, `${a.slice(0, 20)} vs ${b.slice(0, 20)}`);
      assert.equal(safeEqual(b, a), want);
    }
  });

  test('every Basic check compares both fields as fixed-length digests with crypto.timingSafeEqual (no early exit, no length leak)', async (t) => {
    const seen: Array<[number, number]> = [];
    const real = crypto.timingSafeEqual;
    t.after(() => {
      (crypto as { timingSafeEqual: typeof real }).timingSafeEqual = real;
    });
    (crypto as { timingSafeEqual: typeof real }).timingSafeEqual = (a, b) => {
      seen.push([a.byteLength, b.byteLength]);
      return real(a, b);
    };
    const tries: Array<[string | undefined, number]> = [
      [basic('ops', 'ops-password-1'), 200],
      [basic('ops', 'wrong'), 401],
      [basic('nobody', 'ops-password-1'), 401],
      [basic('x'.repeat(3000), 'y'.repeat(5000)), 401],
      [basic('', ''), 401],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, 401],
    ];
    for (const [auth, status] of tries) {
      seen.length = 0;
      const res = await list(auth);
      assert.equal(res.statusCode, status, auth);
      // two comparisons (user, password) per request, each of two SHA-256 digests, whatever was sent
      assert.deepEqual(seen, [[32, 32], [32, 32]], `comparisons for ${auth?.slice(0, 30)}`);
    }
    seen.length = 0;
    assert.equal((await list()).statusCode, 401);
    assert.equal((await list('Bearer x')).statusCode, 401);
  });

  test('the auth endpoints need the API credentials too (except /auth/basic, which carries the user\'s own)', async () => {
    const body = { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' };
    const without = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: body });
    assert.equal(without.statusCode, 401);
    assert.equal(without.json().error, 'AS_ERR_UNAUTHORIZED');
    assert.match(String(without.headers['www-authenticate']), /^Basic /);
    const withCreds = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: body, headers: { authorization: basic('ops', 'ops-password-1') } });
    assert.equal(withCreds.statusCode, 200);
    const userBasic = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic', headers: { authorization: basic('alice', 'alice-secret') } });
    assert.equal(userBasic.statusCode, 200);
  });
});

describe('JWT: tokens the protection tests do not try', () => {
  const secret = 'a-bad-input-secret-of-at-least-32-characters';
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'admin', roles: ['admin'], iat: now, exp: now + 600, typ: 'access' };
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const good = signJwt(claims, secret);
  const [head, body, sig] = good.split('.');
  const hmac = (h: string, b: string) => crypto.createHmac('sha256', secret).update(`${h}.${b}`).digest('base64url');

  const refused: Array<[string, string, RegExp]> = [
    ['alg "None" (other spellings of none)', `${b64({ alg: 'None' })}.${body}.`, /algorithm None/],
    ['alg "NONE" with the right signature', `${b64({ alg: 'NONE' })}.${body}.${hmac(b64({ alg: 'NONE' }), body)}`, /algorithm NONE/],
    ['alg HS512', `${b64({ alg: 'HS512', typ: 'JWT' })}.${body}.${sig}`, /algorithm HS512/],
    ['alg RS256 (key confusion)', `${b64({ alg: 'RS256', typ: 'JWT' })}.${body}.${hmac(b64({ alg: 'RS256', typ: 'JWT' }), body)}`, /algorithm RS256/],
    ['no alg at all', `${b64({ typ: 'JWT' })}.${body}.${hmac(b64({ typ: 'JWT' }), body)}`, /algorithm undefined/],
    ['claims changed after signing (roles escalated)', `${head}.${b64({ ...claims, sub: 'viewer', roles: ['admin', 'security'] })}.${sig}`, /bad signature/],
    ['signature truncated', `${head}.${body}.${sig.slice(0, -2)}`, /bad signature/],
    ['signature empty', `${head}.${body}.`, /bad signature/],
    ['four segments', `${good}.x`, /malformed/],
    ['two segments', `${head}.${body}`, /malformed/],
    ['header not JSON', `${Buffer.from('{alg').toString('base64url')}.${body}.${sig}`, /malformed/],
    ['exp missing', signJwt({ ...claims, exp: undefined as unknown as number }, secret), /expired/],
    ['exp a string', signJwt({ ...claims, exp: String(now + 600) as unknown as number }, secret), /expired/],
    ['exp just passed', signJwt({ ...claims, exp: now - 1 }, secret), /expired/],
    ['typ missing', signJwt({ ...claims, typ: undefined as unknown as string }, secret), /cannot be used here/],
    ['roles missing', signJwt({ ...claims, roles: undefined as unknown as string[] }, secret), /malformed claims/],
    ['sub not a string', signJwt({ ...claims, sub: 7 as unknown as string }, secret), /malformed claims/],
    ['key of another server (same length)', signJwt(claims, secret.replace(/a/g, 'b')), /bad signature/],
    ['an empty key', signJwt(claims, ''), /bad signature/],
  ];
  for (const [what, token, reason] of refused) {
    test(`refused: ${what}`, () => {
      const r = verifyJwt(token, secret);
      assert.equal(typeof r, 'string', `accepted: ${JSON.stringify(r)}`);
      assert.match(r as string, reason);
    });
  }

  test('the good token passes (the cases above differ from it in one thing each)', () => {
    assert.deepEqual(verifyJwt(good, secret), claims);
  });

  describe('over HTTP', () => {
    let fx: EngineFixture;
    before(async () => {
      fx = await startFixture('faults/input');
    });
    after(async () => {
      await fx?.close();
    });

    test('a refused token gets 401 on hooks and admin endpoints; a valid token without the role gets 403; an expired refresh token cannot renew', async () => {
      for (const [what, token] of refused) {
        for (const url of ['/api/v1/bruteforce/list', '/api/v1/custom/echo']) {
          const r = await fx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
          assert.equal(r.statusCode, 401, `${what} at ${url}`);
          assert.equal(r.json().error, 'AS_ERR_UNAUTHORIZED');
        }
      }
      const viewer = signJwt({ ...claims, sub: 'viewer', roles: ['monitoring'] }, secret);
      const noRoles = signJwt({ ...claims, sub: 'viewer', roles: [] }, secret);
      for (const t of [viewer, noRoles]) {
        const r = await fx.app.inject({ method: 'POST', url: '/api/v1/custom/admin-echo', headers: { authorization: `Bearer ${t}` }, payload: '{}' });
        assert.equal(r.statusCode, 403);
        assert.equal(r.json().error, 'AS_ERR_FORBIDDEN');
      }
      const oldRefresh = signJwt({ ...claims, typ: 'refresh', exp: now - 1 }, secret);
      const renew = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/refresh', payload: { refresh_token: oldRefresh } });
      assert.equal(renew.statusCode, 401);
      const goneUser = signJwt({ ...claims, sub: 'deleted-user', typ: 'refresh' }, secret);
      assert.equal((await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/refresh', payload: { refresh_token: goneUser } })).statusCode, 401);
    });
  });
});
