// The engine services a Lua host module may use, passed in explicitly (no global singletons).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RedisStore } from '../redis/store';
import type { BackendServerConfig, BruteForceBucket, CustomToleration, NauthilusProfile } from '../config/types';
import type { ConnectionTargets } from './connection-targets';
import type { SoftWhitelistSeeds } from '../protection/soft-whitelist';
import type { LdapPools } from '../ldap/pools';
import type { I18nCatalogs } from './i18n-catalog';
import type { LineListener } from './line-hook';
import type { LineDebugger } from './debug-port';

/** Process-wide, in-memory key/value cache behind `nauthilus_cache` (shared by all VMs of an engine). */
export interface SharedCache {
  get(key: string): unknown;
  set(key: string, value: unknown, ttlSeconds?: number): void;
  delete(key: string): boolean;
  has(key: string): boolean;
  keys(): string[];
  size(): number;
  flush(): void;
  push(key: string, value: unknown): number;
  popAll(key: string): unknown[];
}

export interface EngineServices {
  logger: Logger;
  /** The engine's Redis (embedded or real) and any pools registered from Lua. */
  redis: RedisStore;
  /** prom-client registry served on /metrics; Lua vectors register here. */
  metrics: Registry;
  cache: SharedCache;
  /** Environment lookup for os.getenv / nauthilus_util.getenv (the process environment by default). */
  getenv(name: string): string | undefined;
  /** Directory of the config file: relative paths in scripts' host calls resolve against it. */
  baseDir: string;
  /** DNS resolver address (host:port) for nauthilus_dns and RBL lookups; system resolver when unset. */
  dnsResolver?: string;
  /** Default DNS lookup timeout in ms (server.dns.timeout). */
  dnsTimeoutMs?: number;
  /** server.password_nonce: mixed into password hashes kept in Redis. */
  passwordNonce?: string;
  /**
   * The backend servers backend_server_monitoring lists as alive now (replaced, never mutated, when a round of
   * health checks changes the set); undefined or empty when monitoring is off. Filters see it via nauthilus_backend.
   */
  aliveBackendServers?: BackendServerConfig[];
  /** CIDRs of nauthilus_misc.scoped_ip by context (from the config in force); unset: addresses stay as they are. */
  ipScoping?: IpScoping;
  /** The config's soft whitelists by feature (nauthilus_soft_whitelist starts from them). */
  softWhitelistSeeds?: SoftWhitelistSeeds;
  /** The brute_force buckets in force (nauthilus_brute_force.is_ip_address_blocked reads their counters). */
  bruteForceBuckets?: BruteForceBucket[];
  /** brute_force.custom_tolerations of the config in force (nauthilus_brute_force's list until a script sets one). */
  bruteForceTolerations?: CustomToleration[];
  /** nauthilus_psnet's connection targets of this thread (one per engine thread, kept across reloads). */
  connections?: ConnectionTargets;
  /** The `ldap:` section's pools for nauthilus_ldap (unset or empty: no LDAP configured). */
  ldap?: LdapPools;
  /**
   * The Nauthilus version the workspace targets (config.profile; unset: 1.10). Where 3.x and 1.x differ for the
   * same name, modules choose by it (isNauthilus3).
   */
  profile?: NauthilusProfile;
  /** nauthilus_i18n's message catalogs of this engine thread (made on first use; init scripts register into them). */
  i18n?: I18nCatalogs;
  /**
   * The wall clock scripts see, in ms since the epoch (os.time, os.date, time.unix, nauthilus_util timestamps);
   * unset: the real clock. `authstudio test` sets it to a test's declared `time:`.
   */
  clock?: () => number;
  /**
   * Called for each new VM after its prelude, before any script loads (`authstudio test` installs a test's
   * mock modules here); unset: nothing.
   */
  vmSetup?: (vm: { installHostChunk(src: string, chunkname: string, api: Record<string, unknown>): void }) => void;
  /** Told about every workspace line a VM of this engine runs (`authstudio test --coverage`); unset: no line hook. */
  lineListener?: LineListener;
  /** The debugger scripts of this engine report lines to while it is attached (workers 0 only); unset: none. */
  debugger?: LineDebugger;
}

/** True when the services serve a workspace that targets Nauthilus 3.x. */
export function isNauthilus3(services: { profile?: NauthilusProfile }): boolean {
  return services.profile?.startsWith('3.') ?? false;
}

/** Networks scoped_ip reduces an address to, per context (Nauthilus 1.10's ip scoper settings). */
export interface IpScoping {
  luaV4?: number;
  luaV6?: number;
  rwpV6?: number;
  tolerationsV6?: number;
}
