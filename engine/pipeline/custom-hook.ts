// One custom hook call (`/api/v1/custom/<location>`): the hook's script on the generation's hook pool, its answer
// as status, headers and body. The engine runs it on a pipeline worker thread when it has them, else here.
import type { Logger } from 'pino';
import type { CustomHookConfig } from '../config/types';
import { CallContext, type HookHttpRequest, type HookHttpResponse } from '../lua/call-context';
import { chunkName } from '../lua/chunk-name';
import { loggingTable } from '../generation';
import { scriptRedisPrefix } from './lua-request';
import type { Generation } from './pipeline';
import { runLuaStage } from './lua-stages';
import type { StageRecord } from './trace';

export interface HookResult {
  status: number;
  headers: Record<string, string[]>;
  body: string;
  contentType: string;
  trace: StageRecord[];
}

/** The custom hook configured for a location and method. */
export function findHook(gen: Generation, location: string, method: string): CustomHookConfig | undefined {
  return gen.config.lua.customHooks.find((h) => h.location === location && h.method === method.toUpperCase());
}

/** What a client gets when a hook cannot answer (its script failed, timed out, or its thread was replaced). */
export function hookFailed(session: string, trace: StageRecord[] = []): HookResult {
  return { status: 500, headers: {}, body: JSON.stringify({ error: 'hook failed', session }), contentType: 'application/json', trace };
}

/** Run the hook at location+method on `gen`. Returns undefined when no hook matches. */
export async function runCustomHook(gen: Generation, logger: Logger, location: string, req: HookHttpRequest, opts: { recordEvents?: boolean } = {}): Promise<HookResult | undefined> {
  const hook = findHook(gen, location, req.method);
  const pool = gen.pools.hooks;
  if (!hook || !pool) return undefined;
  const call = new CallContext(`hook-${Date.now().toString(36)}`, { recordEvents: opts.recordEvents });
  const response: HookHttpResponse = { headers: {} };
  call.httpRequest = req;
  call.httpResponse = response;
  // with tracing on the hook's spans nest under its request span, named by the route as Nauthilus's middleware does
  call.tracing = gen.tracer?.startRequest(`${req.method} /api/v1/custom/${hook.location}`, { 'http.request.method': req.method, 'url.path': req.path }, req.headers);
  const timeout = gen.config.server.luaScriptTimeoutMs;
  const r = await runLuaStage(pool, 'hook', hook.location, chunkName(hook.script), 'hook', '', call, timeout, [loggingTable(gen.config), call.session, scriptRedisPrefix(gen.config)]);
  call.tracing?.end();
  if (r.error) {
    logger.warn({ hook: hook.location, err: r.record.error }, 'custom hook failed');
    return hookFailed(call.session, [r.record]);
  }
  const json = r.values[0] as string | null | undefined;
  const body = response.body ?? (json ?? '');
  return {
    // Nauthilus 1.10 (handler/custom/custom.go): a hook that returns nothing answers 200 with an empty body
    status: response.status ?? 200,
    headers: response.headers,
    body,
    contentType: response.contentType ?? 'application/json; charset=utf-8',
    trace: [r.record],
  };
}
