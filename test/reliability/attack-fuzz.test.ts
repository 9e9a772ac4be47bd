// The attack suite: over 20,000 hostile requests against a running `authstudio serve` (worker threads, a real
// redis-server), each judged by a client that knows the accounts: false successes, crashes and hangs must be 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { FIXTURES } from '../helpers/engine-fixture';
import { signJwt } from '../../engine/http/jwt';
import { prng, rawRequest, runPool, type RawAnswer, type Rng } from './support/attack-client';
import path from 'node:path';
import Redis from 'ioredis';

const USERS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret', 'cärol': 'pässword-ü', dave: '0', slowpoke: 'slow-secret' };
const API = `Basic ${Buffer.from('dovecot:dovecot-api-secret').toString('base64')}`;
const JWT_SECRET = 'an-attack-suite-secret-of-at-least-32-chars';
const SEED = Number(process.env.ATTACK_SEED ?? Date.now() % 1_000_000);
const WIDTH = 32;

type Kind = 'auth' | 'nginx' | 'admin';
interface Case {
  klass: string;
  head: string | Buffer;
  body?: string | Buffer;
  kind: Kind;
  /** A success is allowed (the right password, from where it may log in). */
  mayLogin: boolean;
  /** A control: it must succeed. */
  mustLogin?: boolean;
}

interface Tally { cases: number; successes: number; falseSuccesses: number; missed: number; hangs: number; errors5xx: number; statuses: Record<string, number> }
const tally: Record<string, Tally> = {};
const failures: string[] = [];

let redis: RedisServer;
let serve: ServeProcess;
let port = 0;

before(async () => {
  redis = await startRedisServer();
  serve = await spawnServe(['--config', path.join(FIXTURES, 'attack', 'authstudio.yml')], {
    REDIS_ADDRESS: redis.address, REDIS_PREFIX: `attack-${process.pid}:`,
  });
  port = Number(new URL(serve.url).port);
});

after(async () => {
  await serve?.stop();
  await redis?.stop();
  console.log(`attack suite figures (seed ${SEED})`, JSON.stringify(tally));
});

function isSuccess(c: Case, a: RawAnswer): boolean {
  if (a.status < 200 || a.status >= 300) return false;
  if (c.kind === 'nginx') return a.headers['auth-status'] === 'OK';
  return true;
}

async function fire(cases: Case[]): Promise<void> {
  await runPool(cases.map((c) => async () => {
    const a = await rawRequest(port, c.head, c.body ?? '');
    const t = (tally[c.klass] ??= { cases: 0, successes: 0, falseSuccesses: 0, missed: 0, hangs: 0, errors5xx: 0, statuses: {} });
    t.cases++;
    t.statuses[a.status] = (t.statuses[a.status] ?? 0) + 1;
    const describe = () => `${c.klass}: ${String(c.head).split('\r\n').slice(0, 6).join(' | ').slice(0, 400)} body=${String(c.body ?? '').slice(0, 120)} -> ${a.status} ${a.headers['auth-status'] ?? ''} ${a.body.slice(0, 120)}`;
    if (a.hung) {
      t.hangs++;
      failures.push(`HANG ${describe()}`);
      return;
    }
    if (a.status >= 500) {
      t.errors5xx++;
      failures.push(`5xx ${describe()}`);
    }
    if (isSuccess(c, a)) {
      t.successes++;
      if (!c.mayLogin) {
        t.falseSuccesses++;
        failures.push(`FALSE SUCCESS ${describe()}`);
      }
    } else if (c.mustLogin) {
      t.missed++;
      failures.push(`MISSED ${describe()}`);
    }
  }), WIDTH);
}

// ---- request builders ---------------------------------------------------------------------------------

const utf8Latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const head = (method: string, target: string, headers: Record<string, string> = {}) =>
  [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${utf8Latin1(v)}`)].join('\r\n');

interface Login { user?: string; pass?: unknown; ip?: string; protocol?: string; omitPass?: boolean }

/** One login through `endpoint`, as Dovecot (json, header), nginx or a mail client (basic) would send it. */
function login(endpoint: 'json' | 'header' | 'nginx' | 'basic', l: Login, extra: Record<string, string> = {}, query = ''): Pick<Case, 'head' | 'body' | 'kind'> {
  const proto = l.protocol ?? 'imap';
  if (endpoint === 'json') {
    const body: Record<string, unknown> = { username: l.user, protocol: proto };
    if (!l.omitPass) body.password = l.pass;
    if (l.ip !== undefined) body.client_ip = l.ip;
    return { kind: 'auth', head: head('POST', `/api/v1/auth/json${query}`, { Authorization: API, 'Content-Type': 'application/json', ...extra }), body: JSON.stringify(body) };
  }
  if (endpoint === 'basic') {
    return { kind: 'auth', head: head('GET', `/api/v1/auth/basic${query}`, { Authorization: `Basic ${Buffer.from(`${l.user ?? ''}:${String(l.pass ?? '')}`).toString('base64')}`, ...extra }) };
  }
  const h: Record<string, string> = { 'Auth-Protocol': proto, 'Auth-Method': 'plain' };
  if (endpoint === 'header') h.Authorization = API;
  if (endpoint === 'nginx') h.Authorization = API;
  if (l.user !== undefined) h['Auth-User'] = endpoint === 'nginx' ? encodeURIComponent(l.user) : l.user;
  if (!l.omitPass && l.pass !== undefined) h['Auth-Pass'] = endpoint === 'nginx' ? encodeURIComponent(String(l.pass)) : String(l.pass);
  if (l.ip !== undefined) h['Client-IP'] = l.ip;
  return { kind: endpoint === 'nginx' ? 'nginx' : 'auth', head: head('GET', `/api/v1/auth/${endpoint}${query}`, { ...h, ...extra }) };
}

/** The string the engine may read a JSON password as: strings, and numbers as their decimal text. */
function passwordText(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (typeof p === 'number' && Number.isFinite(p)) return String(p);
  return undefined;
}
const right = (user: string | undefined, pass: unknown) => user !== undefined && Object.prototype.hasOwnProperty.call(USERS, user) && USERS[user] === passwordText(pass);

function fuzzNet(r: Rng): string {
  // 100.64.0.0/10 minus 100.127/16 (kept for the concurrency rounds); field values only, never contacted
  return r.chance(0.8) ? `100.${64 + r.int(63)}.${r.int(256)}.${1 + r.int(254)}` : `2001:db8:${(0x100 + r.int(0xe00)).toString(16)}::${(1 + r.int(0xfffe)).toString(16)}`;
}

function wrongPassword(r: Rng, user: string | undefined): unknown {
  const real = user !== undefined && USERS[user] !== undefined ? USERS[user] : 'alice-secret';
  const variants: unknown[] = [
    '', ' ', real.toUpperCase(), real + ' ', ' ' + real, real.slice(0, -1), real + '\u200b', real.normalize('NFD'), real + '\u0000x',
    'bob-secret', 'alice-secret', 'pässword-ü'.normalize('NFD'), '00', ' 0', '0.0', 'false', 'nil', 'null', 'undefined', '*', '%', '.*',
    null, true, false, [real], { password: real }, 1, -0, 0.5, 'x'.repeat(r.int(300)), String.fromCharCode(...Array.from({ length: 12 }, () => 32 + r.int(95))),
  ];
  const v = r.pick(variants);
  // a variant that happens to be the right password is not wrong
  return right(user, v) ? 'definitely-wrong' : v;
}

function pickUser(r: Rng): string {
  return r.pick(['alice', 'bob', 'cärol', 'dave', 'Alice', 'ALICE', 'alice ', ' alice', 'alice\u200b', 'nosuchuser', 'root', 'admin', 'c\u0061\u0308rol', `u${r.int(100000)}`, 'dave0', '0', '*', '%', 'alice@example.test']);
}

// ---- attack classes -----------------------------------------------------------------------------------

const PROTECTED: Array<{ method: string; path: string; body?: string; kind: Kind; headers?: Record<string, string> }> = [
  { method: 'GET', path: '/api/v1/bruteforce/list', kind: 'admin' },
  { method: 'POST', path: '/api/v1/bruteforce/list', kind: 'admin', body: '{}', headers: { 'Content-Type': 'application/json' } },
  { method: 'DELETE', path: '/api/v1/bruteforce/flush', kind: 'admin', body: '{"ip_address":"100.127.250.1","rule_name":"*"}', headers: { 'Content-Type': 'application/json' } },
  { method: 'DELETE', path: '/api/v1/cache/flush', kind: 'admin', body: '{"user":"alice"}', headers: { 'Content-Type': 'application/json' } },
  { method: 'GET', path: '/api/v1/custom/admin-echo', kind: 'admin' },
  { method: 'POST', path: '/api/v1/custom/admin-echo', kind: 'admin', body: '{}', headers: { 'Content-Type': 'application/json' } },
  { method: 'POST', path: '/api/v1/auth/json', kind: 'auth', body: '{"username":"alice","password":"alice-secret","client_ip":"100.127.251.1"}', headers: { 'Content-Type': 'application/json' } },
  { method: 'GET', path: '/api/v1/auth/header', kind: 'auth', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Client-IP': '100.127.251.2' } },
  { method: 'GET', path: '/api/v1/auth/nginx', kind: 'nginx', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Auth-Protocol': 'imap', 'Client-IP': '100.127.251.3' } },
];

/** Spellings of a path that a lax router may map onto the same route. */
function mangle(r: Rng, p: string): string {
  let s = p;
  const steps = 1 + r.int(3);
  for (let i = 0; i < steps; i++) {
    const segs = s.split('/');
    if (segs.length < 2) break; // every slash already percent-encoded
    const at = 1 + r.int(segs.length - 1);
    switch (r.int(11)) {
      case 0: { // percent-encode one letter
        const idx = [...s].map((ch, j) => (/[a-z]/i.test(ch) ? j : -1)).filter((j) => j >= 0);
        const j = r.pick(idx);
        const hex = s.charCodeAt(j).toString(16);
        s = s.slice(0, j) + '%' + (r.chance(0.5) ? hex : hex.toUpperCase()) + s.slice(j + 1);
        break;
      }
      case 1: segs[at] = segs[at].toUpperCase(); s = segs.join('/'); break;
      case 2: segs.splice(at, 0, ''); s = segs.join('/'); break; // a doubled slash
      case 3: segs.splice(at, 0, '.'); s = segs.join('/'); break;
      case 4: segs.splice(at, 0, 'x', '..'); s = segs.join('/'); break;
      case 5: s = s + '/'; break;
      case 6: segs[at] = segs[at] + r.pick([';', ';x=1', ';jsessionid=1']); s = segs.join('/'); break;
      case 7: s = '/' + s; break;
      case 8: s = s.replace(/\//g, (m) => (r.chance(0.3) ? '%2F' : m)); break;
      case 9: segs[at] = segs[at] + r.pick(['%00', '%20', '%09', '.', '~']); s = segs.join('/'); break;
      default: s = s + r.pick(['?', '?mode=auth', '#x', '?x=/../']);
    }
  }
  if (r.chance(0.3)) s = r.pick(['http://127.0.0.1', 'http://x', 'HTTP://localhost:1', 'https://127.0.0.1']) + s;
  return s;
}

function classPathBypass(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const t = r.pick(PROTECTED);
    return { klass: 'A path and request-line spellings without API credentials', kind: t.kind, mayLogin: false, head: head(t.method, mangle(r, t.path), t.headers), body: t.body };
  });
}

function forgedTokens(): Array<[string, string]> {
  const now = Math.floor(Date.now() / 1000);
  const admin = signJwt({ sub: 'admin', roles: ['admin'], iat: now, exp: now + 3600, typ: 'access' }, JWT_SECRET);
  const [h, b, s] = admin.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b}.`;
  const std = Buffer.from(s, 'base64url').toString('base64');
  return [
    ['alg none', `Bearer ${none}`],
    ['alg none, no dot', `Bearer ${b64({ alg: 'none' })}.${b}`],
    ['wrong key', `Bearer ${signJwt({ sub: 'admin', roles: ['admin'], iat: now, exp: now + 3600, typ: 'access' }, 'not-the-secret-not-the-secret-not-the')}`],
    ['expired', `Bearer ${signJwt({ sub: 'admin', roles: ['admin'], iat: now - 7200, exp: now - 3600, typ: 'access' }, JWT_SECRET)}`],
    ['refresh token as access', `Bearer ${signJwt({ sub: 'admin', roles: ['admin'], iat: now, exp: now + 3600, typ: 'refresh' }, JWT_SECRET)}`],
    ['monitoring role on an admin endpoint', `Bearer ${signJwt({ sub: 'viewer', roles: ['monitoring'], iat: now, exp: now + 3600, typ: 'access' }, JWT_SECRET)}`],
    ['no roles', `Bearer ${signJwt({ sub: 'viewer', roles: [], iat: now, exp: now + 3600, typ: 'access' }, JWT_SECRET)}`],
    ['signature with == appended', `Bearer ${h}.${b}.${s}==`],
    ['signature with = appended', `Bearer ${h}.${b}.${s}=`],
    ['signature in standard base64', `Bearer ${h}.${b}.${std}`],
    ['payload with padding', `Bearer ${h}.${b}=.${s}`],
    ['trailing dot', `Bearer ${admin}.`],
    ['alg HS512 header', `Bearer ${b64({ alg: 'HS512', typ: 'JWT' })}.${b}.${s}`],
    ['basic: wrong password', `Basic ${Buffer.from('dovecot:wrong').toString('base64')}`],
    ['basic: trailing space', `Basic ${Buffer.from('dovecot:dovecot-api-secret ').toString('base64')}`],
    ['basic: upper-case user', `Basic ${Buffer.from('DOVECOT:dovecot-api-secret').toString('base64')}`],
    ['basic: empty', 'Basic '],
    ['basic: user only', `Basic ${Buffer.from('dovecot').toString('base64')}`],
    ['basic: NUL', `Basic ${Buffer.from('dovecot:dovecot-api-secret\u0000').toString('base64')}`],
  ];
}

function classForgery(r: Rng, n: number): Case[] {
  const tokens = forgedTokens();
  // the monitoring role may list blocked networks; only state-changing admin endpoints and the admin hook are judged
  const targets = PROTECTED.filter((t) => t.kind === 'admin' && !t.path.endsWith('/list'));
  return Array.from({ length: n }, () => {
    const t = r.pick(targets);
    const [name, authz] = r.pick(tokens);
    return { klass: `B forged API credentials (${name.startsWith('basic') ? 'basic' : 'JWT'})`, kind: t.kind, mayLogin: false, head: head(t.method, t.path, { ...t.headers, Authorization: authz }), body: t.body };
  });
}

function classGuessing(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const endpoint = r.pick(['json', 'json', 'header', 'nginx', 'basic'] as const);
    const user = pickUser(r);
    const pass = r.chance(0.12) && USERS[user] !== undefined ? USERS[user] : wrongPassword(r, user);
    const protocol = r.pick(['imap', 'smtp', 'pop3', 'POP3', 'submission', 'sieve', 'lmtp', 'imap\u00e4', `p${r.int(1000)}`]);
    const omitIp = r.chance(0.1);
    const l: Login = { user, pass, protocol, ip: omitIp ? undefined : fuzzNet(r), omitPass: r.chance(0.05) };
    // the basic endpoint carries strings only
    if (endpoint !== 'json' && typeof l.pass !== 'string') l.pass = typeof l.pass === 'number' ? String(l.pass) : '';
    if (endpoint !== 'json' && /[\u0000\r\n]/.test(`${l.user}${String(l.pass)}`)) l.pass = 'no-ctl';
    const bobPop3 = user === 'bob' && protocol.toLowerCase() === 'pop3';
    // HTTP drops the spaces around a header value (RFC 9110 5.5): on the header endpoint " alice" is "alice"
    const ows = (v: unknown) => (endpoint === 'header' && typeof v === 'string' ? v.replace(/^[ \t]+|[ \t]+$/g, '') : v);
    return { klass: 'C password guessing (wrong, empty, typed, look-alike)', ...login(endpoint, l), mayLogin: !l.omitPass && right(ows(user) as string, ows(l.pass)) && !bobPop3 };
  });
}

/** Spellings of one client address in `net` (IPv4-mapped IPv6, hex, expanded, brackets, case). */
function spellings(v4: [number, number, number, number]): string[] {
  const [a, b, c, d] = v4;
  const hi = ((a << 8) | b).toString(16);
  const lo = ((c << 8) | d).toString(16).padStart(4, '0');
  const dotted = `${a}.${b}.${c}.${d}`;
  return [dotted, `::ffff:${dotted}`, `::FFFF:${dotted}`, `::ffff:${hi}:${lo}`, `::FFFF:${hi.toUpperCase()}:${lo.toUpperCase()}`, `0:0:0:0:0:ffff:${hi}:${lo}`,
    `0000:0000:0000:0000:0000:ffff:${hi}:${lo}`, `[::ffff:${dotted}]`, `0:0:0:0:0:FFFF:${dotted}`, `::ffff:${dotted}%eth0`];
}
function v6Spellings(n: number): string[] {
  const h = n.toString(16);
  return [`2001:db8:bad::${h}`, `2001:DB8:BAD::${h.toUpperCase()}`, `2001:0db8:0bad:0000:0000:0000:0000:${h.padStart(4, '0')}`, `[2001:db8:bad::${h}]`, `2001:db8:bad:0:ffff::${h}`, `2001:db8:bad::${h}%lo`];
}

function classBlocked(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const endpoint = r.pick(['json', 'header', 'nginx'] as const);
    const which = r.int(3);
    const last = 1 + r.int(254);
    const ip = which === 0 ? r.pick(spellings([198, 51, 100, last])) : which === 1 ? r.pick(v6Spellings(last)) : r.pick(spellings([203, 0, 113, last]));
    const user = r.pick(['alice', 'dave']);
    const klass = which === 2 ? 'D blocklist feature: right password from 203.0.113.0/24 in any spelling' : 'D brute force: right password from a blocked network in any spelling';
    return { klass, ...login(endpoint, { user, pass: USERS[user], ip }), mayLogin: false };
  });
}

function classFilter(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const endpoint = r.pick(['json', 'header', 'nginx'] as const);
    return { klass: 'E filter: bob over POP3 in any case', ...login(endpoint, { user: 'bob', pass: USERS.bob, protocol: r.pick(['pop3', 'POP3', 'Pop3', 'pOp3']), ip: `100.126.${r.int(256)}.${1 + r.int(254)}` }), mayLogin: false };
  });
}

function classEmpty(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const endpoint = r.pick(['json', 'header', 'nginx', 'basic'] as const);
    const user = r.pick(['nosuchuser', `ghost${r.int(1e6)}`, 'alice', 'bob', 'cärol', 'root']);
    const omit = endpoint !== 'basic' && r.chance(0.4);
    const pass = endpoint === 'json' ? r.pick(['', null, undefined]) : '';
    return { klass: 'G empty or missing password', ...login(endpoint, { user, pass, omitPass: omit || pass === undefined, ip: fuzzNet(r) }), mayLogin: false };
  });
}

function classUntrustedModes(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, () => {
    const user = r.pick(['alice', 'bob', 'dave', 'nosuchuser']);
    const mode = r.pick(['no-auth', 'list-accounts']);
    const extra: Record<string, string> = r.chance(0.5) ? { 'Client-IP': `10.9.${r.int(256)}.1`, 'X-SSL': 'on' } : {};
    return { klass: 'H /auth/basic without API credentials: no-auth and list-accounts modes', ...login('basic', { user, pass: 'not-the-password' }, extra, `?mode=${mode}`), mayLogin: false };
  });
}

function classControls(r: Rng, n: number): Case[] {
  return Array.from({ length: n }, (_, i) => {
    const endpoint = r.pick(['json', 'header', 'nginx'] as const);
    const user = r.pick(Object.keys(USERS));
    // a network no other class uses, one login each: nothing may block it
    const ip = `10.${1 + (i >> 8)}.${i & 255}.${1 + r.int(254)}`;
    return { klass: 'I controls: right password from a clean network', ...login(endpoint, { user, pass: USERS[user], ip }), mayLogin: true, mustLogin: true };
  });
}

test(`attack suite: over 20,000 hostile requests, 0 false successes, 0 hangs, 0 crashes (seed ${SEED})`, async () => {
  const r = prng(SEED);
  // access control first: a bypass of a flush endpoint must not disturb the brute-force state set up later
  await fire(classPathBypass(r, 3000));
  await fire(classForgery(r, 2000));

  // block 198.51.100.0/24 and 2001:db8:bad::/64 with five distinct wrong passwords each
  const setup: Case[] = [];
  for (let i = 0; i < 5; i++) {
    setup.push({ klass: 'setup: block two networks', ...login('json', { user: 'alice', pass: `wrong-${i}`, ip: `198.51.100.${10 + i}` }), mayLogin: false });
    setup.push({ klass: 'setup: block two networks', ...login('json', { user: 'alice', pass: `wrong-${i}`, ip: `2001:db8:bad::${10 + i}` }), mayLogin: false });
  }
  for (const c of setup) await fire([c]);

  const mixed = [...classGuessing(r, 9000), ...classBlocked(r, 3000), ...classFilter(r, 500), ...classEmpty(r, 1500), ...classUntrustedModes(r, 1000)];
  for (let i = mixed.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [mixed[i], mixed[j]] = [mixed[j], mixed[i]];
  }
  await fire(mixed);

  // concurrency: 60 parallel wrong guesses from one network for an account whose backend takes 100 ms (the
  // backend counts each password that reaches it); once 5 have reached it, the right password is sent too
  const db = new Redis(redis.port, '127.0.0.1', { keyPrefix: `attack-${process.pid}:`, lazyConnect: false });
  try {
    for (let round = 0; round < 4; round++) {
      const client = `100.127.${round}.9`;
      const burst = Array.from({ length: 60 }, (_, k): Case => ({ klass: 'F concurrent guesses from one network', ...login('json', { user: 'slowpoke', pass: `burst-${round}-${k}`, ip: client }), mayLogin: false }));
      const all = runPool(burst.map((c) => () => fire([c])), 60);
      for (let i = 0; i < 500 && Number(await db.get(`reached:${client}`)) < 5; i++) await new Promise((res) => setTimeout(res, 10));
      await fire([{ klass: 'F right password during a concurrent burst', ...login('json', { user: 'slowpoke', pass: USERS.slowpoke, ip: client }), mayLogin: false }]);
      await all;
      const reached = Number(await db.get(`reached:${client}`));
      (tally['F passwords that reached the backend per burst (limit 5)'] ??= { cases: 0, successes: 0, falseSuccesses: 0, missed: 0, hangs: 0, errors5xx: 0, statuses: {} }).statuses[round] = reached;
      if (reached > 5) failures.push(`BURST round ${round}: ${reached} of 61 passwords reached the backend (failed_requests: 5)`);
    }
  } finally {
    db.disconnect();
  }

  await fire(classControls(r, 1000));

  const ping = await rawRequest(port, head('GET', '/ping'));
  // client-chosen protocols (about 1,000 distinct values were sent) must not become metric labels one by one
  const metrics = await rawRequest(port, head('GET', '/metrics'));
  const protocols = new Set([...metrics.body.matchAll(/protocol="([^"]*)"/g)].map((m) => m[1]));
  console.log(`attack suite: /metrics ${metrics.body.length} bytes, ${protocols.size} protocol label values: ${[...protocols].join(', ')}`);
  const total = Object.values(tally).reduce((a, t) => a + t.cases, 0);
  const sum = (k: keyof Tally) => Object.values(tally).reduce((a, t) => a + (t[k] as number), 0);
  console.log(`attack suite: ${total} requests, ${sum('falseSuccesses')} false successes, ${sum('hangs')} hangs, ${sum('errors5xx')} 5xx, ${sum('missed')} refused controls`);
  // a few examples of each kind of failure and class
  const shown = new Map<string, number>();
  for (const f of failures) {
    const key = f.slice(0, f.indexOf(':'));
    if ((shown.get(key) ?? 0) >= 4) continue;
    shown.set(key, (shown.get(key) ?? 0) + 1);
    console.log(f);
  }
  assert.ok(total >= 20_000, `only ${total} requests`);
  assert.equal(serve.child.exitCode, null, `the engine died: ${serve.stderr().slice(-2000)}`);
  assert.equal(ping.status, 200, 'the engine stopped answering /ping');
  assert.equal(metrics.status, 200, '/metrics failed');
  assert.ok(protocols.size <= 16, `${protocols.size} protocol label values in /metrics`);
  assert.equal(sum('falseSuccesses'), 0, 'false successes (see the list above)');
  assert.equal(sum('hangs'), 0, 'hung requests');
  assert.equal(sum('errors5xx'), 0, 'server errors');
  assert.equal(sum('missed'), 0, 'right logins from clean networks were refused');
  assert.equal(failures.filter((f) => f.startsWith('BURST')).length, 0, 'concurrent guesses got past the brute-force limit');
  assert.ok(tally['I controls: right password from a clean network'].successes === 1000);
});
