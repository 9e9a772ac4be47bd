// The Node side of dovecot.http.client: Dovecot's URL rules, one real HTTP request per submit(), and
// transport failures reported as Dovecot's 9xxx statuses (never as Lua errors).
import http from 'node:http';
import https from 'node:https';
import type { DovecotHttpCall } from './types';

/** Dovecot's default request_timeout_msecs (a client option of 0 or an unknown key such as `timeout` keeps it). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** How long Dovecot waits for `100 Continue` before sending the payload anyway. */
const CONTINUE_TIMEOUT_MS = 1000;

/** enum http_request_error of lib-http. */
export const HTTP_ERRORS = {
  ABORTED: 9000, INVALID_URL: 9001, HOST_LOOKUP_FAILED: 9002, CONNECT_FAILED: 9003, INVALID_RESPONSE: 9004,
  CONNECTION_LOST: 9005, BROKEN_PAYLOAD: 9006, BAD_RESPONSE: 9007, TIMED_OUT: 9008,
} as const;

const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const HOST_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/;

/** http_url_parse's verdict on a request URL: undefined when valid, else Dovecot's error text. */
export function httpUrlError(url: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (!scheme && !url.startsWith('//')) return 'Relative HTTP URL not allowed';
  if (scheme && !/^https?$/i.test(scheme[1])) return 'Not an HTTP URL';
  const rest = scheme ? url.slice(scheme[0].length) : url;
  if (!rest.startsWith('//')) return 'HTTP URL does not allow empty host identifier';
  if (rest.includes('#')) return 'URL fragment not allowed for HTTP URL in this context';
  const afterSlashes = rest.slice(2);
  const end = afterSlashes.search(/[/?]/);
  const authority = end < 0 ? afterSlashes : afterSlashes.slice(0, end);
  const pathAndQuery = end < 0 ? '' : afterSlashes.slice(end);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  if (!m || m[1] === '') return 'HTTP URL does not allow empty host identifier';
  if (!m[1].startsWith('[') && !HOST_CHARS.test(m[1])) return 'Invalid host identifier';
  if (m[2] !== undefined && (!/^\d{1,5}$/.test(m[2]) || Number(m[2]) > 65535)) return 'Invalid port number';
  const q = pathAndQuery.indexOf('?');
  const pathPart = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  if (!PATH_CHARS.test(pathPart)) return 'Path component contains invalid character';
  if (q >= 0 && !QUERY_CHARS.test(pathAndQuery.slice(q + 1))) return 'Query component contains invalid character';
  return undefined;
}

/** What the Lua side hands over on submit(). */
export interface HttpSubmitSpec {
  method: string;
  url: string;
  headers?: Array<[string, string]>;
  payload?: string;
  settings?: Record<string, unknown>;
  /** Where to send it instead of `url` (a stand-in); `url` is still what the call records. */
  sendTo?: string;
}

/** What submit() gives back to Lua (a response object is built from it). */
export interface HttpSubmitResult {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  payload: string;
}

function uint(settings: Record<string, unknown> | undefined, key: string): number {
  const v = settings?.[key];
  return typeof v === 'number' && v > 0 ? v : 0;
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Map a Node transport error to Dovecot's status and reason. */
function transportFailure(e: NodeJS.ErrnoException & { reason?: string }, host: string, port: number): { status: number; reason: string } {
  const where = `${(e as { address?: string }).address ?? host}:${(e as { port?: number }).port ?? port}`;
  switch (e.code) {
    case 'ENOTFOUND':
      return { status: HTTP_ERRORS.HOST_LOOKUP_FAILED, reason: `Failed to lookup host ${host}: Name or service not known` };
    case 'EAI_AGAIN':
      return { status: HTTP_ERRORS.HOST_LOOKUP_FAILED, reason: `Failed to lookup host ${host}: Temporary failure in name resolution` };
    case 'ECONNREFUSED':
      return { status: HTTP_ERRORS.CONNECT_FAILED, reason: `connect(${where}) failed: Connection refused` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { status: HTTP_ERRORS.CONNECT_FAILED, reason: `connect(${where}) failed: No route to host` };
    case 'ECONNRESET':
    case 'EPIPE':
      return { status: HTTP_ERRORS.CONNECTION_LOST, reason: `Connection lost: read((conn:${host}:${port})) failed: EOF` };
    default:
      if (e.code?.startsWith('HPE_')) return { status: HTTP_ERRORS.BAD_RESPONSE, reason: `Invalid HTTP response: ${e.reason ?? e.message}` };
      if (/certificate|SSL|TLS/i.test(e.message)) return { status: HTTP_ERRORS.CONNECT_FAILED, reason: `connect(${where}) failed: SSL handshake failed: ${e.message}` };
      return { status: HTTP_ERRORS.CONNECTION_LOST, reason: `Connection lost: ${e.message}` };
  }
}

/**
 * Send one request as Dovecot's lib-http would: Date header, User-Agent only when configured, basic auth
 * from URL credentials, `Expect: 100-continue` before a non-empty payload, no redirects followed,
 * request_timeout_msecs (default 60 s), connect_timeout_msecs and request_absolute_timeout_msecs.
 * Resolves with a 9xxx status on transport failures; rejects never.
 */
export function submitHttp(spec: HttpSubmitSpec, signal?: AbortSignal): Promise<HttpSubmitResult & { call: DovecotHttpCall }> {
  const started = Date.now();
  const target = spec.sendTo ?? spec.url;
  const u = new URL(target.startsWith('//') ? `http:${target}` : target);
  const isHttps = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (isHttps ? 443 : 80));
  const headers: Record<string, string | string[]> = { Date: new Date().toUTCString() };
  const ua = spec.settings?.user_agent;
  if (typeof ua === 'string') headers['User-Agent'] = ua;
  for (const [k, v] of spec.headers ?? []) {
    const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
    if (existing) headers[existing] = ([] as string[]).concat(headers[existing], v);
    else headers[k] = v;
  }
  const payload = spec.payload === undefined ? undefined : Buffer.from(spec.payload, 'utf8');
  if (payload) {
    headers['Content-Length'] = String(payload.length);
    if (payload.length > 0) headers.Expect = '100-continue';
  }
  const requestTimeout = uint(spec.settings, 'request_timeout_msecs') || DEFAULT_REQUEST_TIMEOUT_MS;
  const connectTimeout = uint(spec.settings, 'connect_timeout_msecs') || requestTimeout;
  const absoluteTimeout = uint(spec.settings, 'request_absolute_timeout_msecs');
  const recorded: Array<[string, string]> = (spec.headers ?? []).map(([k, v]) => [k, /^(authorization|proxy-authorization)$/i.test(k) ? `${v.split(' ')[0]} ***` : v]);

  return new Promise((resolve) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: HttpSubmitResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve({ ...r, call: { method: spec.method, url: spec.url, requestHeaders: recorded, payloadBytes: payload?.length ?? 0, status: r.status, reason: r.reason, durationMs: Date.now() - started } });
    };
    const fail = (status: number, reason: string) => finish({ status, reason, headers: [], payload: '' });
    const onAbort = () => fail(HTTP_ERRORS.ABORTED, 'Aborted');
    const req = (isHttps ? https : http).request({
      method: spec.method, host, port, path: `${u.pathname}${u.search}`, headers, agent: false,
      auth: u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
    });
    const timedOut = (what: string) => fail(HTTP_ERRORS.TIMED_OUT, `Request timed out (Request queued ${secs(Date.now() - started)} secs ago, 1 send attempts in ${secs(Date.now() - started)} secs${what})`);
    timers.push(setTimeout(() => fail(HTTP_ERRORS.CONNECT_FAILED, `connect(${host}:${port}) failed: Connection timed out in ${secs(connectTimeout)} secs`), connectTimeout));
    if (absoluteTimeout) timers.push(setTimeout(() => timedOut(''), absoluteTimeout));
    req.on('socket', (sock) => {
      const connected = () => {
        clearTimeout(timers[0]);
        timers.push(setTimeout(() => timedOut(''), requestTimeout));
      };
      if (sock.connecting) sock.once(isHttps ? 'secureConnect' : 'connect', connected);
      else connected();
    });
    req.on('error', (e) => {
      const f = transportFailure(e as NodeJS.ErrnoException, host, port);
      fail(f.status, f.reason);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(HTTP_ERRORS.CONNECTION_LOST, `Connection lost: ${e.message}`));
      res.on('end', () => {
        const h: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        finish({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: h, payload: Buffer.concat(chunks).toString('utf8') });
      });
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (payload && payload.length > 0) {
      let sent = false;
      const send = () => {
        if (sent || settled) return;
        sent = true;
        req.end(payload);
      };
      // a final answer before `100 Continue` (401, 417) ends the exchange: the payload is never sent
      req.on('continue', send);
      req.on('response', () => (sent = true));
      req.flushHeaders();
      timers.push(setTimeout(send, CONTINUE_TIMEOUT_MS));
    } else {
      req.end(payload);
    }
  });
}
