// A saved hook call: the workspace's engine on a fresh embedded Redis (seeded as the test declares), one call of a
// custom hook through the real HTTP path, then status, headers and body compared with what the test expects.
import { buildHttpApp } from '../http/app';
import type { AuthStudioConfig } from '../config/types';
import type { LineListener } from '../lua/line-hook';
import type { HookResult } from '../pipeline/custom-hook';
import { fromWireHeader, toWireHeader } from '../http/header-bytes';
import type { CaseOutcome } from './run-request';
import { workspaceEngine } from './run-request';
import type { HookTest } from './test-files';
import type { TestRedis } from './test-redis';

const CUSTOM = '/api/v1/custom/';

export async function runHookTest(config: AuthStudioConfig, t: HookTest, lineListener?: LineListener, redis?: TestRedis): Promise<CaseOutcome> {
  const world = await workspaceEngine(config, t, lineListener, redis);
  const { engine } = world;
  try {
    const app = await buildHttpApp(engine);
    let hook: HookResult | undefined;
    engine.events.on('hook', (_id: string, _loc: string, r: HookResult) => (hook = r));
    const path = t.hook.path.startsWith(CUSTOM) ? t.hook.path : `${CUSTOM}${t.hook.path.replace(/^\/+/, '')}`;
    const headers = Object.fromEntries(Object.entries(t.hook.headers).map(([k, v]) => [k.toLowerCase(), toWireHeader(v)]));
    if (t.hook.body && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await app.inject({ method: t.hook.method as 'GET', url: path, headers, ...(t.hook.body && !['GET', 'HEAD'].includes(t.hook.method) ? { payload: t.hook.body } : {}) });
    await app.close();
    const failures: string[] = [...world.unanswered()];
    const e = t.expect;
    if (e.status !== undefined && e.status !== res.statusCode) failures.push(`status: expected ${e.status}, got ${res.statusCode}`);
    for (const [k, want] of Object.entries(e.headers ?? {})) {
      const v = res.headers[k.toLowerCase()];
      const got = v === undefined ? undefined : fromWireHeader(Array.isArray(v) ? v.join(', ') : String(v));
      if (got !== String(want)) failures.push(`header ${k}: expected ${JSON.stringify(String(want))}, got ${got === undefined ? 'no such header' : JSON.stringify(got)}`);
    }
    if (e.body !== undefined && !sameBody(e.body, res.body)) failures.push(`body: expected ${JSON.stringify(e.body)}, got ${JSON.stringify(res.body)}`);
    const trace = hook?.trace ?? [];
    if (trace.some((r) => r.error) && failures.length) failures.push(`decided by: hook:${trace[0].name} (its script failed: ${trace.find((r) => r.error)?.error})`);
    return { failures, trace, summary: `HTTP ${res.statusCode} from ${t.hook.method} ${path}` };
  } finally {
    await world.close();
  }
}

/** Bodies match as text, or as JSON values when both parse (key order and spacing do not count). */
function sameBody(want: string, got: string): boolean {
  if (want === got) return true;
  try {
    return JSON.stringify(sortKeys(JSON.parse(want))) === JSON.stringify(sortKeys(JSON.parse(got)));
  } catch {
    return false;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
