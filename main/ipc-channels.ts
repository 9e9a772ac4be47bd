// The IPC surface of the desktop app: one channel per studio method, one channel for events, and the checks every
// call passes (in the preload before it is sent, and again in the main process before it runs).
import {
  STUDIO_EVENTS, STUDIO_METHODS, type StudioErrorInfo, type StudioEventName, type StudioMethodName,
} from '../engine/api/contract';

export const CALL_PREFIX = 'studio:call:';
/** main -> renderer: (event name, payload). */
export const EVENT_CHANNEL = 'studio:event';
/** Largest argument a call may carry (file saves included), as JSON text. */
export const MAX_ARG_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 16;

/** The channel of a method. */
export function channelOf(method: StudioMethodName): string {
  return CALL_PREFIX + method;
}

/** Every channel the main process handles. */
export const CALL_CHANNELS: readonly string[] = STUDIO_METHODS.map(channelOf);

type Check = (arg: Record<string, unknown>) => string | undefined;
const str = (k: string, optional = false): Check => (a) => (a[k] === undefined && optional) || typeof a[k] === 'string' ? undefined : `${k} must be a string`;
const bool = (k: string): Check => (a) => (a[k] === undefined || typeof a[k] === 'boolean' ? undefined : `${k} must be true or false`);
const num = (k: string): Check => (a) => (a[k] === undefined || (typeof a[k] === 'number' && Number.isFinite(a[k])) ? undefined : `${k} must be a number`);
const obj = (k: string, optional = false): Check => (a) => ((a[k] === undefined && optional) || isPlainObject(a[k]) ? undefined : `${k} must be an object`);
const oneOf = (k: string, values: string[]): Check => (a) => (a[k] === undefined || values.includes(a[k] as string) ? undefined : `${k} must be one of ${values.join(', ')}`);

/** The shape each method's argument must have (the service checks values; this keeps junk off the channel). */
export const ARG_CHECKS: Record<StudioMethodName, Check[]> = {
  getStatus: [], listFiles: [], reload: [], checkWorkspace: [], listPresets: [], getRedis: [], flushNamespace: [], listDovecotPresets: [],
  startCoverage: [], stopCoverage: [], getCoverage: [], runTestsWithCoverage: [],
  readFile: [str('path')],
  saveFile: [str('path'), str('content'), str('base_version', true)],
  createFile: [str('path'), str('content', true), oneOf('kind', ['file', 'directory'])],
  renameFile: [str('from'), str('to')],
  deleteFile: [str('path'), bool('recursive')],
  searchWorkspace: [str('query'), bool('regex'), bool('case_sensitive'), num('max_results')],
  resolveLuaModule: [str('name')],
  simulate: [str('preset'), str('username', true), str('password', true), oneOf('mode', ['auth', 'no-auth', 'list-accounts']), obj('fields', true), obj('request', true)],
  runDovecot: [str('path'), str('source', true), str('user'), str('password', true), str('protocol', true), str('remote_ip', true),
    str('local_ip', true), num('local_port'), str('mechanism', true), str('master_user', true), str('master_script', true),
    oneOf('profile', ['2.3', '2.4']), oneOf('lookup', ['passdb_verify', 'passdb_lookup', 'userdb_lookup']), obj('lua_settings', true)],
  startTraffic: [obj('profile'), num('count'), num('rate'), num('concurrency'), str('preset', true)],
  cancelTraffic: [str('run_id')],
  getTraffic: [str('run_id'), bool('wait')],
  listBlocked: [],
  unblock: [str('network', true), str('bucket', true), str('account', true)],
  testRedis: [str('url')],
  switchRedis: [str('url'), bool('save')],
  scanKeys: [str('pattern', true), str('cursor', true), num('count')],
  getKey: [str('key')],
  deleteKey: [str('key')],
  exportBundle: [str('out'), str('prefix', true), bool('include_secrets'), oneOf('format', ['1.x', '3.x'])],
  convertConfig: [str('to'), oneOf('to', ['1.x', '3.x'])],
  importConfig: [str('config'), str('into'), str('scripts_root', true)],
  setRecording: [bool('enabled'), bool('passwords')],
  getRecording: [],
  whatIf: [str('path'), str('content')],
  callHook: [str('method'), str('path'), obj('headers', true), str('body', true)],
  addHook: [str('location'), str('method'), str('script')],
  listRequests: [str('since', true)], getRequest: [str('id')], clearRequests: [], listSavedRequests: [], getEnvironments: [],
  saveRequest: [str('name'), obj('login', true), obj('hook', true), obj('expect', true), bool('overwrite')],
  runCollection: [str('environment', true)],
  debugSetBreakpoints: [str('path'), (a) => (Array.isArray(a.breakpoints) ? undefined : 'breakpoints must be a list')],
  debugLaunch: [str('preset', true), str('username', true), str('password', true), oneOf('mode', ['auth', 'no-auth', 'list-accounts']), obj('fields', true), obj('request', true), str('stage', true), bool('stop_on_entry'), bool('pause_on_error'), str('corpus', true), num('entry')],
  debugDovecot: [str('path'), str('source', true), str('user'), str('password', true), str('protocol', true), str('remote_ip', true),
    str('local_ip', true), num('local_port'), str('mechanism', true), str('master_user', true), str('master_script', true),
    oneOf('profile', ['2.3', '2.4']), oneOf('lookup', ['passdb_verify', 'passdb_lookup', 'userdb_lookup']), obj('lua_settings', true)],
  debugStackTrace: [num('thread')],
  debugScopes: [num('thread'), num('frame')],
  debugVariables: [num('ref')],
  debugEvaluate: [num('thread'), num('frame'), str('expression')],
  debugResume: [num('thread'), oneOf('step', ['next', 'stepIn', 'stepOut'])],
  debugStop: [],
};

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Plain JSON only: no functions, symbols, class instances, cycles or deep nesting. */
function plainJson(v: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => plainJson(x, depth + 1));
  return isPlainObject(v) && Object.values(v).every((x) => x === undefined || plainJson(x, depth + 1));
}

const bad = (message: string, status = 400): { ok: false; error: StudioErrorInfo } => ({ ok: false, error: { code: 'AS_ERR_BAD_REQUEST', status, message } });

/** Check one call; the result names the method and the argument to pass on, or the error to answer with. */
export function validateCall(method: unknown, arg: unknown): { ok: true; method: StudioMethodName; arg: Record<string, unknown> } | { ok: false; error: StudioErrorInfo } {
  if (typeof method !== 'string' || !(STUDIO_METHODS as readonly string[]).includes(method)) {
    return bad(`the studio has no method "${String(method).slice(0, 60)}"`, 404);
  }
  const a = arg === undefined || arg === null ? {} : arg;
  if (!isPlainObject(a)) return bad(`${method}: the argument must be a JSON object`);
  if (!plainJson(a)) return bad(`${method}: the argument must be plain JSON (no functions, no deep nesting)`);
  if (JSON.stringify(a).length > MAX_ARG_BYTES) return bad(`${method}: the argument is larger than ${MAX_ARG_BYTES} bytes`);
  for (const check of ARG_CHECKS[method as StudioMethodName]) {
    const why = check(a);
    if (why) return bad(`${method}: ${why}`);
  }
  return { ok: true, method: method as StudioMethodName, arg: a };
}

/** True for the names of studio events (what the preload lets the page subscribe to). */
export function isStudioEvent(name: unknown): name is StudioEventName {
  return typeof name === 'string' && (STUDIO_EVENTS as readonly string[]).includes(name);
}
