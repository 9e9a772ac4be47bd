// `nauthilus_http_response`: how a custom hook script shapes its HTTP response (status, headers, body).
import type { LuaModule, ModuleHost } from '../module';
import type { HookHttpResponse } from '../call-context';
import { checkArg } from '../values';

const NO_RESPONSE = 'nauthilus_http_response: no HTTP response (only available while a custom hook is served)';

/** Status constants Nauthilus exposes on the module table. */
const STATUS_CODES: Record<string, number> = {
  STATUS_OK: 200, STATUS_CREATED: 201, STATUS_NO_CONTENT: 204, STATUS_MOVED_PERMANENTLY: 301, STATUS_FOUND: 302,
  STATUS_SEE_OTHER: 303, STATUS_NOT_MODIFIED: 304, STATUS_BAD_REQUEST: 400, STATUS_UNAUTHORIZED: 401, STATUS_FORBIDDEN: 403,
  STATUS_NOT_FOUND: 404, STATUS_METHOD_NOT_ALLOWED: 405, STATUS_CONFLICT: 409, STATUS_UNSUPPORTED_MEDIA_TYPE: 415,
  STATUS_TOO_MANY_REQUESTS: 429, STATUS_INTERNAL_SERVER_ERROR: 500, STATUS_NOT_IMPLEMENTED: 501, STATUS_BAD_GATEWAY: 502,
  STATUS_SERVICE_UNAVAILABLE: 503, STATUS_GATEWAY_TIMEOUT: 504,
};

// Content-Type lives in HookHttpResponse.contentType (the hook route sets it last), never in `headers`.

/** gopher-lua's CheckString also takes numbers. */
function str(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number');
  return String(v);
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
  summary: 'Custom hooks: set the response status, headers, content type and body.',
  install(host: ModuleHost) {
    /** Run `fn` on the hook's response; outside a hook return the error text (the functions return nothing otherwise). */
    const withResponse = (fn: (r: HookHttpResponse, method: string) => void, charge?: [string, number]): string | undefined => {
      const call = host.call;
      if (!call?.httpRequest) return NO_RESPONSE;
      // what the response keeps counts against the request's budget (lua_memory_limit)
      if (charge) call.budget.charge(charge[0], charge[1]);
      call.httpResponse ??= { headers: {} };
      fn(call.httpResponse, call.httpRequest.method.toUpperCase());
      return undefined;
    };
    // like Go's ResponseWriter: writes append, and a HEAD response has no body
    const write = (r: HookHttpResponse, method: string, data: string) => {
      if (method !== 'HEAD') r.body = (r.body ?? '') + data;
    };
    return {
      functions: {
        ...STATUS_CODES,
        set_http_response_header: (name: unknown, value: unknown) => {
          const n = str('set_http_response_header', 1, name).toLowerCase();
          const v = str('set_http_response_header', 2, value);
          return withResponse((r) => { if (n === 'content-type') r.contentType = v; else r.headers[n] = [v]; }, ['set_http_response_header', 64 + 2 * (n.length + v.length)]);
        },
        add_http_response_header: (name: unknown, value: unknown) => {
          const n = str('add_http_response_header', 1, name).toLowerCase();
          const v = str('add_http_response_header', 2, value);
          return withResponse((r) => {
            if (n === 'content-type') return void (r.contentType = v);
            const list = (r.headers[n] ??= []);
            host.call!.budget.checkEntries('add_http_response_header', list.length);
            list.push(v);
          }, ['add_http_response_header', 64 + 2 * (n.length + v.length)]);
        },
        remove_http_response_header: (name: unknown) => {
          const n = str('remove_http_response_header', 1, name).toLowerCase();
          return withResponse((r) => { if (n === 'content-type') r.contentType = undefined; else delete r.headers[n]; });
        },
        set_http_status: (code: unknown) => {
          const c = status('set_http_status', 1, code);
          return withResponse((r) => { r.status = c; });
        },
        write_http_response_body: (data: unknown) => {
          const d = str('write_http_response_body', 1, data);
          return withResponse((r, m) => write(r, m, d), ['write_http_response_body', 2 * d.length]);
        },
        set_http_content_type: (type: unknown) => {
          const t = str('set_http_content_type', 1, type);
          return withResponse((r) => { r.contentType = t; });
        },
        string: (code: unknown, body: unknown) => {
          const c = status('string', 1, code);
          const b = str('string', 2, body);
          return withResponse((r, m) => { r.status = c; r.contentType = 'text/plain; charset=utf-8'; write(r, m, b); }, ['string', 2 * b.length]);
        },
        data: (code: unknown, contentType: unknown, body: unknown) => {
          const c = status('data', 1, code);
          const t = str('data', 2, contentType);
          const b = str('data', 3, body);
          return withResponse((r, m) => { r.status = c; r.contentType = t; write(r, m, b); }, ['data', 2 * b.length]);
        },
        html: (code: unknown, body: unknown) => {
          const c = status('html', 1, code);
          const b = str('html', 2, body);
          return withResponse((r, m) => { r.status = c; r.contentType = 'text/html; charset=utf-8'; write(r, m, b); }, ['html', 2 * b.length]);
        },
        redirect: (code: unknown, location: unknown) => {
          const c = status('redirect', 1, code);
          const l = str('redirect', 2, location);
          return withResponse((r) => { r.status = c; r.headers.location = [l]; });
        },
      },
    };
  },
};
