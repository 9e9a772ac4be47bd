// The workspace's test files: tests/**/*.test.yml, each one test (a mapping) or several (a list). Three kinds:
//
//   request:  {...fields}   a saved login through the whole pipeline   expect: decision, status, headers, attributes, decided_by
//   lua_test: {script, callback, mock}   a Nauthilus --test-lua fixture (mock: its JSON file, read as it is)
//   dovecot:  {script, action, login, env, serve_workspace}            expect: status, outcome, fields
//   hook:     {method, path, headers, body}  a custom hook call         expect: status, headers, body
//
// `{{name}}` in any string is replaced by the variable of the chosen environment (tests/environments.yml).
//
// Every test may declare `redis:` (strings, hashes, sets, lists, zsets, ttl_seconds) written to a fresh embedded Redis;
// request and dovecot tests also `http:` (answers by URL, served on a loopback port) and `dns:` (records by name).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AuthStudioError } from '../errors/registry';
import { FIXTURE_CALLBACKS, TRACKED_MODULES, type FixtureCallback } from './nauthilus-fixture';
import type { HttpAnswer } from './http-answers';
import type { DnsRecords } from './dns-answers';

export interface TestBase {
  name: string;
  /** The test file, relative to the workspace, and the line the test starts on. */
  file: string;
  line: number;
  redis?: Record<string, unknown>;
  /** HTTP answers for the scripts' requests (request and dovecot tests). */
  http?: HttpAnswer[];
  /** DNS answers by name (request and dovecot tests): the engine's resolver is a DNS server answering them. */
  dns?: DnsRecords;
  /** The time scripts see when the test starts (ms since the epoch; it runs on from there). */
  time?: number;
  /** Nauthilus fixture sections (db, ldap, http_client, dns, any module's expected_calls) for every VM of the engine. */
  mocks?: Record<string, Record<string, unknown>>;
}
export interface RequestTest extends TestBase {
  kind: 'request';
  request: Record<string, string>;
  mode: 'auth' | 'no-auth' | 'list-accounts';
  expect: RequestExpect;
}
export interface RequestExpect {
  decision?: 'ok' | 'fail' | 'tempfail';
  status?: number;
  headers?: Record<string, string>;
  attributes?: Record<string, string>;
  status_message?: string;
  /** The stage that decided: a stage kind (`feature`) or kind and name (`feature:blocklist`). */
  decided_by?: string;
  /** custom_log_add pairs the request's scripts made (the last value of a key counts). */
  logs?: Record<string, string>;
}
export interface FixtureTest extends TestBase {
  kind: 'lua_test';
  script: string;
  callback: FixtureCallback;
  /** Host path of the fixture JSON. */
  mock: string;
}
export interface DovecotTest extends TestBase {
  kind: 'dovecot';
  script: string;
  action: 'passdb' | 'userdb';
  login: { user: string; password?: string; service?: string; remoteIp?: string; localIp?: string; mech?: string };
  env: Record<string, string>;
  serveWorkspace: boolean;
  expect: { status?: string; outcome?: string; fields?: Record<string, string> };
}
export interface HookTest extends TestBase {
  kind: 'hook';
  hook: { method: string; path: string; headers: Record<string, string>; body: string };
  expect: { status?: number; headers?: Record<string, string>; body?: string };
}
export type WorkspaceTest = RequestTest | FixtureTest | DovecotTest | HookTest;

/** What `{{name}}` stands for; null: leave the placeholders as they are (listing files without an environment). */
export type TestVariables = Record<string, string> | null;

/** `v` with every `{{name}}` of its strings replaced; an unknown name is reported through `fail`. */
export function substituteVariables(v: unknown, vars: Record<string, string>, fail: (name: string) => never): unknown {
  if (typeof v === 'string') return v.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_m, name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : fail(name)));
  if (Array.isArray(v)) return v.map((x) => substituteVariables(x, vars, fail));
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteVariables(x, vars, fail)]));
  return v;
}

/** Every *.test.yml under `dir` (recursively), sorted. */
export function findTestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTestFiles(p));
    else if (e.name.endsWith('.test.yml') || e.name.endsWith('.test.yaml')) out.push(p);
  }
  return out.sort();
}

/** Parse one test file. Throws AS_ERR_TEST_FILE naming file:line and the key path of what is wrong. */
export function parseTestFile(workspace: string, file: string, vars: TestVariables = {}): WorkspaceTest[] {
  const rel = path.relative(workspace, file).split(path.sep).join('/');
  const text = fs.readFileSync(file, 'utf8');
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new AuthStudioError('AS_ERR_TEST_FILE', e.message.split('\n')[0], { location: { file: rel, line: e.linePos?.[0]?.line } });
  }
  const lineOf = (node: unknown) => {
    const r = (node as { range?: [number] } | undefined)?.range;
    return r ? text.slice(0, r[0]).split('\n').length : 1;
  };
  const root = doc.contents;
  const items = YAML.isSeq(root) ? root.items : [root];
  return items.map((node, i) => {
    const raw = (node as { toJSON?: () => unknown })?.toJSON?.() ?? null;
    const where = items.length > 1 ? `[${i}]` : '';
    const value = vars === null ? raw : substituteVariables(raw, vars, (name) => {
      const known = Object.keys(vars);
      throw new AuthStudioError('AS_ERR_TEST_FILE', `${where}${where ? ': ' : ''}{{${name}}} is not a variable of the chosen environment (${known.length ? `it has ${known.join(', ')}` : 'none chosen or it has no variables'}; see tests/environments.yml)`, { location: { file: rel, line: lineOf(node) } });
    });
    return parseTest(workspace, file, rel, lineOf(node), where, value);
  });
}

function parseTest(workspace: string, file: string, rel: string, line: number, where: string, v: unknown): WorkspaceTest {
  const fail = (key: string, msg: string): never => {
    throw new AuthStudioError('AS_ERR_TEST_FILE', `${where}${where && key ? '.' : ''}${key}: ${msg}`, { location: { file: rel, line } });
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('', 'a mapping expected (request:, hook:, lua_test: or dovecot:)');
  const t = v as Record<string, unknown>;
  const kinds = ['request', 'hook', 'lua_test', 'dovecot'].filter((k) => k in t);
  if (kinds.length !== 1) fail('', `exactly one of request:, hook:, lua_test:, dovecot: expected${kinds.length ? `, got ${kinds.join(' and ')}` : ''}`);
  const known = new Set(['name', 'redis', 'expect', 'mode', 'http', 'dns', 'time', 'mocks', ...kinds]);
  for (const k of Object.keys(t)) if (!known.has(k)) fail(k, `unknown key (known: ${[...known].join(', ')})`);
  const obj = (key: string, val: unknown): Record<string, unknown> => {
    if (val === undefined || val === null) return {};
    if (typeof val !== 'object' || Array.isArray(val)) fail(key, 'a mapping expected');
    return val as Record<string, unknown>;
  };
  const str = (key: string, val: unknown, required = true): string => {
    if (val === undefined && !required) return '';
    if (typeof val !== 'string' || !val) fail(key, 'a non-empty string expected');
    return val as string;
  };
  const base: TestBase = {
    name: t.name === undefined ? path.basename(file).replace(/\.test\.ya?ml$/, '') + where : str('name', t.name),
    file: rel, line, redis: t.redis === undefined ? undefined : obj('redis', t.redis),

    http: t.http === undefined ? undefined : httpAnswers(t.http, fail),
    dns: t.dns === undefined ? undefined : (obj('dns', t.dns) as DnsRecords),
    time: t.time === undefined ? undefined : testTime(t.time, fail),
    mocks: t.mocks === undefined ? undefined : mockSections(obj('mocks', t.mocks), fail),
  };
  if (kinds[0] === 'lua_test' && (base.http || base.dns || base.mocks || base.time !== undefined)) fail(base.http ? 'http' : base.dns ? 'dns' : base.mocks ? 'mocks' : 'time', 'a lua_test declares its mocks in the fixture (http_client, dns, db, ldap); Nauthilus fixtures have no time');
  const expect = obj('expect', t.expect);
  const scriptIn = (key: string, p: string) => {
    const abs = path.resolve(workspace, p);
    if (!fs.existsSync(abs)) fail(key, `no such file in the workspace: ${p}`);
    return path.relative(workspace, abs).split(path.sep).join('/');
  };
  if (kinds[0] === 'request') {
    const request: Record<string, string> = {};
    for (const [k, x] of Object.entries(obj('request', t.request))) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') fail(`request.${k}`, 'a string, number or boolean expected');
      request[k] = String(x);
    }
    const mode = (t.mode ?? 'auth') as RequestTest['mode'];
    if (!['auth', 'no-auth', 'list-accounts'].includes(mode)) fail('mode', 'auth, no-auth or list-accounts expected');
    const known2 = ['decision', 'status', 'headers', 'attributes', 'status_message', 'decided_by', 'logs'];
    for (const k of Object.keys(expect)) if (!known2.includes(k)) fail(`expect.${k}`, `unknown key (known: ${known2.join(', ')})`);
    if (expect.decision !== undefined && !['ok', 'fail', 'tempfail'].includes(expect.decision as string)) fail('expect.decision', 'ok, fail or tempfail expected');
    if (expect.status !== undefined && !Number.isInteger(expect.status)) fail('expect.status', 'an HTTP status code expected');
    return { ...base, kind: 'request', request, mode, expect: expect as RequestExpect };
  }
  if (kinds[0] === 'hook') {
    const hk = obj('hook', t.hook);
    for (const k of Object.keys(hk)) if (!['method', 'path', 'headers', 'body'].includes(k)) fail(`hook.${k}`, 'unknown key (known: method, path, headers, body)');
    const method = String(hk.method ?? 'GET').toUpperCase();
    if (!['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'].includes(method)) fail('hook.method', 'GET, POST, PUT, DELETE, PATCH or HEAD expected');
    const headers: Record<string, string> = {};
    for (const [k, x] of Object.entries(obj('hook.headers', hk.headers))) headers[k] = String(x);
    if (hk.body !== undefined && typeof hk.body !== 'string') fail('hook.body', 'a string expected (JSON bodies as text)');
    for (const k of Object.keys(expect)) if (!['status', 'headers', 'body'].includes(k)) fail(`expect.${k}`, 'unknown key (known for a hook: status, headers, body)');
    if (expect.status !== undefined && !Number.isInteger(expect.status)) fail('expect.status', 'an HTTP status code expected');
    return { ...base, kind: 'hook', hook: { method, path: str('hook.path', hk.path), headers, body: (hk.body as string | undefined) ?? '' }, expect: expect as HookTest['expect'] };
  }
  if (kinds[0] === 'lua_test') {
    const lt = obj('lua_test', t.lua_test);
    const callback = str('lua_test.callback', lt.callback) as FixtureCallback;
    if (!FIXTURE_CALLBACKS.includes(callback)) fail('lua_test.callback', `one of ${FIXTURE_CALLBACKS.join(', ')} expected, got "${callback}"`);
    const mock = path.resolve(path.dirname(file), str('lua_test.mock', lt.mock));
    if (!fs.existsSync(mock)) fail('lua_test.mock', `no such file: ${lt.mock} (relative to ${rel})`);
    if (Object.keys(expect).length) fail('expect', 'a lua_test is checked by its fixture\'s expected_output, not by expect:');
    return { ...base, kind: 'lua_test', script: scriptIn('lua_test.script', str('lua_test.script', lt.script)), callback, mock };
  }
  const d = obj('dovecot', t.dovecot);
  if ((base.http || base.dns || base.mocks || base.time !== undefined) && d.serve_workspace !== true) fail(base.http ? 'http' : base.dns ? 'dns' : base.mocks ? 'mocks' : 'time', 'applies to the workspace engine only: set dovecot.serve_workspace: true');
  const action = (d.action ?? 'passdb') as DovecotTest['action'];
  if (action !== 'passdb' && action !== 'userdb') fail('dovecot.action', 'passdb or userdb expected');
  const l = obj('dovecot.login', d.login);
  const env: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj('dovecot.env', d.env))) env[k] = String(x);
  return {
    ...base, kind: 'dovecot', script: scriptIn('dovecot.script', str('dovecot.script', d.script)), action, env,
    serveWorkspace: d.serve_workspace === true,
    login: {
      user: str('dovecot.login.user', l.user), password: l.password === undefined ? undefined : String(l.password),
      service: l.service as string | undefined, remoteIp: l.remote_ip as string | undefined, localIp: l.local_ip as string | undefined, mech: l.mech as string | undefined,
    },
    expect: expect as DovecotTest['expect'],
  };
}

function httpAnswers(v: unknown, fail: (key: string, msg: string) => never): HttpAnswer[] {
  if (!Array.isArray(v)) fail('http', 'a list of answers expected ({url, method?, status?, headers?, body?})');
  return (v as unknown[]).map((a, i) => {
    const x = (a ?? {}) as Record<string, unknown>;
    if (typeof x.url !== 'string' || !/^https?:\/\//.test(x.url)) fail(`http[${i}].url`, 'an http:// or https:// URL expected');
    if (x.status !== undefined && !Number.isInteger(x.status)) fail(`http[${i}].status`, 'an HTTP status code expected');
    if (x.body !== undefined && typeof x.body !== 'string') fail(`http[${i}].body`, 'a string expected (JSON bodies as text)');
    const headers: Record<string, string> = {};
    for (const [k, h] of Object.entries((x.headers ?? {}) as Record<string, unknown>)) headers[k] = String(h);
    return { url: x.url as string, method: x.method as string | undefined, status: x.status as number | undefined, body: x.body as string | undefined, headers };
  });
}

/** `time:` an ISO 8601 date-time with a zone ("2026-03-01T08:00:00Z"), or a YAML timestamp. */
function testTime(v: unknown, fail: (key: string, msg: string) => never): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' && /(Z|[+-]\d\d:?\d\d)$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) fail('time', `an ISO 8601 date-time with a zone expected (e.g. "2026-03-01T08:00:00Z"), got ${JSON.stringify(v)}`);
  return ms;
}

/** `mocks:` sections in a Nauthilus fixture's format: the modules it may replace or check. */
function mockSections(m: Record<string, unknown>, fail: (key: string, msg: string) => never): Record<string, Record<string, unknown>> {
  const known = [...Object.keys(TRACKED_MODULES), 'db'];
  for (const [k, v] of Object.entries(m)) {
    if (!known.includes(k)) fail(`mocks.${k}`, `not a Nauthilus fixture module section (known: ${known.join(', ')})`);
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`mocks.${k}`, 'a mapping expected');
    const calls = (v as Record<string, unknown>).expected_calls;
    if (calls !== undefined && (!Array.isArray(calls) || calls.some((c) => typeof (c as { method?: unknown })?.method !== 'string'))) {
      fail(`mocks.${k}.expected_calls`, 'a list of {method, arg_contains?} expected');
    }
  }
  return m as Record<string, Record<string, unknown>>;
}
