// One request of gopher-lua-libs' http client (Go's net/http client) over node:http: exact headers (no implied
// Content-Type), a body on any method, Go's redirect rules (at most 10; 301/302/303 turn into GET), TLS options,
// a response body cap, and errors worded as Go's url.Error ("Get \"http://...\": dial tcp ...: connection refused").
import http from 'node:http';
import https from 'node:https';
import { canonicalHeaderKey, MAX_HTTP_BODY_BYTES } from './http';

export interface SendOptions {
  method: string;
  url: string;
  body: string;
  /** Canonical header name -> value, as the request will carry them. */
  headers: Record<string, string>;
  /** 0: no client timeout (the script timeout still ends the call). */
  timeoutMs: number;
  insecure?: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The running call's signal: the request stops when the call is given up. */
  signal?: AbortSignal;
  /** Where a URL really goes (a local stand-in for an internet service); undefined: to the URL itself. */
  route?: (u: URL) => URL | undefined;
}

export interface SendResult {
  code: number;
  body: string;
  /** First value of each response header, canonical names (as the Go library fills `headers`). */
  headers: Record<string, string>;
  /** Set-Cookie pairs `name=value` of every response on the way, by host (for the client's cookie jar). */
  cookies: Array<{ host: string; pair: string }>;
  finalUrl: string;
}

/** Go's urlErrorOp: "GET" -> "Get". */
function op(method: string): string {
  return method.slice(0, 1) + method.slice(1).toLowerCase();
}

/** The URL as Go prints it in errors: the password replaced by "***". */
function shown(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*:)[^/@]*@/i, '$1***@');
}

function reason(e: NodeJS.ErrnoException, u: URL): string {
  const hostPort = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  switch (e.code) {
    case 'ECONNREFUSED': return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND': return `dial tcp: lookup ${u.hostname}: no such host`;
    case 'ECONNRESET': return 'read: connection reset by peer';
    case 'EHOSTUNREACH': return `dial tcp ${hostPort}: connect: no route to host`;
    default: return e.message;
  }
}

function once(o: SendOptions, u: URL, method: string, body: string): Promise<{ res: http.IncomingMessage; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http;
    const payload = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = { ...o.headers };
    if (payload.length > 0 || ['POST', 'PUT', 'PATCH'].includes(method)) headers['Content-Length'] = String(payload.length);
    const req = mod.request(
      {
        method, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || undefined, path: u.pathname + u.search, headers,
        rejectUnauthorized: !o.insecure, ca: o.ca, cert: o.cert, key: o.key, signal: o.signal, agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_HTTP_BODY_BYTES) {
            req.destroy(new Error(`response body larger than ${MAX_HTTP_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ res, data: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload.length ? payload : undefined);
  });
}

/** Send the request as Go's client would. Throws an Error whose message is the script's `err`. */
export async function send(o: SendOptions): Promise<SendResult> {
  let method = o.method;
  let body = o.body;
  let url = o.url;
  const cookies: SendResult['cookies'] = [];
  const timeout = o.timeoutMs > 0 ? AbortSignal.timeout(o.timeoutMs) : undefined;
  const signal = timeout && o.signal ? AbortSignal.any([timeout, o.signal]) : timeout ?? o.signal;
  for (let hop = 0; ; hop++) {
    let u: URL;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase() ?? '';
    if (scheme !== 'http' && scheme !== 'https') throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: unsupported protocol scheme ${JSON.stringify(scheme)}`);
    try {
      u = new URL(url);
    } catch {
      throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: invalid URL`);
    }
    if (!u.hostname) throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: http: no Host in request URL`);
    let target = u;
    try {
      target = o.route?.(u) ?? u;
    } catch (e) {
      throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: ${(e as Error).message}`);
    }
    let got: { res: http.IncomingMessage; data: Buffer };
    try {
      got = await once({ ...o, signal }, target, method, body);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = timeout?.aborted
        ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        : o.signal?.aborted ? 'context canceled (the script call was given up)' : reason(err, u);
      throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: ${why}`);
    }
    const { res, data } = got;
    for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const pair = c.split(';')[0].trim();
      if (pair.includes('=')) cookies.push({ host: u.host, pair });
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      if (hop >= 9) throw new Error(`${op(method)} ${JSON.stringify(shown(url))}: stopped after 10 redirects`);
      const next = new URL(location, u);
      if (status !== 307 && status !== 308 && method !== 'HEAD') {
        method = 'GET';
        body = '';
      }
      if (next.host !== u.host) {
        delete o.headers.Authorization;
        delete o.headers.Cookie;
      }
      url = next.toString();
      continue;
    }
    const headers: Record<string, string> = {};
    for (let i = 0; i < res.rawHeaders.length; i += 2) {
      const k = canonicalHeaderKey(res.rawHeaders[i]);
      if (!(k in headers)) headers[k] = res.rawHeaders[i + 1];
    }
    return { code: status, body: data.toString('utf8'), headers, cookies, finalUrl: url };
  }
}
