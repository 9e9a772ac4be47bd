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
    else if (Array.isArray(v)) parts.push('l' + key + '=' + v.map((x: string) => '\x03' + (/[\0\x01\x02\x03]/.test(x) ? escapeValue(x) : x)).join(''));
    else parts.push('b' + key + '=' + (v ? '1' : '0'));
  }
  return parts.join('\x01');
}

function escapeValue(v: string): string {
  return v.replace(/\0/g, '\uFFFD').replace(/\x02/g, '\x02b').replace(/\x01/g, '\x02a').replace(/\x03/g, '\x02c');
}
