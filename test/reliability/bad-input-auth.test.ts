// Property-based bad input on the auth endpoints (json, header, basic, nginx): a 4xx with a clear error or a normal decision, never a 5xx or a success without the password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { CLIENT_FIELDS } from '../../engine/pipeline/auth-request';
import { anyJson, fieldValue, headerSafe, headerValue, ipAddress, nastyString, password, userName } from './support/input-arbitraries';
import { checkAuthAnswer, correct, tally } from './support/input-oracle';

let fx: EngineFixture;
before(async () => {
  fx = await startFixture('faults/input');
});
after(async () => {
  await fx?.close();
  console.log('bad-input auth figures', JSON.stringify(tally));
});

const RUNS = 250;
const json = (payload: string | Buffer, url = '/api/v1/auth/json') =>
  fx.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
const parsedCorrect = (text: string): boolean => {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && correct(v.username, v.password);
  } catch {
    return false;
  }
};
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>, numRuns = RUNS) => fc.assert(fc.asyncProperty(arb, check), { numRuns });

test('json: malformed JSON bodies are 400 with an error code', async () => {
  const truncated = fc.json().chain((s) => fc.nat(s.length).map((n) => s.slice(0, n)));
  const broken = fc.constantFrom('{"username":"alice","password":"alice-secret"', '{username:"alice"}', "{'username':'alice'}", '{"username":"alice",}', '[{"username":"alice"', '{"username":"alice","password":"alice-secret"}}', '{"__proto__":{"x":1},"username":"alice"}', '{"constructor":{"prototype":{"x":1}}}', 'null', '', '\ufeff{}', '{"a":' + '['.repeat(5000));
  await run(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), truncated, broken), async (body) => {
    checkAuthAnswer('json: malformed JSON', await json(body), parsedCorrect(body));
  });
});

test('json: wrong types for the body and every field', async () => {
  const fields = fc.dictionary(fc.constantFrom(...CLIENT_FIELDS, 'service', 'unknown_field'), fieldValue, { maxKeys: 8 });
  await run(fc.oneof(anyJson, fields, fields.map((f) => ({ username: 'alice', ...f }))), async (body) => {
    const text = JSON.stringify(body) ?? 'null';
    checkAuthAnswer('json: wrong types', await json(text), parsedCorrect(text));
  });
});

test('json: control characters, lone surrogates and exotic Unicode in user names and passwords', async () => {
  await run(fc.record({ username: userName, password, protocol: fc.constantFrom('imap', 'smtp', 'pop3', '') }), async (body) => {
    checkAuthAnswer('json: user names and passwords', await json(JSON.stringify(body)), correct(body.username, body.password));
  });
});

test('json: invalid UTF-8 bytes in the body', async () => {
  const bytes = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b.map((x) => x | 0x80)));
  await run(fc.tuple(bytes, bytes), async ([u, p]) => {
    const body = Buffer.concat([Buffer.from('{"username":"alice'), u, Buffer.from('","password":"alice-secret'), p, Buffer.from('"}')]);
    checkAuthAnswer('json: invalid UTF-8', await json(body), false);
  });
});

test('json: valid, exotic and broken IP addresses (IPv6, mapped, zones, brackets, garbage)', async () => {
  await run(fc.record({ client_ip: ipAddress, local_ip: fc.option(ipAddress, { nil: undefined }), good: fc.boolean() }), async ({ client_ip, local_ip, good }) => {
    const body = { username: 'alice', password: good ? 'alice-secret' : 'nope', client_ip, ...(local_ip === undefined ? {} : { local_ip }) };
    const res = await json(JSON.stringify(body));
    checkAuthAnswer('json: IP addresses', res, good);
    const plain = (ip: string | undefined) => ip === undefined || net.isIP(ip) !== 0;
    // a well-formed address is never refused
    if (plain(client_ip) && plain(local_ip)) assert.equal(res.statusCode, good ? 200 : 403, `${client_ip} / ${local_ip}: ${res.body}`);
    if (res.statusCode === 400) assert.match(res.json().field, /^(client_ip|local_ip)$/);
  });
});

test('json: any combination of missing fields', async () => {
  // every field valid when present: only absence varies
  const valid: Record<string, fc.Arbitrary<string>> = { username: fc.constantFrom('alice', 'bob'), password: fc.constantFrom('alice-secret', 'bob-secret'), client_ip: fc.constantFrom('198.51.100.7', '2001:db8::7'), local_ip: fc.constant('192.0.2.1'), client_port: fc.constant('50000'), local_port: fc.constant('993'), protocol: fc.constantFrom('imap', 'smtp'), auth_login_attempt: fc.constant('1'), ssl: fc.constant('on') };
  const body = fc.record(Object.fromEntries(CLIENT_FIELDS.map((f) => [f, valid[f] ?? fc.constant('x')])) as Record<(typeof CLIENT_FIELDS)[number], fc.Arbitrary<string>>, { requiredKeys: [] });
  await run(body, async (b) => {
    const res = await json(JSON.stringify(b));
    checkAuthAnswer('json: missing fields', res, correct(b.username, b.password));
    if (!b.username) assert.equal(res.statusCode, 400);
    else assert.equal(res.statusCode, correct(b.username, b.password) ? 200 : 403, res.body);
  });
});

test('json: huge bodies and fields are refused with 413 / 400', async () => {
  const huge = fc.oneof(
    fc.integer({ min: 65 * 1024, max: 400 * 1024 }).map((n) => JSON.stringify({ username: 'alice', password: 'alice-secret', client_id: 'x'.repeat(n) })),
    fc.integer({ min: 65 * 1024, max: 400 * 1024 }).map((n) => '['.repeat(n)),
    fc.integer({ min: 4097, max: 60 * 1024 }).map((n) => JSON.stringify({ username: 'alice', password: 'alice-secret', user_agent: 'u'.repeat(n) })),
  );
  await run(huge, async (body) => {
    const res = await json(body);
    checkAuthAnswer('json: huge bodies', res, false);
    assert.ok(res.statusCode === 413 || res.statusCode === 400, String(res.statusCode));
  }, 30);
});

test('json GET: query strings with any mode, fields and garbage', async () => {
  const q = fc.record({ mode: fc.option(fc.oneof(fc.constantFrom('auth', 'no-auth', 'list-accounts', 'AUTH', ''), nastyString), { nil: undefined }), username: fc.option(userName, { nil: undefined }), password: fc.option(password, { nil: undefined }), client_ip: fc.option(ipAddress, { nil: undefined }) }, { requiredKeys: [] });
  await run(fc.tuple(q, fc.constantFrom('', '&mode=auth&mode=no-auth', '&%zz=1', '&username[]=alice', '&=&&')), async ([params, raw]) => {
    const search = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent((v as string).replace(/[\ud800-\udfff]/g, ''))}`).join('&');
    const res = await fx.app.inject({ method: 'GET', url: `/api/v1/auth/json?${search}${raw}` });
    const mode = raw.includes('mode=') ? undefined : params.mode;
    // no-auth (a known user) and list-accounts answer 200 without a password by design
    const ok = correct(params.username, params.password) || mode === 'no-auth' || mode === 'list-accounts';
    checkAuthAnswer('json GET: query strings', res, ok);
  });
});

test('header endpoint: any Auth-* header values, missing headers', async () => {
  const names = ['auth-user', 'auth-pass', 'auth-protocol', 'client-ip', 'x-client-port', 'x-local-ip', 'x-auth-port', 'auth-login-attempt', 'x-ssl', 'user-agent'];
  const arb = (n: string): fc.Arbitrary<string> => {
    if (n === 'client-ip' || n === 'x-local-ip') return fc.oneof(fc.constant('198.51.100.7'), ipAddress.map(headerSafe));
    if (n === 'auth-user') return userName.map(headerSafe);
    if (n === 'auth-pass') return password.map(headerSafe);
    if (n === 'x-client-port' || n === 'x-auth-port') return fc.oneof(fc.constant('993'), headerValue);
    return fc.oneof(fc.constantFrom('imap', 'on', '1'), headerValue);
  };
  const headers = fc.record(Object.fromEntries(names.map((n) => [n, arb(n)])) as Record<string, fc.Arbitrary<string>>, { requiredKeys: [] });
  await run(headers, async (h) => {
    const res = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/header', headers: h });
    checkAuthAnswer('header: Auth-* headers', res, correct(h['auth-user'], h['auth-pass']) || correct(h['auth-user']?.trim(), h['auth-pass']?.trim()));
  });
});

test('basic endpoint: any Authorization header', async () => {
  const creds = fc.tuple(userName, password).map(([u, p]) => `${u}:${p}`);
  const auth = fc.oneof(
    creds.map((c) => `Basic ${Buffer.from(c).toString('base64')}`),
    fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
    fc.tuple(fc.constantFrom('Basic ', 'basic ', 'BASIC  ', 'Bearer ', 'Basic', 'Digest '), fc.string({ maxLength: 40 })).map(([s, r]) => headerSafe(s + r)),
    fc.constantFrom('Basic YWxpY2U6YWxpY2Utc2VjcmV0', 'Basic YWxpY2U6YWxpY2Utc2VjcmV0===', 'Basic YWxpY2VhbGljZS1zZWNyZXQ=', 'Basic Og==', 'Basic ', 'Basic !!!!'),
  );
  await run(fc.option(auth, { nil: undefined }), async (a) => {
    const res = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic', headers: a === undefined ? {} : { authorization: a } });
    const m = a && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(a);
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const i = decoded.indexOf(':');
    checkAuthAnswer('basic: Authorization', res, i >= 0 && correct(decoded.slice(0, i), decoded.slice(i + 1)));
    if (!m) assert.equal(res.statusCode, 401);
  });
});

test('nginx endpoint: escaped and broken Auth-User / Auth-Pass, any Client-IP', async () => {
  const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''));
  const h = fc.record({
    'auth-user': fc.oneof(userName.map(enc), headerValue),
    'auth-pass': fc.oneof(password.map(enc), headerValue),
    'client-ip': ipAddress.map(headerSafe),
    'auth-protocol': fc.constantFrom('imap', 'pop3', 'smtp', 'IMAP', ''),
    'auth-method': fc.constantFrom('plain', 'login', 'cram-md5', ''),
  }, { requiredKeys: ['auth-protocol'] });
  await run(h, async (headers) => {
    const res = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers });
    const dec = (s: string | undefined) => {
      try {
        return s === undefined ? undefined : decodeURIComponent(s);
      } catch {
        return undefined;
      }
    };
    checkAuthAnswer('nginx: Auth-User / Auth-Pass', res, correct(dec(headers['auth-user']), dec(headers['auth-pass'])) || correct(dec(headers['auth-user']?.trim()), dec(headers['auth-pass']?.trim())), true);
  });
});

test('after all of it the engine serves normally', async () => {
  const ok = await json(JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' }));
  assert.equal(ok.statusCode, 200);
  assert.equal(fx.engine.busy, 0);
});
