// Where each Nauthilus 1.x key lives in the 3.x layout, as data: the moves Nauthilus 3.0.1's own converter
// (scripts/convert-config-v1-to-v2.py) makes, plus the few AuthStudio adds for keys both layouts have but that
// converter leaves out. Read in both directions: 1.x -> 3.x (convert) and 3.x -> 1.x (export --format 1.x).

/** A key path: map keys as strings. */
export type KeyPath = readonly string[];

/** One move: the 1.x path and its 3.x place. `exact` moves win over prefix moves, as in Nauthilus's converter. */
export interface Move { from: KeyPath; to: KeyPath; exact: boolean; ours?: string }

const p = (s: string): string[] => s.split('.');
const exact = (from: string, to: string): Move => ({ from: p(from), to: p(to), exact: true });
const prefix = (from: string, to: string): Move => ({ from: p(from), to: p(to), exact: false });

/** Moves of single keys (and everything under them). */
const EXACT: Move[] = [
  exact('server.instance_name', 'runtime.instance_name'),
  exact('server.address', 'runtime.servers.http.address'),
  exact('server.http3', 'runtime.servers.http.http3'),
  exact('server.haproxy_v2', 'runtime.servers.http.haproxy_v2'),
  exact('server.trusted_proxies', 'runtime.servers.http.trusted_proxies'),
  exact('server.run_as_user', 'runtime.process.run_as_user'),
  exact('server.run_as_group', 'runtime.process.run_as_group'),
  exact('server.chroot', 'runtime.process.chroot'),
  exact('server.rate_limit_burst', 'runtime.servers.http.rate_limit.burst'),
  exact('server.rate_limit_per_second', 'runtime.servers.http.rate_limit.per_second'),
  exact('server.insights.enable_pprof', 'observability.profiles.pprof.enabled'),
  exact('server.insights.enable_block_profile', 'observability.profiles.block.enabled'),
  exact('server.insights.monitor_connections', 'observability.metrics.monitor_connections'),
  exact('server.default_http_request_header', 'auth.request.headers'),
  exact('server.basic_auth', 'auth.backchannel.basic_auth'),
  exact('server.oidc_auth', 'auth.backchannel.oidc_bearer'),
  exact('server.max_concurrent_requests', 'auth.pipeline.max_concurrent_requests'),
  exact('server.max_login_attempts', 'auth.pipeline.max_login_attempts'),
  exact('server.nginx_wait_delay', 'auth.pipeline.wait_delay'),
  exact('server.local_cache_auth_ttl', 'auth.pipeline.local_cache_ttl'),
  exact('server.max_password_history_entries', 'auth.pipeline.password_history.max_entries'),
  exact('server.master_user', 'auth.pipeline.master_user'),
  exact('server.backends', 'auth.backends.order'),
  exact('server.brute_force_protocols', 'auth.controls.brute_force.protocols'),
  exact('server.controls', 'auth.controls.enabled'),
  exact('server.services', 'auth.services.enabled'),
  exact('server.imap_backend_address', 'auth.upstreams.imap.address'),
  exact('server.imap_backend_port', 'auth.upstreams.imap.port'),
  exact('server.pop3_backend_address', 'auth.upstreams.pop3.address'),
  exact('server.pop3_backend_port', 'auth.upstreams.pop3.port'),
  exact('server.smtp_backend_address', 'auth.upstreams.smtp.address'),
  exact('server.smtp_backend_port', 'auth.upstreams.smtp.port'),
  exact('server.frontend.html_static_content_path', 'identity.frontend.assets.html_static_content_path'),
  exact('server.frontend.language_resources', 'identity.frontend.assets.language_resources'),
  exact('server.frontend.languages', 'identity.frontend.localization.languages'),
  exact('server.frontend.default_language', 'identity.frontend.localization.default_language'),
  exact('server.frontend.password_forgotten_url', 'identity.frontend.links.password_forgotten_url'),
  exact('server.frontend.privacy_policy_url', 'identity.frontend.links.privacy_policy_url'),
  exact('server.frontend.terms_of_service_url', 'identity.frontend.links.terms_of_service_url'),
  exact('server.frontend.totp_issuer', 'identity.mfa.totp.issuer'),
  exact('server.frontend.totp_skew', 'identity.mfa.totp.skew'),
  exact('server.redis.master', 'storage.redis.primary'),
  exact('idp.remember_me_ttl', 'identity.session.remember_me_ttl'),
  exact('idp.terms_of_service_url', 'identity.frontend.links.terms_of_service_url'),
  exact('idp.privacy_policy_url', 'identity.frontend.links.privacy_policy_url'),
  exact('idp.password_forgotten_url', 'identity.frontend.links.password_forgotten_url'),
  exact('idp.oidc.front_channel_logout_supported', 'identity.oidc.logout.front_channel_supported'),
  exact('idp.oidc.front_channel_logout_session_supported', 'identity.oidc.logout.front_channel_session_supported'),
  exact('idp.oidc.back_channel_logout_supported', 'identity.oidc.logout.back_channel_supported'),
  exact('idp.oidc.back_channel_logout_session_supported', 'identity.oidc.logout.back_channel_session_supported'),
  exact('idp.slo_enabled', 'identity.saml.slo.enabled'),
  exact('idp.slo_front_channel_enabled', 'identity.saml.slo.front_channel_enabled'),
  exact('idp.slo_back_channel_enabled', 'identity.saml.slo.back_channel_enabled'),
  exact('idp.slo_back_channel_timeout', 'identity.saml.slo.request_timeout'),
  exact('idp.slo_back_channel_max_retries', 'identity.saml.slo.back_channel_max_retries'),
  exact('backend_server_monitoring.backend_servers', 'auth.services.backend_health_checks.targets'),
  // AuthStudio's additions: Nauthilus 3.x has these keys (runtime.timeouts.lua_script, storage.redis.password_nonce),
  // its converter (v3.0.1) has no rule for them and drops them
  { ...exact('server.lua_script_timeout', 'runtime.timeouts.lua_script'), ours: 'Nauthilus 3.0.1\'s converter drops it' },
  { ...exact('server.password_nonce', 'storage.redis.password_nonce'), ours: 'Nauthilus 3.0.1\'s converter drops it' },
];

/** Moves of whole sections. */
const PREFIX: Move[] = [
  prefix('server.tls', 'runtime.servers.http.tls'),
  prefix('server.disabled_endpoints', 'runtime.servers.http.disabled_endpoints'),
  prefix('server.middlewares', 'runtime.servers.http.middlewares'),
  prefix('server.compression', 'runtime.servers.http.compression'),
  prefix('server.keep_alive', 'runtime.servers.http.keep_alive'),
  prefix('server.timeouts', 'runtime.timeouts'),
  prefix('server.cors', 'runtime.servers.http.cors'),
  prefix('server.security_txt', 'runtime.servers.http.security_txt'),
  prefix('server.http_client', 'runtime.clients.http'),
  prefix('server.dns', 'runtime.clients.dns'),
  prefix('server.log', 'observability.log'),
  prefix('server.insights.tracing', 'observability.tracing'),
  prefix('server.prometheus_timer', 'observability.metrics.prometheus_timer'),
  prefix('server.redis', 'storage.redis'),
  prefix('server.frontend.security_headers', 'identity.frontend.security_headers'),
  prefix('server.frontend', 'identity.frontend'),
  prefix('ldap.config', 'auth.backends.ldap.default'),
  prefix('ldap.pools', 'auth.backends.ldap.pools'),
  prefix('ldap.optional_ldap_pools', 'auth.backends.ldap.pools'),
  prefix('ldap.search', 'auth.backends.ldap.search'),
  prefix('lua.config', 'auth.backends.lua.backend.default'),
  prefix('lua.optional_lua_backends', 'auth.backends.lua.backend.named_backends'),
  prefix('lua.optional_backends', 'auth.backends.lua.backend.named_backends'),
  prefix('lua.search', 'auth.backends.lua.backend.search'),
  prefix('lua.actions', 'auth.policy.obligation_targets.lua.actions'),
  prefix('lua.controls', 'auth.policy.attribute_sources.lua.environment'),
  prefix('lua.features', 'auth.policy.attribute_sources.lua.environment'),
  prefix('lua.filters', 'auth.policy.attribute_sources.lua.subject'),
  prefix('lua.custom_hooks', 'auth.controls.lua.hooks'),
  prefix('idp.webauthn', 'identity.mfa.webauthn'),
  prefix('idp.oidc', 'identity.oidc'),
  prefix('idp.saml2', 'identity.saml'),
  prefix('realtime_blackhole_lists', 'auth.controls.rbl'),
  prefix('relay_domains', 'auth.controls.relay_domains'),
  prefix('brute_force', 'auth.controls.brute_force'),
  prefix('backend_server_monitoring', 'auth.services.backend_health_checks'),
  prefix('cleartext_networks', 'auth.controls.tls_encryption.allow_cleartext_networks'),
];

/** Every move, exact ones first (the order the converter tries them). */
export const MOVES: readonly Move[] = [...EXACT, ...PREFIX];

/** 1.x paths dropped on purpose (the soft allowlist of RBL has no 3.x place). */
export const DROPPED_1X: readonly KeyPath[] = [p('realtime_blackhole_lists.soft_whitelist'), p('realtime_blackhole_lists.soft_allowlist')];

/** Key renames inside moved sections, 1.x name -> 3.x name (any depth). */
export const KEY_RENAMES: Readonly<Record<string, string>> = {
  soft_allowlist: 'allowlist',
  soft_whitelist: 'allowlist',
  ip_whitelist: 'ip_allowlist',
  custom_hooks: 'hooks',
  roles: 'scopes',
  feature_vm_pool_size: 'environment_vm_pool_size',
  filter_vm_pool_size: 'subject_vm_pool_size',
};

/** 1.x feature names -> 3.x control names (auth.controls.enabled) and service names (auth.services.enabled). */
export const CONTROL_OF_FEATURE: Readonly<Record<string, string>> = {
  brute_force: 'brute_force', realtime_blackhole_lists: 'rbl', rbl: 'rbl', relay_domains: 'relay_domains',
  cleartext_networks: 'tls_encryption', tls_encryption: 'tls_encryption', lua: 'lua',
};
export const SERVICE_OF_FEATURE: Readonly<Record<string, string>> = { backend_server_monitoring: 'backend_health_checks', backend_health_checks: 'backend_health_checks' };

/** 3.x top-level sections and the loader's (copied as written), in the order a converted file lists them. */
export const V3_ORDER = ['includes', 'env', 'patch', 'runtime', 'observability', 'storage', 'auth', 'identity'] as const;

/** Whether `prefixPath` starts `path`. */
export function startsWith(path: KeyPath, prefixPath: KeyPath): boolean {
  return prefixPath.length <= path.length && prefixPath.every((s, i) => path[i] === s);
}

/** The move that takes the 1.x key at `path` (or a key above it), as the converter picks it. */
export function moveOf(path: KeyPath): Move | undefined {
  return MOVES.find((m) => startsWith(path, m.from));
}

/** True when a move starts strictly below `path`: the map at `path` is split key by key. */
export function movesBelow(path: KeyPath): boolean {
  return MOVES.some((m) => m.from.length > path.length && startsWith(m.from, path));
}

export const dotted = (path: ReadonlyArray<string | number>): string =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
