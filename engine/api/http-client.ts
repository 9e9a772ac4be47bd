// The HTTP transport: a StudioClient speaking to `authstudio studio` (POST per call, events over Server-Sent Events).
//
// Uses only fetch and streams (Node 20+ and browsers). Events missed while the stream reconnects are lost:
// clients re-read state (getStatus, listFiles) after `connect()` resolves again.
import { clientFromTransport, StudioError, type StudioClient, type StudioErrorInfo } from './contract';
import { parseSseBlock, splitSseBuffer } from './sse';

export interface HttpClientOptions {
  /**
   * The studio token (`--token` / AUTHSTUDIO_TOKEN) when the server has one. Without it the client asks the
   * studio for its per-launch token (GET /api/studio/session, answered on loopback to same-origin callers only).
   */
  token?: string;
  /** Delay before the event stream reconnects after a drop (default 500 ms). */
  reconnectMs?: number;
}

function unreachable(base: string, e: unknown): StudioError {
  return new StudioError({ code: 'AS_ERR_STUDIO_UNREACHABLE', status: 503, message: `cannot reach the studio at ${base}: ${(e as Error)?.message ?? String(e)}` });
}

/**
 * A client for a studio over HTTP.
 * @example
 * const client = createHttpClient('http://127.0.0.1:9080', { token: process.env.AUTHSTUDIO_TOKEN });
 * await client.connect();
 * client.onLog((line) => console.log(line.msg));
 */
export function createHttpClient(baseUrl: string, opts: HttpClientOptions = {}): StudioClient {
  const base = baseUrl.replace(/\/+$/, '');
  let session: Promise<string | undefined> | undefined;
  /** The Authorization header: the given token, else the studio's per-launch one (asked for once, again after a 401). */
  const auth = async (): Promise<Record<string, string>> => {
    if (opts.token) return { authorization: `Bearer ${opts.token}` };
    session ??= askToken();
    const token = await session.catch((e: unknown) => {
      session = undefined;
      throw e;
    });
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const askToken = async (): Promise<string | undefined> => {
    let res: Response;
    try {
      res = await fetch(`${base}/api/studio/session`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    } catch (e) {
      throw unreachable(base, e);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown };
    // refused (a studio with --token, a foreign host): go on without one, the call then says what is missing
    return res.ok && typeof body.token === 'string' ? body.token : undefined;
  };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let closed = false;
  let abort: AbortController | undefined;
  let stream: Promise<void> | undefined;
  let hello: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;

  const post = async (name: string, arg: unknown): Promise<Response> => {
    const headers = { 'content-type': 'application/json', ...(await auth()) };
    try {
      return await fetch(`${base}/api/studio/call/${name}`, { method: 'POST', headers, body: JSON.stringify(arg ?? {}) });
    } catch (e) {
      throw unreachable(base, e);
    }
  };

  const call = async (name: string, arg: unknown): Promise<unknown> => {
    let res = await post(name, arg);
    if (res.status === 401 && !opts.token) {
      // the studio restarted with a new per-launch token: ask for it again, once
      session = undefined;
      res = await post(name, arg);
    }
    const text = await res.text();
    let json: { result?: unknown; error?: StudioErrorInfo };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new StudioError({ code: 'AS_ERR_INTERNAL', status: res.status, message: `the studio answered ${res.status} without JSON` });
    }
    if (!res.ok || json.error) throw new StudioError(json.error ?? { code: 'AS_ERR_INTERNAL', status: res.status, message: `HTTP ${res.status}` });
    return json.result;
  };

  const newHello = () => {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    hello = { promise, resolve, reject };
  };

  const readStream = async (): Promise<void> => {
    let retried = false;
    while (!closed) {
      abort = new AbortController();
      try {
        const res = await fetch(`${base}/api/studio/events`, { headers: { accept: 'text/event-stream', ...(await auth()) }, signal: abort.signal });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as { error?: StudioErrorInfo };
          throw new StudioError(body.error ?? { code: 'AS_ERR_INTERNAL', status: res.status, message: `event stream: HTTP ${res.status}` });
        }
        retried = false;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const { blocks, rest } = splitSseBuffer(buffer + decoder.decode(value, { stream: true }));
          buffer = rest;
          for (const b of blocks) dispatch(b);
        }
      } catch (e) {
        if (closed) return;
        if (e instanceof StudioError && e.status === 401 && !opts.token && !retried) {
          retried = true; // a new per-launch token (the studio restarted): ask again once
          session = undefined;
          continue;
        }
        if (e instanceof StudioError && (e.status === 401 || e.status === 403)) {
          hello?.reject(e);
          stream = undefined;
          return;
        }
        hello?.reject(unreachable(base, e));
      }
      if (closed) return;
      newHello();
      await new Promise((r) => setTimeout(r, opts.reconnectMs ?? 500));
    }
  };

  const dispatch = (block: string) => {
    const msg = parseSseBlock(block);
    if (!msg) return;
    if (msg.event === 'hello') return hello?.resolve();
    const set = listeners.get(msg.event);
    if (!set?.size) return;
    const payload = JSON.parse(msg.data) as unknown;
    for (const l of [...set]) {
      try {
        l(payload);
      } catch {
        // a listener's bug must not end the stream
      }
    }
  };

  const connect = async (): Promise<void> => {
    if (closed) throw new StudioError({ code: 'AS_ERR_BAD_REQUEST', status: 400, message: 'this client is closed' });
    if (!stream) {
      newHello();
      stream = readStream();
    }
    await hello!.promise;
  };

  return clientFromTransport({
    call: (name, arg) => call(name, arg),
    subscribe(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      if (!stream && !closed) connect().catch(() => undefined);
      return () => listeners.get(event)?.delete(listener);
    },
    connect,
    close: async () => {
      closed = true;
      abort?.abort();
      listeners.clear();
      await stream?.catch(() => undefined);
    },
  });
}
