// The hook runner: call a custom hook through the engine's real HTTP path (same routes, roles and worker as any
// client) and return its answer with the trace of its script; and "New hook": the config entry that routes to it.
import type { FastifyInstance } from 'fastify';
import YAML from 'yaml';
import type { AddHookInput, HookCallInput, HookCallResult, TraceStage } from '../api/contract';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import type { HookResult } from '../pipeline/custom-hook';
import { fromWireHeader, toWireHeader } from '../http/header-bytes';
import { eventsOf } from './request-history';

/** The methods a hook may answer (those Nauthilus accepts for a hook). */
export const HOOK_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'] as const;
const CUSTOM = '/api/v1/custom/';

/** A hook's location as the config names it: "login-history" from "/api/v1/custom/login-history?x=1". */
export function hookLocation(path: string): string {
  const p = path.trim().split('?')[0];
  return (p.startsWith(CUSTOM) ? p.slice(CUSTOM.length) : p.replace(/^\/+/, ''));
}

function checkInput(a: HookCallInput): { method: string; url: string } {
  const method = String(a.method ?? '').toUpperCase();
  if (!(HOOK_METHODS as readonly string[]).includes(method)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `method must be one of ${HOOK_METHODS.join(', ')}, got "${String(a.method).slice(0, 20)}"`, { path: 'method' });
  if (typeof a.path !== 'string' || !hookLocation(a.path)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'path must name the hook\'s location (e.g. login-history or /api/v1/custom/login-history)', { path: 'path' });
  const query = a.path.includes('?') ? a.path.slice(a.path.indexOf('?')) : '';
  return { method, url: `${CUSTOM}${hookLocation(a.path)}${query}` };
}

/** Call the hook; the trace is the one the engine reported for this location while the call ran. */
export async function callHook(engine: AuthEngine, app: FastifyInstance, a: HookCallInput): Promise<HookCallResult> {
  const { method, url } = checkInput(a);
  const location = hookLocation(a.path);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers ?? {})) if (k.trim()) headers[k.trim().toLowerCase()] = String(v);
  const body = typeof a.body === 'string' ? a.body : '';
  if (body && !headers['content-type']) headers['content-type'] = 'application/json';
  let seen: HookResult | undefined;
  const listener = (_id: string, loc: string, r: HookResult) => {
    if (loc === location && !seen) seen = r;
  };
  engine.events.on('hook', listener);
  const t0 = performance.now();
  let res;
  try {
    res = await app.inject({
      method: method as 'GET', url,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, toWireHeader(v)])),
      ...(body && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
    });
  } finally {
    engine.events.off('hook', listener);
  }
  const latency = Math.round((performance.now() - t0) * 1000) / 1000;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = fromWireHeader(Array.isArray(v) ? v.join(', ') : String(v));
  const trace = JSON.parse(JSON.stringify(seen?.trace ?? [])) as TraceStage[];
  return {
    status: res.statusCode, headers: out, body: res.body, trace, events: eventsOf(trace), latency_ms: latency,
    request: { method, url, headers, body }, generation: engine.generation,
  };
}

/**
 * The config text with a hook entry added: `lua.custom_hooks` (1.x layout) or `auth.controls.lua.hooks` (3.x).
 * Refuses a location+method that already has a hook. Comments and layout of the rest are kept.
 */
export function addHookToConfig(text: string, layout: '1.x' | '3.x', a: AddHookInput): string {
  const method = String(a.method ?? '').toUpperCase();
  if (!(HOOK_METHODS as readonly string[]).includes(method)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `method must be one of ${HOOK_METHODS.join(', ')}`, { path: 'method' });
  const location = typeof a.location === 'string' ? hookLocation(a.location) : '';
  if (!/^[A-Za-z0-9._~/-]{1,128}$/.test(location)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${String(a.location).slice(0, 60)}" is not a usable location: letters, digits, "-", "_", ".", "/" (e.g. login-history)`, { path: 'location' });
  if (typeof a.script !== 'string' || !a.script.endsWith('.lua')) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'script must be the workspace path of a .lua file', { path: 'script' });
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `the config does not parse: ${doc.errors[0].message.split('\n')[0]}`, { path: 'config' });
  const at = layout === '3.x' ? ['auth', 'controls', 'lua', 'hooks'] : ['lua', 'custom_hooks'];
  const list = doc.getIn(at);
  const existing = YAML.isSeq(list) ? (list.toJSON() as Array<Record<string, unknown>>) : [];
  if (existing.some((h) => h?.http_location === location && String(h?.http_method ?? '').toUpperCase() === method)) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${at.join('.')} already has a hook for ${method} ${location}`, { path: 'location' });
  }
  const script = a.script.startsWith('./') || a.script.startsWith('/') ? a.script : `./${a.script}`;
  const entry = doc.createNode({ http_location: location, http_method: method, script_path: script });
  if (YAML.isSeq(list)) list.items.push(entry);
  else doc.setIn(at, doc.createNode([{ http_location: location, http_method: method, script_path: script }]));
  return doc.toString();
}
