// Redis choice at runtime: embedded or a real server, tested before use; status without secrets.
import type { RedisStatus, RedisTestResult } from '../api/contract';
import type { RedisSettings } from '../config/types';
import { parseRedisString, withConnection } from '../config/redis-section';
import { AuthStudioError } from '../errors/registry';
import { RedisStore } from '../redis/store';
import { maskRedisUrl } from './settings';

/** The settings a studio Redis URL stands for, keeping the config's prefix and TTLs. */
export function redisSettingsFor(url: unknown, base: RedisSettings): RedisSettings {
  if (typeof url !== 'string' || url.trim() === '') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'url must be "mock" or a redis:// URL', { path: 'url' });
  const conn = parseRedisString(url);
  if (typeof conn === 'string') throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${maskRedisUrl(url)}": ${conn}`, { path: 'url' });
  return withConnection(base, conn);
}

/** PING with a bound: a dead host answers false within `ms`. */
export async function pingWithin(store: RedisStore, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([store.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connect, PING and disconnect: does this Redis answer? */
export async function testRedis(settings: RedisSettings): Promise<RedisTestResult> {
  const store = new RedisStore(settings);
  const t0 = performance.now();
  try {
    const ok = await pingWithin(store, 5000);
    if (!ok) return { ok: false, error: `no answer from ${targetOf(settings)}` };
    return { ok: true, latency_ms: Math.round((performance.now() - t0) * 100) / 100 };
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** "embedded", or the addresses (and database) of a real Redis; never credentials. */
export function targetOf(settings: RedisSettings): string {
  if (settings.mode === 'mock') return 'embedded';
  const db = settings.database ? `/${settings.database}` : '';
  return `${settings.tls ? 'rediss' : 'redis'}://${settings.addresses.join(',')}${db}`;
}

/** The status of the store in use; `kept` is the embedded store kept while a real Redis runs. */
export async function redisStatus(store: RedisStore, saved: boolean, kept?: RedisStore): Promise<RedisStatus> {
  const status: RedisStatus = { mode: store.mode, target: targetOf(store.settings), prefix: store.settings.prefix ?? '', ok: await pingWithin(store, 1000), saved };
  if (kept) status.kept_embedded_keys = (await kept.scanKeys('*')).length;
  return status;
}
