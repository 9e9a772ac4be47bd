// `nauthilus_http_response`: how scripts shape the HTTP answer: a custom hook its whole response; features,
// filters and actions before the answer the headers of the auth endpoint's answer.
import type { LuaModule, ModuleHost } from '../module';
import type { CallContext, HookHttpResponse } from '../call-context';
import { checkArg } from '../values';
import { MAX_SCRIPT_HEADER_BYTES, headerSetBytes, refusedOnAuthAnswer } from '../response-headers';
import { luaNumberText } from '../go-number';

/**
 * What the running stage may do with the answer (Nauthilus 1.10 gives the module to features, filters and custom
 * hooks; 1.12 also to actions that run before the answer). Elsewhere its functions raise, as `require` of a
 * module Nauthilus did not give the stage does.
 */
type Access = 'hook' | 'headers';

function access(fn: string, call: CallContext | null): Access {
  switch (call?.stage) {
    case 'hook':
      return 'hook';
    case 'feature': case 'filter': case 'action':
      return 'headers';
    case 'post_action':
      throw new Error(`nauthilus_http_response.${fn}: post actions run after the answer was sent (Nauthilus gives them no response)`);
    case 'backend':
      throw new Error(`nauthilus_http_response.${fn}: not available in backends (features, filters, actions before the answer and custom hooks shape the answer)`);
    default:
      throw new Error(`nauthilus_http_response.${fn}: no HTTP answer here (features, filters, actions before the answer and custom hooks have one)`);
  }
}

/** Status constants Nauthilus exposes on the module table. */
const STATUS_CODES: Record<string, number> = {
  STATUS_OK: 200, STATUS_CREATED: 201, STATUS_NO_CONTENT: 204, STATUS_MOVED_PERMANENTLY: 301, STATUS_FOUND: 302,
  STATUS_SEE_OTHER: 303, STATUS_NOT_MODIFIED: 304, STATUS_BAD_REQUEST: 400, STATUS_UNAUTHORIZED: 401, STATUS_FORBIDDEN: 403,
  STATUS_NOT_FOUND: 404, STATUS_METHOD_NOT_ALLOWED: 405, STATUS_CONFLICT: 409, STATUS_UNSUPPORTED_MEDIA_TYPE: 415,
  STATUS_TOO_MANY_REQUESTS: 429, STATUS_INTERNAL_SERVER_ERROR: 500, STATUS_NOT_IMPLEMENTED: 501, STATUS_BAD_GATEWAY: 502,
  STATUS_SERVICE_UNAVAILABLE: 503, STATUS_GATEWAY_TIMEOUT: 504,
};

// Content-Type lives in HookHttpResponse.contentType (the hook route sets it last), never in `headers`.

/** gopher-lua's CheckString also takes numbers, as LNumber.String() gives them (6/2 is "3"). */
function str(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number');
  return typeof v === 'number' ? luaNumberText(v) : String(v);
}

function status(fn: string, n: number, v: unknown): number {
  checkArg(fn, n, v, 'number');
  const code = v as number;
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new Error(`bad argument #${n} to '${fn}' (HTTP status 100-599 expected, got ${code})`);
  }
  return code;
}

export const httpResponseModule: LuaModule = {
  name: 'nauthilus_http_response',
  legacyLoaderName: 'nauthilus_http_response',
  summary: 'Custom hooks: status, headers, content type and body; features, filters, actions: headers of the auth answer.',
  install(host: ModuleHost) {
    const call = (): CallContext => host.call!;
    const response = (c: CallContext): HookHttpResponse => (c.httpResponse ??= { headers: {} });
    // each warning once per request and name: a script looping over a refused header must not flood the log
    const warned = new WeakMap<CallContext, Set<string>>();
    const warn = (fn: string, msg: string, name?: string) => {
      const c = host.call;
      if (c) {
        const seen = warned.get(c) ?? new Set<string>();
        warned.set(c, seen);
        const key = `${fn} ${name ?? ''}`;
        if (seen.has(key) || seen.size >= 32) return;
        seen.add(key);
      }
      host.services.logger.warn({ session: c?.session, stage: c?.stage, header: name?.slice(0, 64), fn }, `nauthilus_http_response: ${msg}`);
    };

    /** Set or add a header; on an auth answer refused names are dropped (logged) and the set is bounded. */
    const header = (fn: string, name: string, value: string, add: boolean): void => {
      const mode = access(fn, host.call);
      const c = call();
      const r = response(c);
      if (mode === 'hook' && name === 'content-type') return void (r.contentType = value);
      if (mode === 'headers') {
        const why = refusedOnAuthAnswer(name);
        if (why) return warn(fn, `header refused on the auth answer (dropped): ${why}`, name);
      }
      const list = add ? (r.headers[name] ?? []) : [];
      c.budget.checkEntries(fn, list.length);
      if (mode === 'headers') {
        const replaced = add ? 0 : headerSetBytes({ [name]: r.headers[name] ?? [] });
        if (headerSetBytes(r.headers) - replaced + headerSetBytes({ [name]: [value] }) > MAX_SCRIPT_HEADER_BYTES) {
          throw new Error(`${fn}: the headers scripts add to this answer would exceed ${MAX_SCRIPT_HEADER_BYTES} bytes`);
        }
      }
      // what the response keeps counts against the request's budget (lua_memory_limit)
      c.budget.charge(fn, 64 + 2 * (name.length + value.length));
      list.push(value);
      r.headers[name] = list;
    };

    /** Status and body belong to a hook; on an auth answer the engine's verdict decides them. */
    const hookOnly = (fn: string, apply: (r: HookHttpResponse, method: string) => void, charge = 0): void => {
      if (access(fn, host.call) !== 'hook') {
        throw new Error(`nauthilus_http_response.${fn}: a ${host.call!.stage} can set headers of the auth answer, not its status or body`);
      }
      const c = call();
      if (charge) c.budget.charge(fn, charge);
      apply(response(c), (c.httpRequest?.method ?? '').toUpperCase());
    };
    // like Go's ResponseWriter: writes append; on HEAD the bytes only count for Content-Length (the HTTP layer
    // sends no body)
    const write = (r: HookHttpResponse, _method: string, data: string) => {
      r.body = (r.body ?? '') + data;
    };
    return {
      functions: {
        ...STATUS_CODES,
        set_http_response_header: (name: unknown, value: unknown) => {
          header('set_http_response_header', str('set_http_response_header', 1, name).toLowerCase(), str('set_http_response_header', 2, value), false);
        },
        add_http_response_header: (name: unknown, value: unknown) => {
          header('add_http_response_header', str('add_http_response_header', 1, name).toLowerCase(), str('add_http_response_header', 2, value), true);
        },
        remove_http_response_header: (name: unknown) => {
          const n = str('remove_http_response_header', 1, name).toLowerCase();
          const mode = access('remove_http_response_header', host.call);
          const r = response(call());
          if (mode === 'hook' && n === 'content-type') r.contentType = undefined;
          else delete r.headers[n];
        },
        set_http_status: (code: unknown) => {
          const c = status('set_http_status', 1, code);
          // on an auth answer Nauthilus' handler sets the status after the stages: a script's has no effect
          if (access('set_http_status', host.call) === 'headers') return warn('set_http_status', 'the auth answer keeps the engine\'s status (ignored)');
          response(call()).status = c;
        },
        write_http_response_body: (data: unknown) => {
          const d = str('write_http_response_body', 1, data);
          hookOnly('write_http_response_body', (r, m) => write(r, m, d), 2 * d.length);
        },
        set_http_content_type: (type: unknown) => {
          header('set_http_content_type', 'content-type', str('set_http_content_type', 1, type), false);
        },
        string: (code: unknown, body: unknown) => {
          const c = status('string', 1, code);
          const b = str('string', 2, body);
          hookOnly('string', (r, m) => { r.status = c; r.contentType = 'text/plain; charset=utf-8'; write(r, m, b); }, 2 * b.length);
        },
        data: (code: unknown, contentType: unknown, body: unknown) => {
          const c = status('data', 1, code);
          const t = str('data', 2, contentType);
          const b = str('data', 3, body);
          hookOnly('data', (r, m) => { r.status = c; r.contentType = t; write(r, m, b); }, 2 * b.length);
        },
        html: (code: unknown, body: unknown) => {
          const c = status('html', 1, code);
          const b = str('html', 2, body);
          hookOnly('html', (r, m) => { r.status = c; r.contentType = 'text/html; charset=utf-8'; write(r, m, b); }, 2 * b.length);
        },
        redirect: (code: unknown, location: unknown) => {
          const c = status('redirect', 1, code);
          const l = str('redirect', 2, location);
          hookOnly('redirect', (r) => { r.status = c; r.headers.location = [l]; });
        },
      },
    };
  },
};
