// Nauthilus 3.x's config layout as data: every key of the sections the engine reads (server/config/schema_v2.go and
// the structs it embeds, v3.0.1; v3.1 adds `plugins` and a few policy keys) and where it lands in the 1.x layout
// the engine validates, the way Nauthilus's own materializeLegacySections maps them.

import type { MapEntry } from './yaml-source';
import type { LayoutBuilder } from './nauthilus3-layout';

/** What becomes of one 3.x key. `to` paths are relative to the current 1.x map; a leading "/" starts at the root. */
export type Rule =
  | { kind: 'to'; to: string; layout?: Layout; each?: 'items' | 'values'; scalarOk?: boolean }
  | { kind: 'group'; layout: Layout }
  | { kind: 'ignore' }
  | { kind: 'notServed' }
  | { kind: 'unsupported'; why: string }
  | { kind: 'custom'; apply: CustomApply };

/** A rule written as code, for the keys that merge (auth.controls.enabled + auth.services.enabled -> server.features). */
export type CustomApply = (e: MapEntry, b: LayoutBuilder) => void;

/** The keys of one 3.x map. With `passRest` unlisted keys keep their name and the 1.x validator checks them. */
export interface Layout {
  keys: Record<string, Rule>;
  required?: string[];
  passRest?: boolean;
  /** Keys never offered as a did-you-mean. */
  hidden?: string[];
}

const IGNORE: Rule = { kind: 'ignore' };
const NOT_SERVED: Rule = { kind: 'notServed' };
const to = (path: string, opts: { scalarOk?: boolean } = {}): Rule => ({ kind: 'to', to: path, ...opts });
const mapTo = (path: string, layout: Layout, opts: { scalarOk?: boolean } = {}): Rule => ({ kind: 'to', to: path, layout, ...opts });
const itemsTo = (path: string, layout: Layout): Rule => ({ kind: 'to', to: path, layout, each: 'items' });
const valuesTo = (path: string, layout: Layout): Rule => ({ kind: 'to', to: path, layout, each: 'values' });
const group = (keys: Record<string, Rule>): Rule => ({ kind: 'group', layout: { keys } });
const unsupported = (why: string): Rule => ({ kind: 'unsupported', why });
const same = (...names: string[]): Record<string, Rule> => Object.fromEntries(names.map((n) => [n, to(n)]));
const ignored = (...names: string[]): Record<string, Rule> => Object.fromEntries(names.map((n) => [n, IGNORE]));

/** Nauthilus 3.x control names (definitions.Control*) and its one service name. */
export const CONTROL_NAMES = ['tls_encryption', 'rbl', 'relay_domains', 'lua', 'brute_force'] as const;
export const SERVICE_NAMES = ['backend_health_checks'] as const;

const NOT_YET = 'not applied by AuthStudio yet';

const MASTER: Layout = { keys: same('address', 'username', 'password') };

// server.go Redis: primary is 1.x's master; the cluster's credentials are the connection's
const REDIS: Layout = {
  keys: {
    ...same('database_number', 'prefix', 'pool_size', 'idle_pool_size', 'positive_cache_ttl', 'negative_cache_ttl', 'sentinels'),
    primary: mapTo('master', MASTER),
    cluster: mapTo('cluster', {
      keys: { addresses: to('addresses'), username: to('/server.redis.username'), password: to('/server.redis.password'), ...ignored('route_by_latency', 'route_randomly', 'read_only', 'route_reads_to_replicas', 'max_redirects', 'read_timeout', 'write_timeout') },
    }),
    password_nonce: to('/server.password_nonce'),
    // AuthStudio's own: the embedded Redis
    mock: to('mock'),
    encryption_secret: to('encryption_secret'),
    ...ignored('tls', 'replica', 'pool_timeout', 'dial_timeout', 'read_timeout', 'write_timeout', 'pool_fifo', 'conn_max_idle_time', 'max_retries', 'account_local_cache', 'batching', 'client_tracking', 'identity_enabled', 'maint_notifications_enabled', 'protocol'),
  },
};

const RUNTIME: Rule = group({
  ...ignored('instance_name', 'process'),
  // AuthStudio's own: Nauthilus 3 always opens gopher-lua's io and os; here host files stay closed unless this is on
  lua_allow_io: to('server.lua_allow_io'),
  servers: group({
    http: group({
      address: to('server.address'),
      trusted_proxies: to('server.trusted_proxies'),
      ...ignored('openapi_validation', 'http3', 'haproxy_v2', 'tls', 'disabled_endpoints', 'middlewares', 'compression', 'keep_alive', 'rate_limit', 'cors', 'security_txt'),
    }),
    grpc: IGNORE,
  }),
  timeouts: group({ lua_script: to('server.lua_script_timeout'), ...ignored('redis_read', 'redis_write', 'ldap_search', 'ldap_bind', 'ldap_modify', 'singleflight_work', 'lua_backend') }),
  clients: group({ http: IGNORE, grpc: IGNORE, dns: mapTo('server.dns', { keys: { ...same('resolver', 'timeout'), resolve_client_ip: IGNORE } }) }),
});

const OBSERVABILITY: Rule = group({
  log: mapTo('server.log', { keys: { ...same('level', 'json'), ...ignored('color', 'add_source', 'debug_modules') } }),
  profiles: group({ pprof: group({ enabled: to('server.insights.enable_pprof') }), block: group({ enabled: to('server.insights.enable_block_profile') }) }),
  metrics: group({ monitor_connections: to('server.insights.monitor_connections'), ...ignored('prometheus_timer', 'endpoint_auth') }),
  // server.go Tracing, as 1.12's server.insights.tracing (the 1.x validator checks its keys)
  tracing: mapTo('server.insights.tracing', { keys: {}, passRest: true }),
});

// lua.go LuaConf: the engine reads the scripts, package path, workers and IP scoping; the pool sizes are Nauthilus's own
const LUA_CONF_IGNORED = ['backend_number_of_workers', 'queue_length', 'action_number_of_workers', 'environment_vm_pool_size', 'subject_vm_pool_size', 'hook_vm_pool_size'];
const LUA_CONF: Layout = {
  keys: { ...same('number_of_workers', 'package_path', 'backend_script_path', 'init_script_path', 'init_script_paths', 'ip_scoping_v4_cidr', 'ip_scoping_v6_cidr', 'cache_flush_script_path'), ...ignored(...LUA_CONF_IGNORED) },
};
// (cache_flush_script_path is read from the default backend's config only: GetLuaCacheFlushScriptPath)
const NAMED_LUA: Layout = {
  keys: { number_of_workers: to('number_of_workers'), ...ignored(...LUA_CONF_IGNORED, 'cache_flush_script_path', 'package_path', 'backend_script_path', 'init_script_path', 'init_script_paths', 'ip_scoping_v4_cidr', 'ip_scoping_v6_cidr') },
};
// ldap.go LDAPConf has the 1.x keys plus encryption_secret
const LDAP_CONF: Layout = { keys: { encryption_secret: IGNORE }, passRest: true };

const BACKENDS = (order: CustomApply): Rule => group({
  order: { kind: 'custom', apply: order },
  ldap: mapTo('ldap', { keys: { default: mapTo('config', LDAP_CONF), pools: valuesTo('optional_ldap_pools', LDAP_CONF), search: to('search') }, required: ['default'] }),
  lua: group({
    backend: group({ default: mapTo('lua.config', LUA_CONF), named_backends: valuesTo('lua.optional_lua_backends', NAMED_LUA), search: to('lua.search') }),
  }),
  remote: unsupported('remote backends (Nauthilus authorities over gRPC) are not served by AuthStudio'),
});

const BUCKET: Layout = {
  keys: { ...same('name', 'period', 'cidr', 'ipv4', 'ipv6', 'failed_requests', 'filter_by_protocol'), ban_time: to('ban_time'), filter_by_oidc_cid: IGNORE },
};

const BRUTE_FORCE: Layout = {
  keys: {
    buckets: itemsTo('buckets', BUCKET),
    ip_allowlist: to('ip_whitelist'),
    allowlist: to('soft_whitelist'),
    ip_scoping: to('ip_scoping'),
    // Nauthilus 3.0 server.BruteForceProtocols: brute force applies to these protocols only (none without the list)
    protocols: to('protocols'),
    learning: IGNORE,
    ...same('custom_tolerations', 'tolerate_ttl', 'tolerate_percent', 'min_tolerate_percent', 'max_tolerate_percent', 'adaptive_toleration', 'scale_factor'),
    ...ignored('rwp_window', 'rwp_allowed_unique_hashes', 'pw_history_for_known_accounts'),
  },
  // Nauthilus 3.0 requires buckets (validate:"required"); a file without them is warned about (nauthilus3-layout.ts)
};

const RBL: Layout = {
  keys: {
    lists: itemsTo('lists', { keys: same('name', 'rbl', 'ipv4', 'ipv6', 'allow_failure', 'return_code', 'return_codes', 'weight') }),
    threshold: to('threshold'),
    ip_allowlist: to('ip_whitelist'),
  },
  required: ['lists'],
};

const HOOK: Layout = {
  keys: {
    ...same('http_location', 'http_method', 'script_path'),
    http_alias_location: unsupported(`${NOT_YET}: the hook answers at http_location only`),
    content_type: IGNORE,
    // Nauthilus 3.1: a hook without any authentication (AuthStudio's 3.x hooks are open anyway)
    public: IGNORE,
    scopes: unsupported('OIDC bearer scopes are not checked by AuthStudio: the hook is open'),
  },
};

const POLICY_WHY = 'not evaluated by AuthStudio\'s policy layer yet';

const AUTH = (features: Rule, services: Rule, backendOrder: CustomApply): Rule => group({
  request: IGNORE,
  backchannel: group({ basic_auth: to('server.basic_auth'), oidc_bearer: unsupported('OIDC bearer tokens are not checked by AuthStudio (use basic_auth)') }),
  pipeline: group({ max_concurrent_requests: to('server.max_concurrent_requests'), max_login_attempts: to('server.max_login_attempts'), wait_delay: to('server.nginx_wait_delay'), ...ignored('local_cache_ttl', 'password_history', 'master_user') }),
  upstreams: IGNORE,
  backends: BACKENDS(backendOrder),
  controls: group({
    enabled: features,
    tls_encryption: group({ allow_cleartext_networks: to('cleartext_networks') }),
    rbl: mapTo('realtime_blackhole_lists', RBL),
    relay_domains: mapTo('relay_domains', { keys: { static: to('static'), allowlist: to('soft_whitelist') }, required: ['static'] }),
    brute_force: mapTo('brute_force', BRUTE_FORCE),
    lua: group({
      hooks: itemsTo('lua.custom_hooks', HOOK),
      actions: unsupported('not a key of Nauthilus 3.x (it reads Lua actions from auth.policy.obligation_targets.lua.actions and ignores this one): ignored'),
    }),
  }),
  services: group({
    enabled: services,
    backend_health_checks: mapTo('backend_server_monitoring', {
      keys: { targets: itemsTo('backend_servers', { keys: { ...same('protocol', 'host', 'port', 'deep_check', 'request_uri', 'test_username', 'test_password', 'tls', 'tls_skip_verify', 'haproxy_v2'), ...ignored('auth_mechanism', 'connect_timeout', 'tls_timeout', 'deep_timeout'), tls_mode: unsupported(`${NOT_YET} (Nauthilus 3.1 tls_mode): use tls: true for implicit TLS`) } }), ...ignored('connect_timeout', 'tls_timeout', 'deep_timeout', 'connect_interval', 'deep_interval', 'failure_threshold', 'recovery_threshold') },
      required: ['targets'],
    }),
  }),
  policy: group({
    attribute_sources: group({
      lua: group({ environment: itemsTo('lua.features', { keys: same('name', 'script_path') }), subject: itemsTo('lua.filters', { keys: same('name', 'script_path') }) }),
    }),
    obligation_targets: group({ lua: group({ actions: itemsTo('lua.actions', { keys: same('type', 'name', 'script_path') }) }) }),
    // read by engine/policy/config.ts from the same nodes
    ...ignored('report', 'mode', 'default_policy', 'registry_scripts', 'request_headers', 'attribute_exports', 'checks', 'policies', 'scheduler_guards'),
    sets: group({ networks: IGNORE, strings: IGNORE, time_windows: IGNORE }),
    request_metadata: unsupported(`${POLICY_WHY}: gRPC request metadata (AuthStudio serves HTTP only)`),
    // Nauthilus 3.1: read by engine/policy/localization.ts
    localization: IGNORE,
  }),
});

/** The top level of a 3.x file; `features`/`services` fill server.features from auth.controls/services.enabled. */
export function nauthilus3Root(features: CustomApply, services: CustomApply, backendOrder: CustomApply): Layout {
  return {
    keys: {
      runtime: RUNTIME,
      observability: OBSERVABILITY,
      storage: group({ redis: mapTo('server.redis', REDIS, { scalarOk: true }) }),
      auth: AUTH({ kind: 'custom', apply: features }, { kind: 'custom', apply: services }, backendOrder),
      identity: NOT_SERVED,
      // Nauthilus 3.1: signed Go plugins
      plugins: NOT_SERVED,
      // AuthStudio's own key, read before the layout is rewritten
      nauthilus: IGNORE,
    },
  };
}

/** Top-level sections that make a file a 3.x one. */
export const V3_SECTIONS = ['runtime', 'observability', 'storage', 'auth', 'identity', 'plugins'] as const;
/** Nauthilus 1.x top-level sections the engine reads: not allowed beside 3.x ones (Nauthilus 3 rejects them too). */
export const V1_SECTIONS = ['server', 'lua', 'brute_force', 'realtime_blackhole_lists', 'relay_domains', 'cleartext_networks', 'backend_server_monitoring', 'ldap'] as const;
