// A saved request test: the workspace's engine on a fresh embedded Redis (seeded as the test declares), one login
// through the real HTTP path (in-process inject), then decision, status, headers, attributes and deciding stage compared.
import pino from 'pino';
import { AuthEngine } from '../engine';
import { buildHttpApp } from '../http/app';
import { fromWireHeader } from '../http/header-bytes';
import type { AuthStudioConfig } from '../config/types';
import type { LineListener } from '../lua/line-hook';
import type { StageRecord } from '../pipeline/trace';
import { seedRedis } from './redis-seed';
import type { RequestTest, TestBase } from './test-files';
import { startHttpAnswers } from './http-answers';
import { startDnsServer } from './dns-answers';
import { FixtureMocks } from './fixture-mocks';
import { TestRedis } from './test-redis';
import { HTTP_STANDINS_ENV } from '../lua/http-stand-ins';

export interface CaseOutcome {
  failures: string[];
  /** The request's stage trace (printed for a failing test). */
  trace?: StageRecord[];
  /** Extra lines for the report (decision line, Dovecot status). */
  summary?: string;
  /** Printed under the test's line whether it passed or not. */
  notes?: string[];
}

/** The stage that decided: the first that aborted or rejected, else the first with an error, else the backend. */
export function decidingStage(trace: StageRecord[]): StageRecord | undefined {
  return trace.find((r) => r.abort || r.reject) ?? trace.find((r) => r.error) ?? trace.find((r) => r.stage === 'backend' || r.stage === 'cache');
}

/** The workspace engine a test runs against, with the Redis state, HTTP and DNS answers it declares. */
export interface TestEngine {
  engine: AuthEngine;
  /** Failures the declared world saw (HTTP requests nothing was declared for, expected calls that failed or never came). */
  unanswered(): string[];
  close(): Promise<void>;
}

/** Build the workspace engine on a fresh embedded Redis with the test's Redis state, HTTP/DNS answers, time and mocks. */
export async function workspaceEngine(config: AuthStudioConfig, t: TestBase, lineListener?: LineListener, redis = TestRedis.for(config, false)): Promise<TestEngine> {
  const store = redis.open();
  await seedRedis(store, t.redis);
  const http = t.http?.length ? await startHttpAnswers(t.http) : undefined;
  const dns = t.dns ? await startDnsServer(t.dns) : undefined;
  const env: Record<string, string | undefined> = { ...process.env };
  if (http) env[HTTP_STANDINS_ENV] = http.standIns;
  const cfg = dns ? { ...config, server: { ...config.server, dnsResolver: dns.address } } : config;
  // Nauthilus fixture sections (db rows, LDAP entries, call checks), installed into every VM of the engine
  const mocks = t.mocks ? new FixtureMocks(t.mocks) : undefined;
  let engine: AuthEngine;
  try {
    // a declared time runs on from the moment the engine is built, so scripts that measure durations still can
    const start = Date.now();
    const clock = t.time === undefined ? undefined : () => (t.time as number) + (Date.now() - start);
    engine = await AuthEngine.create(cfg, {
      logger: pino({ level: 'silent' }), redis: store, recordEvents: true, workers: 0, lineListener, env, clock,
      vmSetup: mocks ? (vm) => mocks.install(vm) : undefined,
    });
  } catch (e) {
    await store.close(0).catch(() => undefined);
    await redis.flush().catch(() => undefined);
    await http?.stop();
    await dns?.stop();
    throw e;
  }
  return {
    engine,
    unanswered: () => [...(http?.unanswered ?? []).map((r) => `no HTTP answer declared for ${r}`), ...(mocks?.finish() ?? [])],
    close: async () => {
      await engine.close();
      await redis.flush();
      await http?.stop();
      await dns?.stop();
    },
  };
}

export async function runRequestTest(config: AuthStudioConfig, t: RequestTest, lineListener?: LineListener, redis?: TestRedis): Promise<CaseOutcome> {
  const world = await workspaceEngine(config, t, lineListener, redis);
  const { engine } = world;
  try {
    const app = await buildHttpApp(engine);
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/auth/json${t.mode === 'auth' ? '' : `?mode=${t.mode}`}`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: { protocol: 'imap', client_ip: '127.0.0.1', password: '', ...t.request },
    });
    const outcome = engine.lastTrace(res.headers['x-nauthilus-session'] as string | undefined);
    const trace = [...(outcome?.trace ?? []), ...(outcome ? await outcome.postActions : [])];
    await app.close();
    const decision = res.statusCode === 200 ? 'ok' : res.statusCode === 403 ? 'fail' : 'tempfail';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = fromWireHeader(v);
    const failures: string[] = [...world.unanswered()];
    const e = t.expect;
    if (e.decision && e.decision !== decision) failures.push(`decision: expected ${e.decision}, got ${decision}`);
    if (e.status !== undefined && e.status !== res.statusCode) failures.push(`status: expected ${e.status}, got ${res.statusCode}`);
    for (const [k, want] of Object.entries(e.headers ?? {})) {
      const got = headers[k.toLowerCase()];
      if (got !== String(want)) failures.push(`header ${k}: expected ${JSON.stringify(String(want))}, got ${got === undefined ? 'no such header' : JSON.stringify(got)}`);
    }
    const attrs = outcome?.attributes ?? {};
    for (const [k, want] of Object.entries(e.attributes ?? {})) {
      const v = attrs[k];
      const got = Array.isArray(v) ? v.join(',') : v;
      if (got !== String(want)) failures.push(`attribute ${k}: expected ${JSON.stringify(String(want))}, got ${got === undefined ? 'not set' : JSON.stringify(got)}`);
    }
    if (e.status_message !== undefined && outcome?.statusMessage !== e.status_message) {
      failures.push(`status message: expected ${JSON.stringify(e.status_message)}, got ${JSON.stringify(outcome?.statusMessage ?? '')}`);
    }
    if (e.logs) {
      const logs = new Map(outcome?.customLogs ?? []);
      for (const [k, want] of Object.entries(e.logs)) {
        const got = logs.get(k);
        if (got !== String(want)) failures.push(`log ${k}: expected ${JSON.stringify(String(want))}, got ${got === undefined ? 'not logged' : JSON.stringify(got)}`);
      }
    }
    if (e.decided_by) {
      const d = decidingStage(outcome?.trace ?? []);
      const got = d ? `${d.stage}:${d.name}` : 'no stage';
      if (got !== e.decided_by && d?.stage !== e.decided_by) failures.push(`decided by: expected ${e.decided_by}, got ${got}`);
    }
    const summary = `decision ${decision} (HTTP ${res.statusCode}${outcome?.statusMessage ? `, ${outcome.statusMessage}` : ''})`;
    return { failures, trace, summary };
  } finally {
    await world.close();
  }
}

/** The trace as `authstudio simulate` prints it, indented for a report. */
export function formatTrace(trace: StageRecord[], indent = '      '): string {
  const lines: string[] = [];
  for (const r of trace) {
    const flags = [r.triggered ? 'triggered' : '', r.abort ? 'abort' : '', r.reject ? 'reject' : ''].filter(Boolean).join(',');
    lines.push(`${indent}${r.stage.padEnd(12)} ${r.name.padEnd(20)} ${r.result}${flags ? ` [${flags}]` : ''}${r.status_message ? `  status "${r.status_message}"` : ''}`);
    if (r.error) lines.push(`${indent}  error: ${r.error}`);
    for (const [k, v] of Object.entries(r.logs)) lines.push(`${indent}  ${k}=${v}`);
  }
  return lines.join('\n');
}
