// Custom tolerations (Nauthilus 1.10 bruteforce/tolerate): per IP address or network, a percentage of wrong
// passwords tolerated and for how long. Kept in Redis (hash `bf:tolerations`, field = address, value =
// "<position>|<percent>|<ttl in ns>") so every engine thread sees the same list, in the order scripts gave it.
// AuthStudio's brute-force check does not apply tolerations yet: the list is stored and listed only.
import type { RedisStore } from '../redis/store';
import { defineAtomicScript } from '../redis/atomic-script';

export interface Toleration {
  ipAddress: string;
  toleratePercent: number;
  /** Nanoseconds, as Go's time.Duration. */
  tolerateTtlNs: number;
}

const KEY = 'bf:tolerations';

// Nauthilus's SetCustomToleration replaces an existing entry in place, adds one only to an empty list, and
// otherwise leaves the list as it is.
const SET_ONE = defineAtomicScript({
  name: 'bf_toleration_set',
  lua: `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('HSET', KEYS[1], ARGV[1], string.match(old, '^[^|]*') .. '|' .. ARGV[2])
  return 1
end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], '0|' .. ARGV[2])
  return 1
end
return 0
`,
  async local(client, [key], [ip, rest]) {
    const old = await client.hget(key, String(ip));
    if (old !== null) {
      await client.hset(key, String(ip), `${old.split('|')[0]}|${rest}`);
      return 1;
    }
    if ((await client.hlen(key)) === 0) {
      await client.hset(key, String(ip), `0|${rest}`);
      return 1;
    }
    return 0;
  },
});

/** The custom tolerations every thread of an engine shares. */
export class Tolerations {
  constructor(private readonly redis: () => RedisStore) {}

  /** Replace the whole list. */
  async replace(list: Toleration[]): Promise<void> {
    const fields = list.flatMap((t, i) => [t.ipAddress, `${i}|${t.toleratePercent}|${t.tolerateTtlNs}`]);
    await this.redis().batch(fields.length ? [['del', KEY], ['hset', KEY, ...fields]] : [['del', KEY]], true);
  }

  /** Nauthilus's SetCustomToleration (blank addresses are ignored). */
  async setOne(t: Toleration): Promise<void> {
    if (t.ipAddress.trim() === '') return;
    await this.redis().runScript(SET_ONE, [KEY], [t.ipAddress, `${t.toleratePercent}|${t.tolerateTtlNs}`]);
  }

  async delete(ip: string): Promise<void> {
    if (ip.trim() === '') return;
    await this.redis().client.hdel(KEY, ip);
  }

  /** The list in the order it was given. */
  async list(): Promise<Toleration[]> {
    const all = (await this.redis().client.hgetall(KEY)) as Record<string, string>;
    return Object.entries(all)
      .map(([ip, v]) => {
        const [pos, pct, ttl] = v.split('|').map(Number);
        return { pos, t: { ipAddress: ip, toleratePercent: pct, tolerateTtlNs: ttl } };
      })
      .sort((a, b) => a.pos - b.pos)
      .map((e) => e.t);
  }
}
