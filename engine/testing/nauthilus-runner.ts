// Run one Nauthilus `--test-lua` fixture against its script in a real AuthStudio VM: real host modules, the
// fixture's Redis seed in a fresh embedded Redis, its data mocks (glua_http, nauthilus_dns, LDAP search, db) and its
// expected_calls checked on the real modules; then expected_output compared as Nauthilus 3.0 compares it.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LuaVm } from '../lua/vm';
import { CallContext } from '../lua/call-context';
import { MemoryCache } from '../lua/shared-cache';
import { TestRedis } from './test-redis';
import type { EngineServices } from '../lua/services';
import type { LineListener } from '../lua/line-hook';
import type { AuthStudioConfig } from '../config/types';
import { encodeLuaRequest } from '../pipeline/lua-request';
import type { StageKind } from '../pipeline/trace';
import { isAuthStudioError } from '../errors/registry';
import { compareExpected, parseFixture, type FixtureCallback, type FixtureResult } from './nauthilus-fixture';
import { FixtureMocks } from './fixture-mocks';
import { seedRedis } from './redis-seed';

/** The pipeline stage each callback type stands for (what nauthilus_http_response allows depends on it). */
const STAGE: Record<FixtureCallback, StageKind> = {
  subject: 'filter', environment: 'feature', action: 'action', backend: 'backend', hook: 'hook', cache_flush: 'hook',
};

/** Entry function each callback type calls (Nauthilus 3.0 definitions; the 1.x names are accepted too). */
const ENTRY: Record<FixtureCallback, string[]> = {
  subject: ['nauthilus_call_subject', 'nauthilus_call_filter'],
  environment: ['nauthilus_call_environment', 'nauthilus_call_feature'],
  action: ['nauthilus_call_action'],
  backend: ['nauthilus_backend_verify_password'],
  hook: ['nauthilus_run_hook'],
  cache_flush: ['nauthilus_cache_flush'],
};

export interface FixtureRun {
  config: AuthStudioConfig;
  /** The script under test, relative to the workspace (`--test-lua`). */
  script: string;
  callback: FixtureCallback;
  /** The fixture file (`--test-mock`), a host path. */
  fixture: string;
  lineListener?: LineListener;
  /** Where the fixture's Redis state goes (default: a fresh embedded Redis). */
  redis?: TestRedis;
}

/** Run a fixture; never throws for the script's or the fixture's mistakes (they are the result's errors). */
export async function runNauthilusFixture(run: FixtureRun): Promise<FixtureResult> {
  const result: FixtureResult = { success: false, status_messages: [], logs: [], errors: [] };
  let fixture;
  try {
    fixture = parseFixture(run.fixture, fs.readFileSync(run.fixture, 'utf8'));
  } catch (e) {
    result.errors.push(isAuthStudioError(e) ? e.format() : `cannot read ${run.fixture}: ${(e as Error).message}`);
    return result;
  }
  const data = fixture.data;
  if (fixture.unknownKeys.length) result.notes = [`fixture keys Nauthilus does not know (ignored): ${fixture.unknownKeys.join(', ')}`];
  const mocks = new FixtureMocks(data);
  const { config } = run;
  const testRedis = run.redis ?? TestRedis.for(config, false);
  const redis = testRedis.open();
  const envs = (data.util?.envs ?? {}) as Record<string, string>;
  const cache = new MemoryCache();
  for (const [k, v] of Object.entries((data.cache?.entries ?? {}) as Record<string, unknown>)) cache.set(k, v);
  const services: EngineServices = {
    logger: pino({ level: 'silent' }), redis, metrics: new Registry(), cache,
    getenv: (n) => (Object.prototype.hasOwnProperty.call(envs, n) ? String(envs[n]) : undefined),
    baseDir: config.baseDir, profile: config.profile, dnsResolver: config.server.dnsResolver,
  };
  let vm: LuaVm | undefined;
  try {
    await seedRedis(redis, data.redis);
    vm = await LuaVm.create({
      poolName: 'test', services, memoryLimitBytes: config.server.luaMemoryLimitBytes, allowIo: config.server.luaAllowIo,
      packagePath: config.lua.config.packagePath, scriptTimeoutMs: config.server.luaScriptTimeoutMs, lineListener: run.lineListener,
    });
    mocks.install(vm);
    await callScript(vm, run, data, result);
  } catch (e) {
    result.success = false;
    result.errors.push(isAuthStudioError(e) ? e.format() : String((e as Error)?.message ?? e));
  } finally {
    vm?.close();
    await redis.close(0).catch(() => undefined);
    await testRedis.flush().catch(() => undefined);
  }
  result.logs.unshift(...mocks.logs);
  result.status_messages.unshift(...mocks.statusMessages);
  for (const err of mocks.finish()) {
    result.success = false;
    // the script may have raised the same text already (then with its file:line in front)
    if (!result.errors.some((e) => e.includes(err))) result.errors.push(err);
  }
  if (data.expected_output) compareExpected(data.expected_output, result);
  return result;
}

/** The request table Nauthilus's test runner builds from the context mock (createRequestTable). */
function requestFields(ctx: Record<string, unknown>): Record<string, string | number | boolean> {
  if (Object.keys(ctx).length === 0) return {};
  const s = (k: string) => (typeof ctx[k] === 'string' ? (ctx[k] as string) : '');
  const b = (k: string) => ctx[k] === true;
  const out: Record<string, string | number | boolean> = {};
  for (const k of ['username', 'password', 'client_ip', 'client_port', 'client_host', 'client_id', 'local_ip', 'local_port', 'service', 'protocol', 'user_agent', 'session', 'account', 'unique_user_id', 'display_name', 'status_message']) out[k] = s(k);
  for (const k of ['debug', 'no_auth', 'authenticated', 'user_found']) out[k] = b(k);
  out.brute_force_count = Number(ctx.brute_force_count ?? 0) || 0;
  out.log_level = b('debug') ? 'debug' : 'info';
  out.log_format = 'json';
  return out;
}

async function callScript(vm: LuaVm, run: FixtureRun, data: Record<string, Record<string, unknown>>, result: FixtureResult): Promise<void> {
  const ctx = data.context ?? {};
  const timeout = run.config.server.luaScriptTimeoutMs;
  const source = fs.readFileSync(path.join(run.config.baseDir, run.script), 'utf8');
  const script = await vm.loadScript(run.script, source, timeout);
  const names = ENTRY[run.callback];
  const defined = await vm.definedFunctions(script, names);
  const fn = names[defined.indexOf(true)];
  if (!fn) throw new Error(`${names[0]} function not found in script`);
  const call = new CallContext('fixture-test', { recordEvents: true });
  const fields = requestFields(ctx);
  for (const [k, v] of Object.entries(fields)) call.context.set(k, v);
  for (const [k, v] of Object.entries((ctx.attributes ?? {}) as Record<string, unknown>)) call.context.set(k, v);
  // http_request: the HTTP request a hook (or any stage) sees through nauthilus_http_request
  const hr = data.http_request;
  if (hr) {
    const u = new URL(typeof hr.path === 'string' && hr.path ? hr.path : '/', 'http://fixture.invalid');
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries((hr.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = [String(v)];
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
    call.httpRequest = { method: typeof hr.method === 'string' && hr.method ? hr.method.toUpperCase() : 'GET', path: u.pathname, query, headers, body: typeof hr.body === 'string' ? hr.body : '' };
  }
  call.httpResponse = { headers: {} };
  call.stage = STAGE[run.callback];
  const nil = (v: unknown) => v === undefined || v === null;
  const type = (v: unknown) => (nil(v) ? 'nil' : typeof v === 'object' ? 'table' : typeof v);
  if (run.callback === 'backend') {
    const [code, plain] = await vm.dispatch('verify', script, encodeLuaRequest(fields), [], call, timeout);
    result.backend_return_code = Number(code);
    if (code !== 0) throw new Error(`backend returned non-zero result code: ${code}`);
    const p = plain as Record<string, unknown>;
    result.backend_result = true;
    result.backend_authenticated = p.authenticated === true;
    result.backend_user_found = p.user_found === true;
    if (typeof p.account_field === 'string') result.backend_account_field = p.account_field;
    if (typeof p.display_name_field === 'string') result.backend_display_name = p.display_name_field;
    if (typeof p.unique_user_id_field === 'string') result.backend_unique_user_id = p.unique_user_id_field;
    result.success = true;
    return;
  }
  const out = await vm.evalEnv(script, fn, call, timeout, fields);
  const [a, b, c] = out;
  switch (run.callback) {
    case 'subject':
      if (typeof a !== 'boolean' || typeof b !== 'number') throw new Error(`subject source returned unexpected types: action=${type(a)} result=${type(b)}`);
      result.subject_rejected = a;
      result.subject_result = Math.trunc(b);
      break;
    case 'environment':
      if (typeof a !== 'boolean' || typeof b !== 'boolean' || typeof c !== 'number') throw new Error(`environment source returned unexpected types: trigger=${type(a)} abort=${type(b)} result=${type(c)}`);
      result.environment_triggered = a;
      result.environment_abort = b;
      result.environment_result = Math.trunc(c);
      break;
    case 'action':
      // ACTION_RESULT_OK is 0; no return value counts as success
      if (typeof a === 'boolean') result.action_result = a;
      else if (typeof a === 'number') result.action_result = Math.trunc(a) === 0;
      else if (nil(a)) result.action_result = true;
      else throw new Error(`action returned unexpected type: ${type(a)}`);
      break;
    case 'hook':
      if (!nil(a) && typeof a !== 'object') throw new Error(`hook returned unexpected type: ${type(a)}`);
      result.action_result = true;
      break;
    case 'cache_flush':
      if (a && typeof a === 'object') result.cache_flush_additional_keys = Object.values(a as Record<string, unknown>).filter((x): x is string => typeof x === 'string');
      if (typeof b === 'string') result.cache_flush_account_name = b;
      break;
  }
  result.success = true;
}
