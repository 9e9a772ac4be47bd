// The validated, resolved configuration the engine runs on (what engine/config/load.ts produces).
import type { PolicyConfig } from '../policy/types';
import type { AuthStudioError } from '../errors/registry';
import type { ServerFeature } from './server-features';

/** A script named by the config, resolved to an absolute path, with its name for chunk names. */
export interface ScriptRef {
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the workspace (config file's directory) when inside it, else absolute: used as Lua chunk name. */
  displayPath: string;
  /** Path as written in the config (before resolution), for export. */
  written: string;
}

export interface FeatureConfig { name: string; script: ScriptRef }
/**
 * A Lua filter and the request states it runs in (Nauthilus 1.10 `when_authenticated`, `when_unauthenticated`,
 * `when_no_auth`; none set means authenticated and unauthenticated, not no-auth).
 */
export interface FilterConfig { name: string; script: ScriptRef; whenAuthenticated: boolean; whenUnauthenticated: boolean; whenNoAuth: boolean }

export const ACTION_TYPES = ['brute_force', 'rbl', 'tls_encryption', 'relay_domains', 'lua', 'post'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export interface ActionConfig { type: ActionType; name: string; script: ScriptRef }

/** Methods a custom hook may serve: Nauthilus 1.10's `oneof=HEAD GET POST PUT DELETE PATCH` (config/lua.go). */
export const HTTP_METHODS = ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
export type HookMethod = (typeof HTTP_METHODS)[number];
export interface CustomHookConfig { location: string; method: HookMethod; script: ScriptRef; roles: string[] }

export interface LuaRuntimeConfig {
  /** `lua.config.backend_script_path` (or `script_path`); undefined when no Lua backend is configured. */
  backendScript?: ScriptRef;
  initScripts: ScriptRef[];
  /** Nauthilus 3.0 `lua.config.cache_flush_script_path`: nauthilus_cache_flush runs when the cache flush endpoint does. */
  cacheFlushScript?: ScriptRef;
  /** `package_path`, resolved: `;`-separated templates with `?`. */
  packagePath?: string;
  numberOfWorkers: number;
  /** `ip_scoping_v4_cidr` / `ip_scoping_v6_cidr`: the networks nauthilus_misc.scoped_ip gives for "lua_generic". */
  ipScopingV4Cidr?: number;
  ipScopingV6Cidr?: number;
}

export interface SearchConfig { protocols: string[]; cacheName?: string; backendName?: string }

export interface LuaConfig {
  features: FeatureConfig[];
  filters: FilterConfig[];
  actions: ActionConfig[];
  customHooks: CustomHookConfig[];
  config: LuaRuntimeConfig;
  /** name -> number_of_workers */
  optionalBackends: Record<string, { numberOfWorkers: number }>;
  search: SearchConfig[];
}

export type RedisMode = 'mock' | 'standalone' | 'sentinel' | 'cluster';
export interface RedisSettings {
  mode: RedisMode;
  /** host:port list: one for standalone, the sentinels for sentinel, the seeds for cluster. */
  addresses: string[];
  sentinelMaster?: string;
  username?: string;
  password?: string;
  database?: number;
  /** Key prefix for everything the engine writes. */
  prefix: string;
  positiveCacheTtlSec: number;
  negativeCacheTtlSec: number;
  commandTimeoutMs?: number;
  /** True for `rediss://` URLs or `tls.enabled`: connect with TLS (to the sentinels too, as go-redis does). */
  tls?: boolean;
  /** PEM files: a client certificate and its key (both or neither), and CAs to trust instead of the system's. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsCaFile?: string;
  /** Accept any server certificate (Nauthilus' `tls.skip_verify`). */
  tlsSkipVerify?: boolean;
  /** Sentinel mode only: connect to a replica the sentinels name (go-redis ReplicaOnly), not to the master. */
  sentinelReplica?: boolean;
  /** Credentials for the sentinels themselves (`sentinels.username` / `sentinels.password`). */
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** Nauthilus 3.0 storage.redis.encryption_secret: redis_encrypt/redis_decrypt's secret (unset: they pass text through). */
  encryptionSecret?: string;
}

export interface BasicAuthConfig { enabled: boolean; username: string; password: string }
export interface JwtUser { username: string; password: string; roles: string[] }
export interface JwtConfig { enabled: boolean; secretKey: string; tokenExpirySec: number; refreshToken: boolean; users: JwtUser[] }

/** `test` is Nauthilus 3.x's in-memory backend (auth.backends.order only). */
export type BackendKind = 'cache' | 'lua' | 'test';

export interface ServerConfig {
  /** host and port to listen on (`address: 127.0.0.1:9080`). */
  host: string;
  port: number;
  backends: BackendKind[];
  redis: RedisSettings;
  /**
   * `features` (Nauthilus 1.x): when set, only the listed protection features run (brute_force, rbl, relay_domains,
   * tls_encryption, lua, backend_server_monitoring); when absent, each runs when its section is present.
   */
  features?: ServerFeature[];
  basicAuth?: BasicAuthConfig;
  jwtAuth?: JwtConfig;
  /** Per-call Lua timeout in ms (`lua_script_timeout`, Go duration). */
  luaScriptTimeoutMs: number;
  /** Bound on requests in flight; beyond it requests get a temporary failure. */
  maxConcurrentRequests: number;
  /** Memory cap per Lua VM in bytes (`lua_memory_limit`, e.g. "32MiB"). */
  luaMemoryLimitBytes: number;
  /** Bytes `nauthilus_cache` may hold (`lua_cache_memory_limit`); the oldest entries go when it is full. */
  luaCacheMemoryBytes?: number;
  /** Max auth request body in bytes. */
  maxBodyBytes: number;
  /** Let scripts use the `io` library (default false). */
  luaAllowIo: boolean;
  /**
   * `auth_wait` (AuthStudio's own key): a fixed Auth-Wait in seconds for every refused login; 0 (default) uses
   * Nauthilus's curve from `nginxWaitDelaySec` (see engine/pipeline/auth-wait.ts).
   */
  authWaitSec: number;
  /** `nginx_wait_delay` (Nauthilus: NAUTHILUS_NGINX_WAIT_DELAY in 1.x, auth.pipeline.wait_delay in 3.x), seconds; 0 = no Auth-Wait. Default 10. */
  nginxWaitDelaySec?: number;
  /** `brute_force_protocols` (Nauthilus 1.x): the only protocols brute force checks and counts (see brute-force-protocols.ts). */
  bruteForceProtocols?: string[];
  /** `max_login_attempts` (auth.pipeline.max_login_attempts in 3.x): the attempt count Auth-Wait grows to. Default 15. */
  maxLoginAttempts?: number;
  /** Nonce mixed into password hashes in the cache. */
  passwordNonce: string;
  /**
   * `trusted_proxies`: peers (IP addresses / CIDR networks) whose modes and client facts (Client-IP, X-SSL, ...)
   * the auth endpoints believe without API credentials. Default 127.0.0.1 and ::1.
   */
  trustedProxies: string[];
  /** DNS resolver host:port for RBL and nauthilus_dns (system when unset). */
  dnsResolver?: string;
  /** DNS query timeout in ms (`dns.timeout`); the resolver's default when unset. */
  dnsTimeoutMs?: number;
  /** `server.insights.monitor_connections`: count nauthilus_psnet targets' connections every 5 s. */
  monitorConnections?: boolean;
  /** `server.insights.tracing` (1.12) / `observability.tracing` (3.x); unset: not written (tracing off). */
  tracing?: TracingConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The log_format the scripts see in `logging` ("json" by default). */
  logFormat: 'json' | 'default';
}

/** OpenTelemetry tracing as Nauthilus configures it (server/config/server.go Tracing). */
export interface TracingConfig {
  enabled: boolean;
  /** `otlphttp` sends spans to `endpoint`; `none` (or unset) records them for the trace only. */
  exporter: 'otlphttp' | 'none';
  /** host:port of the OTLP/HTTP receiver (spans go to /v1/traces); unset: localhost:4318. */
  endpoint?: string;
  /** Share of requests traced when the caller sent no sampled trace context (0 when unset, as in Nauthilus). */
  samplerRatio: number;
  serviceName?: string;
  propagators: string[];
  logExportResults: boolean;
  /** Set when `tls.enabled`: the exporter uses https. */
  tls?: { skipVerify: boolean; caFile?: string; certFile?: string; keyFile?: string; minVersion?: 'TLSv1.2' | 'TLSv1.3' };
}

export interface BruteForceBucket {
  name: string;
  periodSec: number;
  cidr: number;
  ipv4: boolean;
  ipv6: boolean;
  failedRequests: number;
  filterByProtocol: string[];
  /**
   * Nauthilus 3.x ban_time in seconds (8h when not written): a network a bucket refused stays refused this long,
   * whatever its counter does. Undefined in a 1.x file: refused while the counter is at the limit (its period).
   */
  banTimeSec?: number;
}
export interface BruteForceConfig {
  ipWhitelist: string[];
  /**
   * Nauthilus 3.x auth.controls.brute_force.protocols: the only protocols brute force checks and counts (a 3.x
   * file without it: none, as in Nauthilus). Undefined in a 1.x file: every protocol.
   */
  protocols?: string[];
  buckets: BruteForceBucket[];
  /** `ip_scoping`: IPv6 networks for the repeating-wrong-password and tolerations contexts (scoped_ip). */
  ipScoping?: { rwpIpv6Cidr?: number; tolerationsIpv6Cidr?: number };
  /** `soft_whitelist`: username -> IP addresses and networks exempt from the brute-force check (Nauthilus 1.10). */
  softWhitelist?: SoftWhitelistMap;
  /** tolerate_percent, tolerate_ttl, adaptive_toleration, min/max_tolerate_percent, scale_factor, custom_tolerations. */
  tolerations?: TolerationConfig;
}

/** One custom toleration (brute_force.custom_tolerations, or set from Lua): its address or network and its rule. */
export interface CustomToleration {
  ipAddress: string;
  toleratePercent: number;
  /** Nanoseconds, as Go's time.Duration. */
  tolerateTtlNs: number;
  adaptive?: boolean;
  minPercent?: number;
  maxPercent?: number;
  scaleFactor?: number;
}

/** Nauthilus 1.10's toleration settings (defaults: 0 %, no TTL = off, adaptive off, 10 %..50 %, scale 1). */
export interface TolerationConfig {
  percent: number;
  ttlNs: number;
  adaptive: boolean;
  minPercent: number;
  maxPercent: number;
  scaleFactor: number;
  custom: CustomToleration[];
}

/** A `soft_whitelist` section: username -> the IP addresses and CIDR networks that user is exempt from. */
export type SoftWhitelistMap = Record<string, string[]>;

export interface RblList {
  name: string;
  rbl: string;
  ipv4: boolean;
  ipv6: boolean;
  returnCode: string;
  /** Every answer that marks a listing: return_code and return_codes together (Nauthilus 1.10 core/rbl.go). */
  returnCodes?: string[];
  weight: number;
  allowFailure: boolean;
}
export interface RblConfig { threshold: number; lists: RblList[]; ipWhitelist: string[]; softWhitelist?: SoftWhitelistMap }

/** One server of `backend_server_monitoring.backend_servers` (Nauthilus 1.10 config.BackendServer). */
export interface BackendServerConfig {
  protocol: 'imap' | 'pop3' | 'lmtp' | 'smtp' | 'sieve' | 'http';
  host: string;
  /** 0 when the config gives none (Nauthilus accepts that; the health check then fails). */
  port: number;
  deepCheck: boolean;
  requestUri: string;
  testUsername: string;
  testPassword: string;
  tls: boolean;
  tlsSkipVerify: boolean;
  haproxyV2: boolean;
}

/** One LDAP pool of the `ldap:` section (Nauthilus 1.10 config.LDAPConf, the keys nauthilus_ldap uses). */
export interface LdapPoolConfig {
  /** "__meta_default__" for `ldap.config`, else the key under `optional_ldap_pools`. */
  name: string;
  serverUris: string[];
  bindDn: string;
  bindPw: string;
  startTls: boolean;
  tlsSkipVerify: boolean;
  /** Absolute paths. */
  tlsCaCert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  lookupPoolSize: number;
  connectTimeoutMs: number;
  bindTimeoutMs: number;
  searchTimeoutMs: number;
  modifyTimeoutMs: number;
  /** 0: the server's limit. */
  searchSizeLimit: number;
  searchTimeLimitSec: number;
  /** include_raw_result: ldap_search's raw_result = true gets the entries only with it (Nauthilus 1.10). */
  includeRawResult?: boolean;
}

export interface AuthStudioConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Directory of the config file: the workspace root. */
  baseDir: string;
  server: ServerConfig;
  lua: LuaConfig;
  bruteForce?: BruteForceConfig;
  rbl?: RblConfig;
  relayDomains?: { staticDomains: string[]; softWhitelist?: SoftWhitelistMap };
  /** Networks allowed to log in without TLS; when the key is absent the TLS check is off. */
  cleartextNetworks?: string[];
  /**
   * `backend_server_monitoring.backend_servers`: when the section is present, the servers are health-checked
   * and nginx mail gets Auth-Server/Auth-Port from the one a filter selects (Nauthilus' backend_server_monitoring feature).
   */
  backendServerMonitoring?: BackendServerConfig[];
  /** `ldap:` pools by name (the default one is "__meta_default__"), for nauthilus_ldap. */
  ldapPools?: Record<string, LdapPoolConfig>;
  /** The parsed YAML as written (after ${VAR} expansion), for export. */
  raw: unknown;
  /**
   * Which Nauthilus the workspace targets: the top-level `nauthilus:` key (AuthStudio's own), else detected from
   * the layout (3.x sections -> "3.0", or "3.1" with its `plugins:` section; otherwise "1.10").
   */
  profile?: NauthilusProfile;
  /** True when `nauthilus:` names the profile (false: detected from the layout). */
  profileExplicit?: boolean;
  /** The config file's layout: Nauthilus 1.x sections (server, lua, ...) or 3.x ones (runtime, storage, auth, ...). */
  layout?: ConfigLayout;
  /** Nauthilus 3.x `auth.policy`: the declarative policy layer (3.x layouts only). */
  policy?: PolicyConfig;
  /** Problems that do not stop the engine (e.g. a section server.features switches off); `check` reports them. */
  warnings?: AuthStudioError[];
}

/** The Nauthilus versions a workspace can target (`nauthilus:` in the config). */
export const NAUTHILUS_PROFILES = ['1.10', '1.12', '3.0', '3.1'] as const;
export type NauthilusProfile = (typeof NAUTHILUS_PROFILES)[number];
export type ConfigLayout = '1.x' | '3.x';
