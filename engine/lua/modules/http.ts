// `glua_http` (nauthilus_gluahttp): gluahttp's HTTP client API for scripts; every call has a timeout.
import { traceBody } from './redis-trace';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, ModuleHost } from '../module';
import { pair, toLua } from '../values';
import { parseDuration } from '../../config/durations';
import { GLUA_HTTP_LUA } from './http-lua';
import { luaNumberText } from '../go-number';
import { standInFor } from '../http-stand-ins';

/** Timeout of a call whose options give none (Nauthilus' client has 60 s; the script timeout usually ends it first). */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** A larger response body is an error rather than a Lua string of that size. */
export const MAX_HTTP_BODY_BYTES = 32 * 1024 * 1024;

/** The options table of gluahttp: every field optional. */
interface HttpOptions {
  timeout?: unknown;
  headers?: Record<string, unknown>;
  cookies?: Record<string, unknown>;
  body?: unknown;
  form?: unknown;
  /** A binary body (a \0 or bytes that are not UTF-8) hex-encoded by the Lua half, as body or as form. */
  body_hex?: unknown;
  form_hex?: unknown;
  query?: unknown;
  auth?: { user?: unknown; pass?: unknown };
}

/** gluahttp's response fields; the Lua half makes the `http.response` object of them. */
export interface HttpResponseTable {
  status_code: number;
  /** The body when it is UTF-8 text without \0; else body_hex carries its bytes (wasmoon strings are not binary safe). */
  body?: string;
  body_hex?: string;
  body_size: number;
  headers: Record<string, string>;
  cookies: Record<string, string>;
  url: string;
}

/** Go's http.CanonicalHeaderKey: "content-type" -> "Content-Type". */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

const SECRET_PARAM = /pass|secret|token|key|auth|sig/i;

/** The URL as the trace shows it: no user info, secret-looking query values masked. */
export function traceUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}

function timeoutMs(v: unknown): number {
  if (v === undefined || v === null) return DEFAULT_HTTP_TIMEOUT_MS;
  let ms: number;
  try {
    ms = parseDuration(v as string | number);
  } catch {
    throw new Error(`invalid timeout ${JSON.stringify(v)} (use a duration like "10s" or a number of seconds)`);
  }
  if (!(ms > 0)) throw new Error(`invalid timeout ${JSON.stringify(v)} (must be positive)`);
  return ms;
}

const isFalse = (v: unknown): boolean => v === undefined || v === null || v === false;

/** Go's LValue.String() of a user or password: numbers and booleans as text. */
const goString = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** gluahttp sets header and cookie values with gopher-lua's LValue.String(): 6/2 is "3", not "3.0". */
function lvString(v: unknown): string {
  return typeof v === 'number' ? luaNumberText(v) : String(v);
}

function buildHeaders(opts: HttpOptions, usesForm: boolean): Headers {
  const h = new Headers();
  if (usesForm) h.set('Content-Type', 'application/x-www-form-urlencoded');
  if (opts.cookies && typeof opts.cookies === 'object') {
    const parts = Object.entries(opts.cookies).map(([k, v]) => `${k}=${lvString(v)}`);
    if (parts.length) h.set('Cookie', parts.join('; '));
  }
  // gluahttp: auth = { user = ..., pass = ... } is Basic auth; a nil or false field is an error return
  if (opts.auth && typeof opts.auth === 'object') {
    const { user, pass } = opts.auth;
    if (isFalse(user) || isFalse(pass)) throw new Error('auth table must contain no nil user and pass fields');
    h.set('Authorization', 'Basic ' + Buffer.from(`${goString(user)}:${goString(pass)}`).toString('base64'));
  }
  // set last, as gluahttp does, so they win over what the options above added
  if (opts.headers && typeof opts.headers === 'object') {
    for (const [k, v] of Object.entries(opts.headers)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') h.set(k, lvString(v));
    }
  }
  return h;
}

async function readBody(res: Response): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_HTTP_BODY_BYTES) throw new Error(`response body larger than ${MAX_HTTP_BODY_BYTES} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function describe(e: unknown, ms: number): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  if (err?.name === 'TimeoutError') return `timeout after ${ms} ms (context deadline exceeded)`;
  if (err?.name === 'AbortError') return 'request aborted: the script call was given up';
  return err?.cause?.message ?? err?.message ?? String(e);
}

/** body (a string), else form (a string, sent as urlencoded), as gluahttp picks them; binary ones come hex-encoded. */
function requestBody(opts: HttpOptions): [string | Buffer | undefined, boolean] {
  if (typeof opts.body === 'string') return [opts.body, false];
  if (typeof opts.body_hex === 'string') return [Buffer.from(opts.body_hex, 'hex'), false];
  if (typeof opts.form === 'string') return [opts.form, true];
  if (typeof opts.form_hex === 'string') return [Buffer.from(opts.form_hex, 'hex'), true];
  return [undefined, false];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A body a Lua string can take as it is (UTF-8 without \0), else its bytes as hex for the Lua half to rebuild. */
function bodyFields(raw: Buffer): { body: string } | { body_hex: string } {
  if (!raw.includes(0)) {
    try {
      return { body: UTF8.decode(raw) };
    } catch {
      // not UTF-8: pass the bytes
    }
  }
  return { body_hex: raw.toString('hex') };
}

/** One request as gluahttp does it. Throws an Error whose message is the script's `err`. */
async function doRequest(host: ModuleHost, method: string, url: string, options: unknown): Promise<HttpResponseTable> {
  const opts = (options && typeof options === 'object' ? options : {}) as HttpOptions;
  const m = method.toUpperCase();
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${m} ${JSON.stringify(url)}: invalid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${m} ${traceUrl(url)}: unsupported protocol scheme "${u.protocol.slice(0, -1)}"`);
  if (typeof opts.query === 'string') u.search = opts.query; // gluahttp replaces the URL's query
  const [body, usesForm] = requestBody(opts);
  if (body !== undefined && (m === 'GET' || m === 'HEAD')) throw new Error(`${m} ${traceUrl(u.toString())}: a ${m} request cannot carry a body here`);
  const headers = buildHeaders(opts, usesForm);
  if (u.username || u.password) {
    // as Go's client does: user info in the URL becomes Basic auth unless a header sets Authorization
    if (!headers.has('Authorization')) {
      const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      headers.set('Authorization', 'Basic ' + Buffer.from(creds).toString('base64'));
    }
    u.username = '';
    u.password = '';
  }
  let target: URL;
  try {
    target = standInFor(u, host.services.getenv) ?? u;
  } catch (e) {
    throw new Error(`${m} ${traceUrl(u.toString())}: ${(e as Error).message}`);
  }
  const ms = timeoutMs(opts.timeout);
  const signals = [AbortSignal.timeout(ms)];
  if (host.call?.abortSignal) signals.push(host.call.abortSignal.signal);
  const signal = AbortSignal.any(signals);
  const started = performance.now();
  const record = (detail: Record<string, unknown>) =>
    host.call?.record('http', { method: m, url: traceUrl(u.toString()), ...(target !== u ? { stand_in: target.origin } : {}), ...detail, duration_ms: Math.round(performance.now() - started) });
  try {
    const res = await fetch(target, { method: m, headers, body, signal, redirect: 'follow' });
    const raw = await readBody(res);
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      const key = canonicalHeaderKey(name);
      if (!(key in resHeaders)) resHeaders[key] = name === 'set-cookie' ? res.headers.getSetCookie()[0] : value;
    });
    const cookies: Record<string, string> = {};
    for (const c of res.headers.getSetCookie()) {
      const eq = c.indexOf('=');
      if (eq > 0) cookies[c.slice(0, eq).trim()] = c.slice(eq + 1).split(';')[0];
    }
    // a studio trace (and the debugger) shows the answer's start, secrets masked
    record({ status: res.status, ...(host.call?.recordEvents ? { body: traceBody(raw.toString('utf8')), body_size: raw.length } : {}) });
    return { status_code: res.status, ...bodyFields(raw), body_size: raw.length, headers: resHeaders, cookies, url: res.url || u.toString() };
  } catch (e) {
    const msg = `${m} ${traceUrl(u.toString())}: ${describe(e, ms)}`;
    record({ error: msg });
    throw new Error(msg);
  }
}

export const httpModule: LuaModule = {
  name: 'glua_http',
  legacyLoaderName: 'nauthilus_gluahttp',
  summary: 'HTTP client (gluahttp API): get/post/put/delete/patch/head/request/request_batch with a timeout on every call.',
  install(host) {
    const call = (method: string, url: string, options: unknown) =>
      doRequest(host, method, url, options).then((r) => pair(r, undefined), (e: Error) => pair(undefined, e.message));
    return {
      functions: {
        request_raw: call,
        // {{method, url, options}, ...} -> responses[, errors]; the requests run concurrently
        request_batch_raw: (list: unknown[]) =>
          Promise.all(
            list.map((r) => {
              if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string') {
                return Promise.resolve({ error: 'Request must be a table {method, url, options}' });
              }
              return doRequest(host, r[0], r[1], r[2]).then((res) => ({ res }), (e: Error) => ({ error: e.message }));
            }),
          ).then((out) => {
            const errors = out.some((o) => 'error' in o) ? out.map((o) => ('error' in o ? o.error : undefined)) : undefined;
            return LuaMultiReturn.from([toLua(out.map((o) => ('res' in o ? o.res : undefined))), toLua(errors)]);
          }),
      },
      async: ['request_raw', 'request_batch_raw'],
      lua: GLUA_HTTP_LUA,
    };
  },
};
