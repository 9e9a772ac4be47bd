// A feature and a filter written with Nauthilus 3.x names (nauthilus_call_environment / nauthilus_call_subject,
// ENVIRONMENT_* / SUBJECT_* constants, plain require) decide and trace exactly like their 1.x twins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startFixture, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { runLua } from '../helpers/lua-harness';
import { buildAuthRequest, type RequestMode } from '../../engine/pipeline/auth-request';
import type { AuthOutcome } from '../../engine/pipeline/pipeline';

const DIR = path.join(FIXTURES, 'nauthilus3');
const twins: Record<'v1' | 'v3', EngineFixture> = {} as never;

before(async () => {
  for (const v of ['v1', 'v3'] as const) {
    const fx = await startFixture('nauthilus3', { configFile: path.join(DIR, `${v}.yml`), redis: 'mock' });
    const redis = fx.engine.services.redis.client;
    await redis.sadd('twin:blocked_nets', '203.0.113.0/24');
    await redis.hset('twin:denied_protocol', 'bob@example.test', 'pop3');
    twins[v] = fx;
  }
});
after(async () => {
  for (const fx of Object.values(twins)) await fx.close();
});

interface Case {
  name: string;
  fields: Record<string, string>;
  mode?: RequestMode;
  status: number;
  authStatus?: string;
  stages: string[];
}

const base = { client_ip: '198.51.100.7', protocol: 'imap' };
const CASES: Case[] = [
  { name: 'right password', fields: { username: 'alice', password: 'alice-secret' }, status: 200, authStatus: 'OK', stages: ['feature:abuse_check:ok', 'backend:lua:authenticated', 'filter:protocol_policy:accept'] },
  { name: 'wrong password', fields: { username: 'alice', password: 'x' }, status: 403, authStatus: 'Invalid login or password', stages: ['feature:abuse_check:ok', 'backend:lua:not_authenticated', 'filter:protocol_policy:reject'] },
  { name: 'unknown user', fields: { username: 'mallory', password: 'x' }, status: 403, authStatus: 'Invalid login or password', stages: ['feature:abuse_check:ok', 'backend:lua:user_not_found', 'filter:protocol_policy:reject'] },
  { name: 'blocked network', fields: { username: 'bob', password: 'bob-secret', client_ip: '203.0.113.50' }, status: 403, authStatus: 'Network blocked', stages: ['feature:abuse_check:triggered'] },
  { name: 'denied protocol', fields: { username: 'bob', password: 'bob-secret', protocol: 'pop3' }, status: 403, authStatus: 'Protocol pop3 not allowed', stages: ['feature:abuse_check:ok', 'backend:lua:authenticated', 'filter:protocol_policy:reject'] },
  // Nauthilus 1.10 logs FEATURE_RESULT_FAIL / FILTER_RESULT_FAIL and goes on; no features and no default filters for no-auth
  { name: 'feature result fail (Nauthilus 1.10: logged, the login goes on)', fields: { username: 'fail-me', password: 'x' }, status: 403, stages: ['feature:abuse_check:fail', 'backend:lua:user_not_found', 'filter:protocol_policy:reject'] },
  { name: 'filter result fail (Nauthilus 1.10: logged, the login goes on)', fields: { username: 'carol', password: 'carol-secret', protocol: 'sieve' }, status: 200, stages: ['feature:abuse_check:ok', 'backend:lua:authenticated', 'filter:protocol_policy:fail'] },
  { name: 'no-auth (Nauthilus 1.10: no features, no filter without when_no_auth)', fields: { username: 'bob' }, mode: 'no-auth', status: 200, authStatus: 'OK', stages: ['backend:lua:not_authenticated'] },
];

/** The trace without timings (stage durations, event times and command latencies). */
function comparable(out: AuthOutcome) {
  return {
    decision: out.decision, account: out.account, status: out.statusMessage, error: out.error, logs: out.customLogs,
    trace: out.trace.map(({ duration_ms: _d, events, ...r }) => ({ ...r, events: events?.map((e) => ({ kind: e.kind, detail: { ...e.detail, ms: undefined } })) })),
  };
}

for (const c of CASES) {
  test(`${c.name}: the 3.x twin gives the 1.x twin's answer and trace`, async () => {
    const results: Record<string, { status: number; authStatus: unknown; body: unknown; outcome: ReturnType<typeof comparable> }> = {};
    for (const v of ['v1', 'v3'] as const) {
      const fx = twins[v];
      const res = await fx.app.inject({ method: 'POST', url: `/api/v1/auth/json${c.mode ? `?mode=${c.mode}` : ''}`, payload: { ...base, ...c.fields } });
      const body = res.json();
      delete body.session;
      // the same request again straight into the engine, recording the Redis commands each stage made
      const outcome = await fx.engine.authenticate(buildAuthRequest({ ...base, ...c.fields }, c.mode ?? 'auth', 'json'), { recordEvents: true });
      results[v] = { status: res.statusCode, authStatus: res.headers['auth-status'], body, outcome: comparable(outcome) };
    }
    const v1 = results.v1;
    assert.equal(v1.status, c.status);
    if (c.authStatus) assert.equal(v1.authStatus, c.authStatus);
    assert.deepEqual(v1.outcome.trace.map((r) => `${r.stage}:${r.name}:${r.result}`), c.stages);
    assert.deepEqual(results.v3, v1);
  });
}

test('the filter sees what the feature stored in nauthilus_context, in both twins', async () => {
  for (const v of ['v1', 'v3'] as const) {
    const out = await twins[v].engine.authenticate(buildAuthRequest({ ...base, username: 'alice', password: 'alice-secret' }, 'auth', 'json'), { recordEvents: true });
    const filter = out.trace.find((r) => r.stage === 'filter')!;
    assert.deepEqual(filter.logs, { protocol_policy_net: '198.51.100.0/24', protocol_policy: 'ok' }, v);
    assert.deepEqual(filter.events?.map((e) => e.kind), ['redis'], v);
  }
});

test('the 3.x scripts use only 3.x names; the 1.x twins use dynamic_loader and 1.x names', () => {
  const v3 = ['v3/environment/abuse_check.lua', 'v3/subject/protocol_policy.lua'].map((f) => fs.readFileSync(path.join(DIR, f), 'utf8').replace(/^--.*$/gm, ''));
  for (const src of v3) {
    assert.doesNotMatch(src, /dynamic_loader|FEATURE|FILTER|nauthilus_call_feature|nauthilus_call_filter/);
  }
  assert.match(v3[0], /function nauthilus_call_environment\(/);
  assert.match(v3[1], /function nauthilus_call_subject\(/);
  const v1 = fs.readFileSync(path.join(DIR, 'v1/features/abuse_check.lua'), 'utf8');
  assert.match(v1, /dynamic_loader\("nauthilus_redis"\)/);
});

test('3.x constants have the 1.x values (both ENVIRONMENT_ABORT_* and ENVIRONMENTS_ABORT_* spellings)', async () => {
  const names = [
    'ENVIRONMENT_TRIGGER_NO', 'ENVIRONMENT_TRIGGER_YES', 'ENVIRONMENT_ABORT_NO', 'ENVIRONMENT_ABORT_YES',
    'ENVIRONMENTS_ABORT_NO', 'ENVIRONMENTS_ABORT_YES', 'ENVIRONMENT_RESULT_OK', 'ENVIRONMENT_RESULT_FAIL',
    'SUBJECT_ACCEPT', 'SUBJECT_REJECT', 'SUBJECT_RESULT_OK', 'SUBJECT_RESULT_FAIL',
  ];
  const got = await runLua(`local b = nauthilus_builtin; return ${names.map((n) => `b.${n}`).join(', ')}`);
  assert.deepEqual(got, [false, true, false, true, false, true, 0, 1, false, true, 0, 1]);
});
