// The `server:` section: listen address, backends, Redis, API auth, Lua limits, DNS and logging.

import type { BackendKind, JwtUser, ServerConfig } from './types';
import { andThen, bool, def, duration, int, list, oneOf, opt, req, size, str, struct, type Spec } from './schema';
import { defaultRedisSettings, redisSection } from './redis-section';
import { formatHostPort, hostPort, ipOrCidr } from './net';
import { msToSeconds } from './durations';
import { serverFeatures } from './server-features';
import { tracingSection } from './tracing-section';

/** Defaults of `server:` keys (durations in ms, sizes in bytes). */
export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 9080,
  backends: ['lua'] as BackendKind[],
  luaScriptTimeoutMs: 10_000,
  maxConcurrentRequests: 1000,
  luaMemoryLimitBytes: 32 * 1024 * 1024,
  maxBodyBytes: 64 * 1024,
  jwtTokenExpiryMs: 3_600_000,
  /** Used when `password_nonce` is not set. Set your own in production. */
  passwordNonce: 'authstudio-default-password-nonce',
  /** Peers whose client facts and modes are believed without API credentials (Nauthilus 3.0's default). */
  trustedProxies: ['127.0.0.1', '::1'] as string[],
} as const;

const BACKEND_KINDS = ['cache', 'lua'] as const;
const backendKind = oneOf(BACKEND_KINDS);
const backendObject = struct({ backend: req(backendKind) });
/** Nauthilus 3.x's order adds the in-memory `test` backend (its path is the 3.x one: auth.backends.order[i]). */
const backendKind3 = oneOf([...BACKEND_KINDS, 'test'] as const);

/** A backends item: `lua` or Nauthilus' `{backend: lua}`; `test` only as written in a 3.x auth.backends.order. */
const backendItem: Spec<BackendKind> = (v) => {
  if (v.isMap) return backendObject(v)?.backend;
  return v.path.startsWith('auth.backends.order') ? backendKind3(v) : backendKind(v);
};

const jwtUser = struct({
  username: req(str({ minLength: 1 })),
  password: req(str({ minLength: 8 })),
  roles: def(list(str({ minLength: 1 })), [] as string[]),
});

const basicAuth = struct({ enabled: def(bool(), false), username: opt(str()), password: opt(str()) }, (b, v) => {
  if (!b.enabled) return;
  for (const k of ['username', 'password'] as const) {
    if (!b[k]) v.fail('AS_ERR_CONFIG_MISSING', `${v.where()} is enabled but "${k}" is missing or empty`);
  }
});

const jwtAuth = struct(
  {
    enabled: def(bool(), false),
    secret_key: opt(str()),
    token_expiry: def(duration({ positive: true }), SERVER_DEFAULTS.jwtTokenExpiryMs),
    refresh_token: def(bool(), false),
    users: def(list(jwtUser, { unique: { key: (u) => u.username, at: 'username', what: 'JWT user' } }), [] as JwtUser[]),
  },
  (j, v) => {
    if (!j.enabled) return;
    if (j.secret_key === undefined) v.fail('AS_ERR_CONFIG_MISSING', `${v.where()} is enabled but "secret_key" is missing`);
    else if (j.secret_key.length < 32) v.child('secret_key')?.fail('AS_ERR_CONFIG_TYPE', `expected a secret_key of at least 32 characters at ${v.where()}.secret_key, got ${j.secret_key.length}`);
  },
);

const serverShape = struct({
  address: def(hostPort({ allowPortZero: true }), { host: SERVER_DEFAULTS.host, port: SERVER_DEFAULTS.port }),
  backends: def(list(backendItem, { unique: { key: (b) => b, what: 'backend' } }), [...SERVER_DEFAULTS.backends]),
  redis: def(redisSection, defaultRedisSettings()),
  basic_auth: opt(basicAuth),
  jwt_auth: opt(jwtAuth),
  lua_script_timeout: def(duration({ positive: true }), SERVER_DEFAULTS.luaScriptTimeoutMs),
  max_concurrent_requests: def(int({ min: 1 }), SERVER_DEFAULTS.maxConcurrentRequests),
  lua_memory_limit: def(size(), SERVER_DEFAULTS.luaMemoryLimitBytes),
  lua_cache_memory_limit: opt(size()),
  max_body_size: def(size(), SERVER_DEFAULTS.maxBodyBytes),
  lua_allow_io: def(bool(), false),
  features: opt(serverFeatures),
  auth_wait: def(duration(), 0),
  nginx_wait_delay: opt(int({ min: 0, max: 255 })),
  brute_force_protocols: opt(list(str({ minLength: 1 }))),
  max_login_attempts: opt(int({ min: 1, max: 255 })),
  password_nonce: def(str({ minLength: 1 }), SERVER_DEFAULTS.passwordNonce),
  trusted_proxies: def(list(ipOrCidr), [...SERVER_DEFAULTS.trustedProxies]),
  dns: opt(struct({ resolver: opt(andThen(hostPort({ defaultPort: 53 }), formatHostPort)), timeout: opt(duration({ positive: true })) })),
  // Nauthilus's profiling switches have no meaning here and are accepted as no-ops; monitor_connections counts psnet
  // targets; tracing makes request and script spans (engine/tracing/)
  insights: opt(struct({ enable_pprof: def(bool(), false), enable_block_profile: def(bool(), false), monitor_connections: def(bool(), false), tracing: opt(tracingSection) })),
  log: def(struct({ level: def(oneOf(['debug', 'info', 'warn', 'error'] as const, { ignoreCase: true }), 'info'), json: def(bool(), true) }), { level: 'info' as const, json: true }),
});

/** The `server:` section, converted to the engine's `ServerConfig`. */
export const serverSection: Spec<ServerConfig> = andThen(serverShape, (s) => {
  const out: ServerConfig = {
    host: s.address.host,
    port: s.address.port,
    backends: s.backends,
    redis: s.redis,
    luaScriptTimeoutMs: s.lua_script_timeout,
    maxConcurrentRequests: s.max_concurrent_requests,
    luaMemoryLimitBytes: s.lua_memory_limit,
    maxBodyBytes: s.max_body_size,
    luaAllowIo: s.lua_allow_io,
    authWaitSec: msToSeconds(s.auth_wait),
    passwordNonce: s.password_nonce,
    trustedProxies: s.trusted_proxies,
    logLevel: s.log.level,
    logFormat: s.log.json ? 'json' : 'default',
  };
  if (s.basic_auth) out.basicAuth = { enabled: s.basic_auth.enabled, username: s.basic_auth.username ?? '', password: s.basic_auth.password ?? '' };
  if (s.jwt_auth) {
    const j = s.jwt_auth;
    out.jwtAuth = { enabled: j.enabled, secretKey: j.secret_key ?? '', tokenExpirySec: msToSeconds(j.token_expiry), refreshToken: j.refresh_token, users: j.users };
  }
  if (s.nginx_wait_delay !== undefined) out.nginxWaitDelaySec = s.nginx_wait_delay;
  if (s.brute_force_protocols !== undefined) out.bruteForceProtocols = s.brute_force_protocols.map((p) => p.toLowerCase());
  if (s.max_login_attempts !== undefined) out.maxLoginAttempts = s.max_login_attempts;
  if (s.lua_cache_memory_limit !== undefined) out.luaCacheMemoryBytes = s.lua_cache_memory_limit;
  if (s.dns?.resolver !== undefined) out.dnsResolver = s.dns.resolver;
  if (s.dns?.timeout !== undefined) out.dnsTimeoutMs = s.dns.timeout;
  if (s.insights?.monitor_connections) out.monitorConnections = true;
  if (s.insights?.tracing?.enabled) out.tracing = s.insights.tracing;
  if (s.features !== undefined) out.features = s.features;
  return out;
});

/** The server settings when the file has no `server:` section. */
export function defaultServerConfig(): ServerConfig {
  return {
    host: SERVER_DEFAULTS.host,
    port: SERVER_DEFAULTS.port,
    backends: [...SERVER_DEFAULTS.backends],
    redis: defaultRedisSettings(),
    luaScriptTimeoutMs: SERVER_DEFAULTS.luaScriptTimeoutMs,
    maxConcurrentRequests: SERVER_DEFAULTS.maxConcurrentRequests,
    luaMemoryLimitBytes: SERVER_DEFAULTS.luaMemoryLimitBytes,
    maxBodyBytes: SERVER_DEFAULTS.maxBodyBytes,
    luaAllowIo: false,
    authWaitSec: 0,
    passwordNonce: SERVER_DEFAULTS.passwordNonce,
    trustedProxies: [...SERVER_DEFAULTS.trustedProxies],
    logLevel: 'info',
    logFormat: 'json',
  };
}
