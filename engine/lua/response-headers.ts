// Which response headers scripts may add to an auth endpoint's answer, and how much they may add.
//
// Features, filters and actions (before the answer) set headers with nauthilus_http_response; they go out on
// /api/v1/auth/{json,header,basic,nginx} next to the engine's own. A script must not speak for the engine:
// the auth_http protocol (every Auth-* header: verdict, user, nginx's upstream), the engine's own headers and
// the HTTP framing are refused (dropped with a warning, the login goes on).

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Header names (lower-case) a script cannot set on an auth answer. */
const REFUSED = new Set([
  'x-nauthilus-session', 'content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'connection',
  'keep-alive', 'upgrade', 'trailer', 'proxy-connection', 'www-authenticate', 'retry-after',
]);

/**
 * Script headers of one answer, names and values together, at most this many bytes: clients refuse long header
 * blocks (node's parser stops at 16 KiB for the whole block; proxies read answers into small buffers).
 */
export const MAX_SCRIPT_HEADER_BYTES = 8 * 1024;

/** Why a script cannot set `name` (lower-case) on an auth answer, or undefined when it may. */
export function refusedOnAuthAnswer(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) return 'not a valid header name';
  if (name.startsWith('auth-')) return 'Auth-* headers are the auth_http protocol: the engine sets them';
  if (name.startsWith('x-authstudio-') || REFUSED.has(name)) return 'the engine sets this header';
  return undefined;
}

/** The bytes a header set takes on the wire (name, ": ", value, CRLF per value). */
export function headerSetBytes(headers: Record<string, string[]>): number {
  let n = 0;
  for (const [k, vs] of Object.entries(headers)) for (const v of vs) n += k.length + Buffer.byteLength(v) + 4;
  return n;
}
