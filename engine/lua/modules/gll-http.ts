// `http` (nauthilus_gll_http): gopher-lua-libs 0.7's http client for scripts — http.client{...},
// http.request(method, url[, body]), client:do_request(req) -> {code, body, headers}, and the URL helpers.
// The server side (http.server, serve_static) and file_request load but answer (nil, err): an auth engine
// does not serve HTTP from a script or upload host files.
import { traceBody } from './redis-trace';
import fs from 'node:fs';
import path from 'node:path';
import type { LuaModule, ModuleHost } from '../module';
import { checkArg, fail, pair, ret } from '../values';
import { standInFor } from '../http-stand-ins';
import { buildUrl, encodeQuery, parseUrl, queryEscape, unescape } from './go-url';
import { send } from './gll-http-send';
import { traceUrl } from './http';
import { GLL_HTTP_LUA } from './gll-http-lua';
import { luaNumberText } from '../go-number';

interface RawOptions {
  timeout?: number;
  insecure_ssl?: boolean;
  root_cas_pem_file?: string;
  client_public_cert_pem_file?: string;
  client_private_key_pem_file?: string;
  proxy?: string;
  debug?: boolean;
}

/** The URL for logs and the trace: secrets in the query masked, a Telegram bot token in the path too. */
function shownUrl(url: string): string {
  return traceUrl(url).replace(/\/bot\d+:[^/]+\//, '/bot***/');
}

function readPem(host: ModuleHost, file: string | undefined): Buffer | undefined {
  if (file === undefined || file === null) return undefined;
  return fs.readFileSync(path.resolve(host.services.baseDir, String(file)));
}

async function doRaw(host: ModuleHost, method: string, url: string, body: string, headers: Record<string, unknown>, opts: RawOptions, jar: Record<string, unknown>) {
  const hdrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) hdrs[k] = typeof v === 'number' ? luaNumberText(v) : String(v);
  const hostOf = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
  const jarLine = jar && typeof jar[hostOf] === 'string' ? (jar[hostOf] as string) : '';
  if (jarLine) hdrs.Cookie = hdrs.Cookie ? `${hdrs.Cookie}; ${jarLine}` : jarLine;
  if (opts.proxy) throw new Error(`${method.slice(0, 1)}${method.slice(1).toLowerCase()} ${JSON.stringify(url)}: proxyconnect: the proxy option is not supported by AuthStudio`);
  if (opts.debug) host.services.logger.debug({ pool: host.poolName, method, url: shownUrl(url), headers: Object.keys(hdrs) }, 'http: send request');
  const started = performance.now();
  let standIn: string | undefined;
  const route = (u: URL) => {
    const to = standInFor(u, host.services.getenv);
    if (to) standIn = to.origin;
    return to;
  };
  const record = (detail: Record<string, unknown>) =>
    host.call?.record('http', { method, url: shownUrl(url), ...(standIn ? { stand_in: standIn } : {}), ...detail, duration_ms: Math.round(performance.now() - started) });
  try {
    const r = await send({
      method, url, body: body ?? '', headers: hdrs,
      timeoutMs: Math.max(0, Math.trunc(Number(opts.timeout ?? 10))) * 1000,
      insecure: opts.insecure_ssl === true,
      ca: readPem(host, opts.root_cas_pem_file),
      cert: readPem(host, opts.client_public_cert_pem_file),
      key: readPem(host, opts.client_private_key_pem_file),
      signal: host.call?.abortSignal?.signal,
      route,
    });
    record({ status: r.code, ...(host.call?.recordEvents ? { body: traceBody(String(r.body ?? '')) } : {}) });
    return pair({ code: r.code, body: r.body, headers: r.headers, cookies: r.cookies }, undefined);
  } catch (e) {
    const msg = (e as Error).message;
    record({ error: msg });
    return fail(msg);
  }
}

const notHere = (what: string) => () => fail(`${what} is not available in AuthStudio (scripts do not serve HTTP or upload host files)`);

export const gllHttpModule: LuaModule = {
  name: 'http',
  legacyLoaderName: 'nauthilus_gll_http',
  summary: "HTTP client (gopher-lua-libs' http): client{...}, request(method, url[, body]), client:do_request(req), URL helpers.",
  install(host) {
    return {
      functions: {
        do_raw: (method: string, url: string, body: string, headers: Record<string, unknown>, opts: RawOptions, jar: Record<string, unknown>) =>
          doRaw(host, String(method), String(url), body === undefined || body === null ? '' : String(body), headers, opts ?? {}, jar),
        check_file: (field: string, file: string) => {
          try {
            fs.accessSync(path.resolve(host.services.baseDir, file), fs.constants.R_OK);
          } catch (e) {
            throw new Error(`error loading ${field} from ${file}: open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
          }
        },
        basic_auth: (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64'),
        validate_url: (url: string) => {
          try {
            parseUrl(String(url));
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
        query_escape: (s: unknown) => {
          checkArg('query_escape', 1, s, 'string', 'number');
          return queryEscape(String(s));
        },
        query_unescape: (s: unknown) => {
          checkArg('query_unescape', 1, s, 'string', 'number');
          try {
            return ret(unescape(String(s)));
          } catch (e) {
            return fail((e as Error).message);
          }
        },
        parse_url: (s: unknown) => {
          checkArg('parse_url', 1, s, 'string', 'number');
          try {
            return ret(parseUrl(String(s)));
          } catch (e) {
            return fail((e as Error).message);
          }
        },
        build_url_raw: (scheme: unknown, hostName: unknown, p: unknown, user: unknown, query: unknown) => {
          const values: Record<string, string[]> = {};
          let rawQuery = '';
          if (query && typeof query === 'object') {
            for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
              values[k] = (Array.isArray(v) ? v : Object.values(v as object)).map((x) => (typeof x === 'number' ? luaNumberText(x) : String(x)));
            }
            rawQuery = encodeQuery(values);
          }
          const u = user as { username: string; password: string } | undefined;
          return buildUrl({ scheme: scheme as string, host: hostName as string, path: p as string, user: u ?? undefined, rawQuery });
        },
        server: notHere('http.server'),
        serve_static: notHere('http.serve_static'),
        file_request: notHere('http.file_request'),
      },
      async: ['do_raw'],
      lua: GLL_HTTP_LUA,
    };
  },
};


/** A table of some of `http`'s functions, as gopher-lua-libs' sub-modules give them. */
const subset = (names: string[]) => `local http = require("http")\nreturn { ${names.map((n) => `${n} = http.${n}`).join(', ')} }`;

/** `http_client` (gopher-lua-libs v0.7.0, preloaded with nauthilus_gll_http): the client part of `http`. */
export const gllHttpClientModule: LuaModule = {
  name: 'http_client',
  summary: "The client functions of `http` on their own: client, request, file_request (gopher-lua-libs v0.7.0).",
  install: () => ({ functions: {}, lua: subset(['client', 'request', 'file_request']) }),
};

/** `http_util` (gopher-lua-libs v0.7.0, preloaded with nauthilus_gll_http): the URL helpers of `http`. */
export const gllHttpUtilModule: LuaModule = {
  name: 'http_util',
  summary: "The URL helpers of `http` on their own: query_escape, query_unescape, parse_url, build_url (gopher-lua-libs v0.7.0).",
  install: () => ({ functions: {}, lua: subset(['query_escape', 'query_unescape', 'parse_url', 'build_url']) }),
};
