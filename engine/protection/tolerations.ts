// Tolerations (Nauthilus 1.10 bruteforce/tolerate): an IP address whose users mostly log in fine may fail a share
// of logins without being blocked.
//
// Per address (scoped by brute_force.ip_scoping.tolerations_ipv6_cidr) Redis holds the users who logged in
// (sorted set `bf:TR:<ip>:P`) and who failed (`bf:TR:<ip>:N`) within tolerate_ttl, and their counts in the hash
// `bf:TR:<ip>` (fields positive / negative). An address is tolerated when positive > 0 and
// negative <= floor(percent * positive / 100); with adaptive toleration the percent grows with positive
// from min_tolerate_percent to max_tolerate_percent. A custom toleration (the first whose address or network
// holds the client) replaces percent and TTL for its addresses. No TTL (0) means no toleration.
//
// The custom list is kept in Redis (hash `bf:tolerations`, field = address, value =
// "<position>|<percent>|<ttl ns>|<adaptive>|<min>|<max>|<scale>") so every engine thread sees the same list;
// until a script changes it, the config's custom_tolerations are the list.
import net from 'node:net';
import type { CustomToleration, TolerationConfig } from '../config/types';
import type { RedisStore } from '../redis/store';
import { defineAtomicScript } from '../redis/atomic-script';
import { networkOf } from '../pipeline/auth-request';

export type Toleration = CustomToleration;

const KEY = 'bf:tolerations';
/** A field no address can have: present once the list lives in Redis (even when a script emptied it). */
const MARK = '!';

/** The settings when the config names none: toleration off until a custom toleration gives a TTL. */
export function defaultTolerationConfig(): TolerationConfig {
  return { percent: 0, ttlNs: 0, adaptive: false, minPercent: 10, maxPercent: 50, scaleFactor: 1, custom: [] };
}

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
if redis.call('HLEN', KEYS[1]) <= 1 then
  redis.call('HSET', KEYS[1], ARGV[1], '0|' .. ARGV[2], ARGV[3], '1')
  return 1
end
return 0
`,
  async local(client, [key], [ip, rest, mark]) {
    const old = await client.hget(key, String(ip));
    if (old !== null) {
      await client.hset(key, String(ip), `${old.split('|')[0]}|${rest}`);
      return 1;
    }
    if ((await client.hlen(key)) <= 1) {
      await client.hset(key, String(ip), `0|${rest}`, String(mark), '1');
      return 1;
    }
    return 0;
  },
});

// Nauthilus's ZAddCountAndExpire: the user joins the address's positive or negative set, the set's size is the
// count. On a Redis Cluster the count goes to the hash `bf:TR:<ip>` in a second step (elsewhere RECORD_AND_COPY
// below does both at once): the set and the hash live in different Redis
// Cluster slots (Nauthilus 1.10 gives both keys a common "{nauthilus}" tag on a Cluster and then reads the
// untagged hash, so its tolerations never see the counts there). Between the two steps another engine may write
// its count first; the hash then holds the smaller count until the next login of that address.
const RECORD = defineAtomicScript({
  name: 'bf_toleration_record',
  lua: `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local count = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return count
`,
  async local(client, [set], [now, user, ttl]) {
    await client.zadd(set, now, String(user));
    const count = await client.zcard(set);
    await client.expire(set, Number(ttl));
    return count;
  },
});

/**
 * RECORD and the count's copy into the hash `bf:TR:<ip>` in one step, where both keys may be named in one script
 * (everywhere but a Redis Cluster): one round trip per judged login instead of two, and no window between them.
 */
const RECORD_AND_COPY = defineAtomicScript({
  name: 'bf_toleration_record_copy',
  lua: `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local count = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], count)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return count
`,
  async local(client, [set, hash], [now, user, ttl, field]) {
    const count = Number(await RECORD.local(client, [set], [now, user, ttl]));
    await client.hset(hash, String(field), count);
    await client.expire(hash, Number(ttl));
    return count;
  },
});

const encode = (t: Toleration, pos: number) =>
  `${pos}|${rule(t)}`;
const rule = (t: Toleration) =>
  `${t.toleratePercent}|${t.tolerateTtlNs}|${t.adaptive ? 1 : 0}|${t.minPercent ?? 0}|${t.maxPercent ?? 0}|${t.scaleFactor ?? 0}`;

/** Go's net.ParseIP equality or ParseCIDR containment (Nauthilus' findIP). */
export function tolerationCovers(ipOrNet: string, ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return false;
  if (net.isIP(ipOrNet)) return net.isIP(ipOrNet) === family ? sameAddress(ipOrNet, ip) : false;
  const m = /^(.+)\/(\d{1,3})$/.exec(ipOrNet);
  if (!m || net.isIP(m[1]) !== family) return false;
  const bits = Number(m[2]);
  if (bits > (family === 4 ? 32 : 128)) return false;
  return networkOf(ip, bits) === networkOf(m[1], bits);
}

function sameAddress(a: string, b: string): boolean {
  const family = net.isIP(a);
  return networkOf(a, family === 4 ? 32 : 128) === networkOf(b, family === 4 ? 32 : 128);
}

/** The custom tolerations every thread of an engine shares, and the toleration state of addresses. */
export class Tolerations {
  constructor(private readonly redis: () => RedisStore, private readonly seed: () => Toleration[] = () => []) {}

  /** Replace the whole list. */
  async replace(list: Toleration[]): Promise<void> {
    const fields = list.flatMap((t, i) => [t.ipAddress, encode(t, i)]);
    await this.redis().batch([['del', KEY], ['hset', KEY, MARK, '1', ...fields]], true);
  }

  /** The config's list moves to Redis before a script changes one entry. */
  private async materialize(): Promise<void> {
    if ((await this.redis().client.exists(KEY)) === 0) await this.replace(this.seed());
  }

  /** Nauthilus's SetCustomToleration (blank addresses are ignored). */
  async setOne(t: Toleration): Promise<void> {
    if (t.ipAddress.trim() === '') return;
    await this.materialize();
    await this.redis().runScript(SET_ONE, [KEY], [t.ipAddress, rule(t), MARK]);
  }

  async delete(ip: string): Promise<void> {
    if (ip.trim() === '') return;
    await this.materialize();
    await this.redis().client.hdel(KEY, ip);
  }

  /** The list in the order it was given. */
  async list(): Promise<Toleration[]> {
    const all = (await this.redis().client.hgetall(KEY)) as Record<string, string>;
    if (!(MARK in all)) return this.seed();
    return Object.entries(all)
      .filter(([ip]) => ip !== MARK)
      .map(([ip, v]) => {
        const [pos, pct, ttl, adaptive, min, max, scale] = v.split('|').map(Number);
        const t: Toleration = { ipAddress: ip, toleratePercent: pct, tolerateTtlNs: ttl };
        if (adaptive === 1) Object.assign(t, { adaptive: true, minPercent: min, maxPercent: max, scaleFactor: scale });
        return { pos, t };
      })
      .sort((a, b) => a.pos - b.pos)
      .map((e) => e.t);
  }

  /** Percent, TTL and adaptive settings for `ip`: the first custom toleration covering it, else the config's. */
  async ruleFor(ip: string, cfg: TolerationConfig, list?: Toleration[]): Promise<TolerationConfig> {
    const custom = (list ?? (await this.list())).find((t) => tolerationCovers(t.ipAddress, ip));
    if (!custom) return cfg;
    const out = { ...cfg, percent: custom.toleratePercent, ttlNs: custom.tolerateTtlNs, adaptive: custom.adaptive === true };
    if (custom.adaptive) {
      if (custom.minPercent) out.minPercent = custom.minPercent;
      if (custom.maxPercent) out.maxPercent = custom.maxPercent;
      if (custom.scaleFactor) out.scaleFactor = custom.scaleFactor;
    }
    return out;
  }

  /**
   * Nauthilus's SetIPAddress: after a password was judged, the user counts as a positive or negative for `ip`.
   * `list`: the custom tolerations, read already; then nobody waits for the count (one detached script), but on a
   * Redis Cluster, where it takes two steps.
   */
  async record(ip: string, scopedIp: string, username: string, authenticated: boolean, cfg: TolerationConfig, list?: Toleration[]): Promise<void> {
    if (ip.trim() === '') return;
    const { ttlNs } = await this.ruleFor(ip, cfg, list);
    if (ttlNs === 0) return;
    const key = `bf:TR:${scopedIp}`;
    const ttl = Math.trunc(ttlNs / 1e9);
    const store = this.redis();
    const set = `${key}:${authenticated ? 'P' : 'N'}`;
    const field = authenticated ? 'positive' : 'negative';
    const now = Math.floor(Date.now() / 1000);
    if (store.mode !== 'cluster') {
      const args = [now, username.toLowerCase(), ttl, field];
      if (list) store.runScriptDetached(RECORD_AND_COPY, [set, key], args);
      else await store.runScript(RECORD_AND_COPY, [set, key], args);
      return;
    }
    const count = await store.runScript(RECORD, [set], [now, username.toLowerCase(), ttl]);
    await store.batch([['hset', key, field, Number(count)], ['expire', key, ttl]], true);
  }

  /**
   * Nauthilus's IsTolerated: whether `ip` may pass a bucket it has filled ("yes" / "no"), or "off" when no
   * toleration can apply anywhere (no tolerate_ttl, no custom toleration). A Redis error counts as "no".
   */
  async isTolerated(ip: string, scopedIp: string, cfg: TolerationConfig): Promise<'yes' | 'no' | 'off'> {
    const list = await this.list();
    if (cfg.ttlNs === 0 && list.length === 0) return 'off';
    const r = await this.ruleFor(ip, cfg, list);
    if (r.ttlNs === 0) return 'no';
    let counts: Record<string, string>;
    try {
      counts = (await this.redis().client.hgetall(`bf:TR:${scopedIp}`)) as Record<string, string>;
    } catch {
      return 'no';
    }
    const positive = Number.parseInt(counts.positive ?? '0', 10) || 0;
    const negative = Number.parseInt(counts.negative ?? '0', 10) || 0;
    if (positive === 0) return 'no';
    return negative <= maxNegatives(r, positive) ? 'yes' : 'no';
  }
}

/** How many users may fail for `positive` users who logged in (Nauthilus' static and adaptive formulas). */
export function maxNegatives(r: TolerationConfig, positive: number): number {
  let percent = r.percent;
  if (r.adaptive) {
    const factor = Math.min(1, (Math.log(positive + 1) / Math.log(100)) * r.scaleFactor);
    percent = Math.floor(r.minPercent + (r.maxPercent - r.minPercent) * factor);
    percent = Math.max(r.minPercent, Math.min(r.maxPercent, percent));
  }
  return Math.floor((percent * positive) / 100);
}
