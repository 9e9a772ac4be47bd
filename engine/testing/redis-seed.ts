// Redis state a test declares, written before it runs: Nauthilus fixtures' redis.initial_data (strings, hashes,
// sets, lists, zsets, hyperloglogs, ttl_seconds) and their legacy redis.responses map; saved requests use the same shape.
import type { RedisStore } from '../redis/store';

type Section = Record<string, unknown> | undefined;

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Write `section` into `store`: either `{ initial_data: {...}, responses: {...} }` (a Nauthilus fixture's `redis`)
 * or the initial_data shape itself (a saved request's `redis:`). Keys are written as given (no prefix added).
 */
export async function seedRedis(store: RedisStore, section: Section): Promise<number> {
  if (!section) return 0;
  const data = 'initial_data' in section || 'responses' in section ? asObject(section.initial_data) : section;
  const c = store.client;
  let n = 0;
  for (const [k, v] of Object.entries(asObject(data.strings))) {
    await c.set(k, String(v));
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.hashes))) {
    const fields = Object.entries(asObject(v)).flatMap(([f, x]) => [f, String(x)]);
    if (fields.length) await c.hset(k, ...fields);
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.sets))) {
    const members = asList(v).map(String);
    if (members.length) await c.sadd(k, ...members);
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.lists))) {
    const items = asList(v).map(String);
    if (items.length) await c.rpush(k, ...items);
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.zsets))) {
    const args = asList(v).flatMap((m) => [String(Number(asObject(m).score) || 0), String(asObject(m).member)]);
    if (args.length) await c.zadd(k, ...args);
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.hyperloglogs))) {
    const items = asList(v).map(String);
    // the embedded Redis has no HyperLogLog: nauthilus_redis stands in a set there (redis-collections.ts), so the seed does too
    if (items.length) await (store.mode === 'mock' ? c.sadd(k, ...items) : c.pfadd(k, ...items));
    n++;
  }
  for (const [k, v] of Object.entries(asObject(data.ttl_seconds))) {
    const s = Number(v);
    if (s > 0) await c.expire(k, s);
  }
  // Nauthilus's legacy `responses`: an object value becomes a hash, anything else a string
  if ('responses' in section) {
    for (const [k, v] of Object.entries(asObject(section.responses))) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const fields = Object.entries(v).flatMap(([f, x]) => [f, String(x)]);
        if (fields.length) await c.hset(k, ...fields);
      } else {
        await c.set(k, String(v));
      }
      n++;
    }
  }
  return n;
}
