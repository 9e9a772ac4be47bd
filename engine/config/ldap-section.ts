// The `ldap:` section (Nauthilus 1.10 config/ldap.go): the default pool (`config`) and `optional_ldap_pools`,
// used by nauthilus_ldap's ldap_search/ldap_modify. `search` (the LDAP password backend) is accepted, not used.

import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { LdapPoolConfig } from './types';
import { andThen, bool, def, describedAs, duration, int, list, mapOf, opt, req, str, struct, type Spec } from './schema';
import { parseLdapUri } from '../ldap/client';

/** Nauthilus' internal name of the default pool (Lua scripts say pool_name = "default"). */
export const DEFAULT_LDAP_POOL = '__meta_default__';

const serverUri: Spec<string> = andThen(str({ minLength: 1 }), (s, v) => {
  const u = parseLdapUri(s);
  return typeof u === 'string' ? v.typeError('an ldap:// or ldaps:// URI such as "ldap://127.0.0.1:389/"') : s;
});

// validate:"file": the file must exist (resolved against the config's directory)
const fileSpec: Spec<string> = andThen(str({ minLength: 1 }), (s, v) => {
  const abs = path.resolve(v.ctx.baseDir, s);
  if (v.ctx.checkFiles && !(existsSync(abs) && statSync(abs).isFile())) {
    return v.fail('AS_ERR_CONFIG_FILE', `file ${JSON.stringify(s)} does not exist at ${v.where()} (resolved to ${abs})`);
  }
  return abs;
});

const tenMinutes = describedAs((v: Parameters<Spec<number>>[0]) => {
  const ms = duration()(v);
  if (ms === undefined) return undefined;
  return ms > 600_000 ? v.typeError('a duration of at most 10m') : ms;
}, { type: ['string', 'number'], description: 'a duration like "30s" (at most 10m)' });

// keys Nauthilus has for its own worker pools, breakers and caches: accepted so a Nauthilus config loads
const ignoredInt = opt(int({ min: 0 }));
const ignoredDuration = opt(tenMinutes);

const poolConf = struct({
  server_uri: req(list(serverUri, { scalarOk: true, minItems: 1 })),
  bind_dn: def(str(), ''),
  bind_pw: def(str(), ''),
  starttls: def(bool(), false),
  tls_skip_verify: def(bool(), false),
  sasl_external: def(bool(), false),
  tls_ca_cert: opt(fileSpec),
  tls_client_cert: opt(fileSpec),
  tls_client_key: opt(fileSpec),
  lookup_pool_size: req(int({ min: 1 })),
  connect_abort_timeout: opt(tenMinutes),
  search_timeout: opt(tenMinutes),
  bind_timeout: opt(tenMinutes),
  modify_timeout: opt(tenMinutes),
  search_size_limit: def(int({ min: 0, max: 100_000 }), 0),
  search_time_limit: opt(tenMinutes),
  pool_only: def(bool(), false),
  lookup_pool_only: def(bool(), false),
  number_of_workers: ignoredInt,
  lookup_idle_pool_size: ignoredInt,
  auth_pool_size: ignoredInt,
  auth_idle_pool_size: ignoredInt,
  lookup_queue_length: ignoredInt,
  auth_queue_length: ignoredInt,
  retry_max: ignoredInt,
  retry_base: ignoredDuration,
  retry_max_backoff: ignoredDuration,
  cb_failure_threshold: ignoredInt,
  cb_cooldown: ignoredDuration,
  cb_half_open_max: ignoredInt,
  health_check_interval: ignoredDuration,
  health_check_timeout: ignoredDuration,
  dn_cache_ttl: ignoredDuration,
  membership_cache_ttl: ignoredDuration,
  negative_cache_ttl: ignoredDuration,
  cache_max_entries: ignoredInt,
  cache_impl: opt(str()),
  include_raw_result: def(bool(), false),
  auth_rate_limit_per_second: opt(int({ min: 0 })),
  auth_rate_limit_burst: ignoredInt,
}, (c, v) => {
  if (c.sasl_external) v.ctx.report('AS_ERR_CONFIG_TYPE', `sasl_external is not supported by AuthStudio at ${v.where()}: use bind_dn and bind_pw`, v.path, v.offset);
  if ((c.tls_client_cert === undefined) !== (c.tls_client_key === undefined)) {
    v.ctx.report('AS_ERR_CONFIG_TYPE', `tls_client_cert and tls_client_key go together at ${v.where()}`, v.path, v.offset);
  }
});

// no limit in Nauthilus when a timeout is 0; here every request ends
const DEFAULT_CONNECT_MS = 10_000;
const DEFAULT_OP_MS = 30_000;

function toPool(name: string, c: NonNullable<ReturnType<typeof poolConf>>): LdapPoolConfig {
  return {
    name,
    serverUris: c.server_uri,
    bindDn: c.bind_dn,
    bindPw: c.bind_pw,
    startTls: c.starttls,
    tlsSkipVerify: c.tls_skip_verify,
    tlsCaCert: c.tls_ca_cert,
    tlsClientCert: c.tls_client_cert,
    tlsClientKey: c.tls_client_key,
    lookupPoolSize: c.lookup_pool_size,
    connectTimeoutMs: c.connect_abort_timeout || DEFAULT_CONNECT_MS,
    bindTimeoutMs: c.bind_timeout || DEFAULT_OP_MS,
    searchTimeoutMs: c.search_timeout || DEFAULT_OP_MS,
    modifyTimeoutMs: c.modify_timeout || DEFAULT_OP_MS,
    searchSizeLimit: c.search_size_limit,
    searchTimeLimitSec: Math.floor((c.search_time_limit ?? 0) / 1000),
    includeRawResult: c.include_raw_result,
  };
}

/** `ldap:` -> its pools by name; the default pool is DEFAULT_LDAP_POOL. */
export const ldapSection: Spec<Record<string, LdapPoolConfig>> = andThen(
  struct({
    config: req(poolConf),
    optional_ldap_pools: opt(mapOf(poolConf, (key, v) => {
      if (key !== 'default' && key !== DEFAULT_LDAP_POOL) return true;
      v.ctx.report('AS_ERR_CONFIG_TYPE', `"${key}" is the name of the default pool (ldap.config) at ${v.where()}: choose another name`, v.path, v.offset);
      return false;
    })),
    search: opt((v) => (v.isNull || v.isSeq ? true : v.typeError('a list'))),
  }),
  (s) => {
    const pools: Record<string, LdapPoolConfig> = { [DEFAULT_LDAP_POOL]: toPool(DEFAULT_LDAP_POOL, s.config) };
    for (const [name, c] of Object.entries(s.optional_ldap_pools ?? {})) pools[name] = toPool(name, c);
    return pools;
  },
);
