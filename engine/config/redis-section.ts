// `server.redis`: "mock", a redis:// URL, or Nauthilus' structure (master / sentinels / cluster), and the --redis override.

import type { RedisSettings } from './types';
import { andThen, bool, def, describedAs, duration, int, jsonSchemaOf, list, opt, req, str, struct, type Spec } from './schema';
import { formatHostPort, hostPort, parseHostPort } from './net';
import { msToSeconds } from './durations';

/** Default Redis port when a URL or address names none. */
export const DEFAULT_REDIS_PORT = 6379;
/** Default positive/negative cache TTL in seconds (Nauthilus' defaults). */
export const DEFAULT_CACHE_TTL_SEC = 3600;

/** The connection part of the settings: what `--redis` replaces. */
export type RedisConnection = Pick<RedisSettings, 'mode' | 'addresses' | 'sentinelMaster' | 'username' | 'password' | 'database' | 'tls'
  | 'tlsCertFile' | 'tlsKeyFile' | 'tlsCaFile' | 'tlsSkipVerify' | 'sentinelUsername' | 'sentinelPassword'>;

/** Settings for the embedded in-memory Redis with default prefix and TTLs. */
export function defaultRedisSettings(): RedisSettings {
  return { mode: 'mock', addresses: [], prefix: '', positiveCacheTtlSec: DEFAULT_CACHE_TTL_SEC, negativeCacheTtlSec: DEFAULT_CACHE_TTL_SEC };
}

/**
 * Parses the string form: "mock", or `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS).
 * Returns an error text when the string is neither.
 */
export function parseRedisString(s: string): RedisConnection | string {
  const text = s.trim();
  if (text.toLowerCase() === 'mock') return { mode: 'mock', addresses: [] };
  if (!/^rediss?:\/\//i.test(text)) return 'expected "mock" or a URL such as "redis://127.0.0.1:6379/0"';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a valid URL`;
  }
  if (url.search || url.hash) return 'query strings and fragments are not supported in a Redis URL';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const hp = parseHostPort(url.port ? `${url.hostname}:${url.port}` : url.hostname, { defaultPort: DEFAULT_REDIS_PORT });
  if (typeof hp === 'string' || host === '') return `the Redis URL has no valid host and port${typeof hp === 'string' ? ` (${hp})` : ''}`;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) return `the database in a Redis URL must be a number, got "${dbText}"`;
  const conn: RedisConnection = { mode: 'standalone', addresses: [formatHostPort(hp)] };
  if (url.username) conn.username = decodeURIComponent(url.username);
  if (url.password) conn.password = decodeURIComponent(url.password);
  if (dbText !== '') conn.database = Number(dbText);
  if (url.protocol.toLowerCase() === 'rediss:') conn.tls = true;
  return conn;
}

const address = andThen(hostPort({ defaultPort: DEFAULT_REDIS_PORT }), formatHostPort);
const addresses = list(address, { minItems: 1 });
const secret = str();

const redisShape = struct(
  {
    mock: opt(bool()),
    master: opt(struct({ address: req(address), username: opt(secret), password: opt(secret) })),
    sentinels: opt(struct({ master: req(str({ minLength: 1 })), addresses: req(addresses), username: opt(secret), password: opt(secret) })),
    cluster: opt(struct({ addresses: req(addresses) })),
    username: opt(secret),
    password: opt(secret),
    database_number: opt(int({ min: 0 })),
    prefix: def(str(), ''),
    positive_cache_ttl: def(duration(), DEFAULT_CACHE_TTL_SEC * 1000),
    negative_cache_ttl: def(duration(), DEFAULT_CACHE_TTL_SEC * 1000),
    pool_size: opt(int({ min: 0 })),
    idle_pool_size: opt(int({ min: 0 })),
    command_timeout: opt(duration({ positive: true })),
    // Nauthilus' TLS block (server.redis.tls): enabled, cert, key, ca_file, skip_verify
    tls: opt(struct({ enabled: def(bool(), false), cert: opt(str()), key: opt(str()), ca_file: opt(str()), skip_verify: def(bool(), false) })),
    // Nauthilus 3.0 storage.redis.encryption_secret (config/server.go Redis: secret_min=16, no spaces)
    encryption_secret: opt(str()),
  },
  (r, v) => {
    const es = v.child('encryption_secret');
    if (r.encryption_secret !== undefined && es) {
      if (!es.path.startsWith('storage.')) es.failAtKey('AS_ERR_CONFIG_TYPE', `"encryption_secret" at ${v.where()} is a Nauthilus 3.x key (storage.redis.encryption_secret): Nauthilus 1.x has no Redis encryption`);
      else if ([...r.encryption_secret].length < 16 || /\s/.test(r.encryption_secret)) es.typeError('a secret of at least 16 characters without spaces');
    }
    const chosen: string[] = [...(r.mock ? ['mock'] : []), ...(['master', 'sentinels', 'cluster'] as const).filter((k) => r[k] !== undefined)];
    // the key as written: a Nauthilus 3.x file calls master "primary"
    const written = (k: string) => v.child(k)?.path.split('.').pop() ?? k;
    if (chosen.length > 1) {
      v.child(chosen[1])?.failAtKey('AS_ERR_CONFIG_CONFLICT', `${v.where()} names both "${written(chosen[0])}" and "${written(chosen[1])}": choose one Redis setup`);
    } else if (chosen.length === 0 && r.mock === false) {
      v.fail('AS_ERR_CONFIG_MISSING', `${v.where()} has "mock: false" but no "master", "sentinels" or "cluster"`);
    }
    for (const k of ['username', 'password'] as const) {
      if (r[k] !== undefined && r.master?.[k] !== undefined) {
        v.child(k)?.failAtKey('AS_ERR_CONFIG_CONFLICT', `"${k}" is given both at ${v.where()} and at ${v.where()}.master: keep one`);
      }
    }
    if (r.cluster && (r.database_number ?? 0) !== 0) v.child('database_number')?.typeError('0 (a Redis cluster has only database 0)');
  },
);

function connectionOf(r: NonNullable<ReturnType<typeof redisShape>>): RedisConnection {
  const conn: RedisConnection = { mode: 'mock', addresses: [] };
  if (r.master) {
    conn.mode = 'standalone';
    conn.addresses = [r.master.address];
  } else if (r.sentinels) {
    conn.mode = 'sentinel';
    conn.addresses = r.sentinels.addresses;
    conn.sentinelMaster = r.sentinels.master;
    if (r.sentinels.username !== undefined) conn.sentinelUsername = r.sentinels.username;
    if (r.sentinels.password !== undefined) conn.sentinelPassword = r.sentinels.password;
  } else if (r.cluster) {
    conn.mode = 'cluster';
    conn.addresses = r.cluster.addresses;
  }
  if (conn.mode === 'mock') return conn;
  const username = r.username ?? r.master?.username;
  const password = r.password ?? r.master?.password;
  if (username !== undefined && username !== '') conn.username = username;
  if (password !== undefined && password !== '') conn.password = password;
  if (r.database_number !== undefined) conn.database = r.database_number;
  if (r.tls?.enabled) {
    conn.tls = true;
    if (r.tls.cert) conn.tlsCertFile = r.tls.cert;
    if (r.tls.key) conn.tlsKeyFile = r.tls.key;
    if (r.tls.ca_file) conn.tlsCaFile = r.tls.ca_file;
    if (r.tls.skip_verify) conn.tlsSkipVerify = true;
  }
  return conn;
}

/** `server.redis` in any of its three forms. */
export const redisSection: Spec<RedisSettings> = describedAs((v) => {
  const s = v.scalar;
  if (typeof s === 'string') {
    const conn = parseRedisString(s);
    if (typeof conn === 'string') return v.typeError('"mock", a redis:// URL or a map', conn);
    return { ...defaultRedisSettings(), ...conn };
  }
  if (!v.isMap) return v.typeError('"mock", a redis:// URL or a map with master, sentinels or cluster');
  const r = redisShape(v);
  if (r === undefined) return undefined;
  const settings: RedisSettings = {
    ...connectionOf(r),
    prefix: r.prefix,
    positiveCacheTtlSec: msToSeconds(r.positive_cache_ttl),
    negativeCacheTtlSec: msToSeconds(r.negative_cache_ttl),
  };
  if (r.command_timeout !== undefined) settings.commandTimeoutMs = r.command_timeout;
  if (r.encryption_secret) settings.encryptionSecret = r.encryption_secret;
  return settings;
}, { anyOf: [{ type: 'string', description: '"mock" or a redis:// URL' }, jsonSchemaOf(redisShape as Spec<unknown>)], description: '"mock", a redis:// URL or a map with master, sentinels or cluster' });

/** Replaces the connection of `settings` with `conn` (the --redis override), keeping prefix, TTLs and timeout. */
export function withConnection(settings: RedisSettings, conn: RedisConnection): RedisSettings {
  const { prefix, positiveCacheTtlSec, negativeCacheTtlSec, commandTimeoutMs, encryptionSecret } = settings;
  const out: RedisSettings = { ...conn, prefix, positiveCacheTtlSec, negativeCacheTtlSec };
  if (commandTimeoutMs !== undefined) out.commandTimeoutMs = commandTimeoutMs;
  if (encryptionSecret !== undefined) out.encryptionSecret = encryptionSecret;
  return out;
}
