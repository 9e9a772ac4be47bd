// Build the `request` table scripts receive, encoded as one string (one JS->Lua crossing per stage).

/** Values of the Lua request table: 1.x field names; undefined fields are left out (nil). */
export type LuaRequestFields = Record<string, string | number | boolean | readonly string[] | undefined>;

/**
 * The fields Nauthilus 1.10 sets in every stage's request table that the client does not send (lualib/request.go
 * SetupRequest): present from the start with the value they have while unknown. `environment` is the 3.x name
 * of `feature`. Fields SetupRequest does not set (`totp_secret`, ...) are not in the table.
 */
export const DERIVED_FIELD_DEFAULTS: Readonly<LuaRequestFields> = Object.freeze({
  debug: false,
  repeating: false,
  user_found: false,
  authenticated: false,
  no_auth: false,
  brute_force_counter: 0,
  service: '',
  session: '',
  client_net: '',
  account: '',
  account_field: '',
  unique_user_id: '',
  display_name: '',
  brute_force_bucket: '',
  feature: '',
  environment: '',
  status_message: '',
  log_format: '',
  log_level: '',
});

/**
 * `request.redis_prefix` (Nauthilus 1.12, lualib/request.go): the configured server.redis.prefix, "nt:" when none
 * is set (config Redis.GetPrefix); scripts build their keys with it (nauthilus_util.get_redis_key).
 */
export function scriptRedisPrefix(config: { server: { redis: { prefix: string } } }): string {
  return config.server.redis.prefix || 'nt:';
}

/**
 * Fields Nauthilus 3.0 adds to every stage's request table (lualib/request.go SetupRequest), with their values for
 * an auth request: the identity provider's (OIDC, SAML, MFA, WebAuthn) are empty, as they are for Nauthilus's own
 * auth API. `method` is the client's; `auth_login_attempt` (3.1) a number; `redis_prefix` the Redis key prefix.
 * environment_rejected / subject_stage_expected / environment_stage_expected follow an environment source's reject.
 */
export const V3_FIELD_DEFAULTS: Readonly<LuaRequestFields> = Object.freeze({
  external_session: '', method: '', rwp: false, health_check: false, http_status: 0, latency: 0, redis_prefix: '',
  environment_rejected: false, environment_stage_expected: true, subject_stage_expected: true,
  grant_type: '', oidc_client_name: '', redirect_uri: '', saml_entity_id: '', mfa_method: '', mfa_completed: false,
  webauthn_credential: '', webauthn_old_credential: '',
  // setStringSliceField: always a table, empty outside the identity provider (subject/idp_policy.lua iterates them)
  requested_scopes: [], user_groups: [], allowed_client_scopes: [], allowed_client_grant_types: [],
});

/** Client fields AuthStudio reads but Nauthilus does not put in the request table. */
export const CLIENT_FIELDS_NOT_IN_LUA: readonly string[] = ['method', 'auth_login_attempt'];

/**
 * Encode fields as "<t><key>=<value>" joined by \x01 (t: s string, n number, b boolean, l list of strings, each led
 * by \x03) — decoded by the prelude's decode_request. wasmoon strings end at \0 (replaced); \x01, \x02 and \x03
 * in values are escaped.
 */
export function encodeLuaRequest(fields: LuaRequestFields): string {
  const parts: string[] = [];
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    if (typeof v === 'string') parts.push('s' + key + '=' + (/[\0\x01\x02]/.test(v) ? escapeValue(v) : v));
    else if (typeof v === 'number') parts.push('n' + key + '=' + String(v));
    else if (Array.isArray(v)) parts.push('l' + key + '=' + encodeList(v));
    else parts.push('b' + key + '=' + (v ? '1' : '0'));
  }
  return parts.join('\x01');
}

/** A list of strings as the prelude's decode_list reads it: each item led by \3, separators escaped. */
function encodeList(v: readonly string[]): string {
  return v.map((x) => '\x03' + (/[\0\x01\x02\x03]/.test(x) ? escapeValue(x) : x)).join('');
}

function escapeValue(v: string): string {
  return v.replace(/\0/g, '\uFFFD').replace(/\x02/g, '\x02b').replace(/\x01/g, '\x02a').replace(/\x03/g, '\x02c');
}

/**
 * A request table as a constructor call: the field names and kinds (its shape) are compiled once per VM into a Lua
 * function `function(a1, ..., aN) return {k1 = a1, ...} end` (a table built at its final size, no string to
 * parse), and each stage pushes only the values. Decoding the encoded string was about 10 µs of a 33-field
 * request in wasm; the constructor about 2. Values every request of a kind shares (an empty string, true, false,
 * an empty list: most of a request's 47 fields) are written into the constructor instead of pushed: a login's
 * stage pushes about a dozen values, not 47.
 */
export interface LuaRequestShape {
  /** Process-wide id of this list of names and kinds. */
  id: number;
  /** Lua source of the constructor chunk: returns the function. */
  source: string;
  /** How many values a request of this shape pushes (the constructor's parameters). */
  size: number;
}

export interface ShapedLuaRequest {
  shape: LuaRequestShape;
  /** Strings (NUL replaced, as the encoded form did), numbers; lists as their encoded text. Constants are not here. */
  values: Array<string | number | boolean>;
}

const shapes = new Map<string, LuaRequestShape>();
const LUA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Shapes with constants made at most: which fields a client leaves empty is its choice, so without a bound a client
 * could make a new constructor for every request (compiled in every VM). Past it, constants are off for good and
 * requests get plain shapes (every value pushed: one shape per list of names and kinds, as few as the engine's
 * field lists).
 */
const CONSTANT_SHAPES_MAX = 64;
let constantShapes = 0;
let constantsOff = false;
/** The shapes requests had lately, most recent first: the stages of one request alternate between a few. */
const recent: Array<{ shape: LuaRequestShape; keys: string[]; kinds: Uint8Array }> = [];
const RECENT_MAX = 8;
/** The names and kind codes of the request being shaped (reused: no allocation when its shape is a recent one). */
const scratchKeys: string[] = [];
let scratchKinds = new Uint8Array(64);

// A value's kind in a shape (a character code): s string, n number, l list (pushed as values); e empty string,
// t true, f false, E empty list (constants of the constructor); b boolean when constants are off.
const S = 115, N = 110, L = 108, B = 98, EMPTY = 101, TRUE = 116, FALSE = 102, EMPTY_LIST = 69;

function kindOf(v: string | number | boolean | readonly string[], constants: boolean): number {
  if (typeof v === 'string') return constants && v === '' ? EMPTY : S;
  if (typeof v === 'number') return N;
  if (typeof v === 'boolean') return constants ? (v ? TRUE : FALSE) : B;
  return constants && v.length === 0 ? EMPTY_LIST : L;
}

const CONSTANT_SOURCE: Record<string, string> = { e: '""', t: 'true', f: 'false', E: '{}' };

/** The request as a shaped constructor call; fields whose names are not plain Lua names fall back to encoding. */
export function shapeLuaRequest(fields: LuaRequestFields): ShapedLuaRequest | string {
  const constants = !constantsOff;
  const values: Array<string | number | boolean> = [];
  let n = 0;
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    const kind = kindOf(v, constants);
    if (n === scratchKinds.length) {
      const grown = new Uint8Array(n * 2);
      grown.set(scratchKinds);
      scratchKinds = grown;
    }
    scratchKeys[n] = key;
    scratchKinds[n] = kind;
    n++;
    if (kind === S) values.push((v as string).includes('\0') ? (v as string).replace(/\0/g, '\uFFFD') : (v as string));
    else if (kind === L) values.push(encodeList(v as readonly string[]));
    else if (kind === N || kind === B) values.push(v as number | boolean);
  }
  for (let i = 0; i < recent.length; i++) {
    const r = recent[i];
    if (r.keys.length !== n) continue;
    let j = 0;
    while (j < n && r.keys[j] === scratchKeys[j] && r.kinds[j] === scratchKinds[j]) j++;
    if (j < n) continue;
    if (i > 0) {
      recent.splice(i, 1);
      recent.unshift(r);
    }
    return { shape: r.shape, values };
  }
  const keys = scratchKeys.slice(0, n);
  const kinds = String.fromCharCode(...scratchKinds.subarray(0, n));
  const signature = keys.map((k, i) => kinds[i] + k).join('\x01');
  let shape = shapes.get(signature);
  if (!shape) {
    // a Lua function takes at most 200 parameters (LUAI_MAXVARS)
    if (keys.length > 180 || !keys.every((k) => LUA_NAME.test(k))) return encodeLuaRequest(fields);
    const withConstants = /[etfE]/.test(kinds);
    if (withConstants && constantShapes >= CONSTANT_SHAPES_MAX) {
      constantsOff = true;
      return shapeLuaRequest(fields);
    }
    const params: string[] = [];
    // lists arrive encoded ("\3item...") and are decoded by the prelude's decoder, a fresh table each time (an
    // empty list constant is a fresh table too: the constructor runs per request)
    // ["name"] = ...: a field may be called like a Lua keyword (end, function)
    const body = keys.map((k, i) => {
      const kind = kinds[i];
      if (kind in CONSTANT_SOURCE) return `["${k}"] = ${CONSTANT_SOURCE[kind]}`;
      params.push(`a${params.length + 1}`);
      return kind === 'l' ? `["${k}"] = decode_list(${params[params.length - 1]})` : `["${k}"] = ${params[params.length - 1]}`;
    });
    shape = {
      id: shapes.size + 1, size: params.length,
      source: `local decode_list = ...\nreturn function(${params.join(', ')})\n  return { ${body.join(', ')} }\nend\n`,
    };
    shapes.set(signature, shape);
    if (withConstants) constantShapes++;
  }
  recent.unshift({ shape, keys, kinds: scratchKinds.slice(0, n) });
  if (recent.length > RECENT_MAX) recent.pop();
  return { shape, values };
}
