// Soft whitelists (Nauthilus 1.10): per feature (brute_force, relay_domains, rbl), a username -> networks map.
// A request whose username lists a network holding its client address skips that feature's check.
//
//   config  `<section>.soft_whitelist` -------------------> the entries a user starts with
//   Lua     nauthilus_soft_whitelist.soft_whitelist_set/delete --> Redis hash `sw:<feature>`, field = username,
//           value = the user's whole list ("" = no entry); once a user has a field it replaces the config's list
//
// Nauthilus keeps the map in process memory; here every engine thread must see what a script set, so the
// changes live in Redis (one atomic step each), shared by every engine on that Redis, and outlive a reload or
// a restart against a Redis that keeps its data (Nauthilus forgets them on restart; the embedded store does too).
import net from 'node:net';
import type { AuthStudioConfig, SoftWhitelistMap } from '../config/types';
import type { RedisStore } from '../redis/store';
import { defineAtomicScript } from '../redis/atomic-script';
import { ipOrCidrProblem } from '../config/net';
import { IpList } from './ip-list';

/** Nauthilus 1.10's feature names a soft whitelist belongs to. */
export const SOFT_WHITELIST_FEATURES = ['brute_force', 'relay_domains', 'rbl'] as const;
export type SoftWhitelistFeature = (typeof SOFT_WHITELIST_FEATURES)[number];
export type SoftWhitelistSeeds = Partial<Record<SoftWhitelistFeature, SoftWhitelistMap>>;

const SEP = ',';

/** The config's soft whitelists, by feature. */
export function softWhitelistSeedsOf(config: AuthStudioConfig): SoftWhitelistSeeds {
  return { brute_force: config.bruteForce?.softWhitelist, relay_domains: config.relayDomains?.softWhitelist, rbl: config.rbl?.softWhitelist };
}

export function isSoftWhitelistFeature(s: string): s is SoftWhitelistFeature {
  return (SOFT_WHITELIST_FEATURES as readonly string[]).includes(s);
}

const SW_SET = defineAtomicScript({
  name: 'soft_whitelist_set',
  lua: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then cur = ARGV[2] end
if cur == '' then cur = ARGV[3] else cur = cur .. ',' .. ARGV[3] end
redis.call('HSET', KEYS[1], ARGV[1], cur)
return 1
`,
  async local(client, [key], [user, seed, network]) {
    let cur = (await client.hget(key, String(user))) ?? String(seed);
    cur = cur === '' ? String(network) : `${cur}${SEP}${network}`;
    await client.hset(key, String(user), cur);
    return 1;
  },
});

const SW_DELETE = defineAtomicScript({
  name: 'soft_whitelist_delete',
  lua: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then cur = ARGV[2] end
local out, removed = {}, false
for n in string.gmatch(cur, '[^,]+') do
  if not removed and n == ARGV[3] then removed = true else out[#out + 1] = n end
end
if not removed then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], table.concat(out, ','))
return 1
`,
  async local(client, [key], [user, seed, network]) {
    const cur = (await client.hget(key, String(user))) ?? String(seed);
    const list = cur === '' ? [] : cur.split(SEP);
    const i = list.indexOf(String(network));
    if (i < 0) return 0;
    list.splice(i, 1);
    await client.hset(key, String(user), list.join(SEP));
    return 1;
  },
});

/** Go's net.ParseCIDR accepts it: an address with a prefix length (what Nauthilus's Set requires). */
function isCidr(s: string): boolean {
  return s.includes('/') && ipOrCidrProblem(s) === undefined;
}

/** Nauthilus's util.IsInNetwork: CIDR entries by containment, plain addresses by equal text; bad entries skipped. */
export function inNetworks(networks: readonly string[], ip: string): boolean {
  if (net.isIP(ip) === 0) return false;
  return networks.some((n) => (n.includes('/') ? isCidr(n) && new IpList([n]).has(ip) : n === ip));
}

/** The soft whitelists of one engine: config entries plus what scripts changed (in Redis). */
export class SoftWhitelist {
  constructor(private readonly redis: () => RedisStore, private readonly seeds: SoftWhitelistSeeds) {}

  /** The Redis hash of a feature's changed lists (without the key prefix). */
  keyOf(feature: SoftWhitelistFeature): string {
    return `sw:${feature}`;
  }

  private seed(feature: SoftWhitelistFeature, user: string): string {
    const m = this.seeds[feature];
    return m && Object.prototype.hasOwnProperty.call(m, user) ? m[user].join(SEP) : '';
  }

  /** The user's networks for a feature (empty when none). */
  async get(feature: SoftWhitelistFeature, user: string): Promise<string[]> {
    return this.listOf(feature, user, await this.redis().client.hget(this.keyOf(feature), user));
  }

  /** The user's networks given the field read from `keyOf(feature)` (null: none stored, the config's list). */
  private listOf(feature: SoftWhitelistFeature, user: string, stored: string | null): string[] {
    const text = stored ?? this.seed(feature, user);
    return text === '' ? [] : text.split(SEP);
  }

  /** covers() for a field already read from `keyOf(feature)` (for callers batching it with other reads). */
  coversStored(feature: SoftWhitelistFeature, user: string, ip: string, stored: string | null): boolean {
    return ip !== '' && inNetworks(this.listOf(feature, user, stored), ip);
  }

  /** Add a network (Nauthilus: ignored unless the username is non-empty and the network a valid CIDR). */
  async set(feature: SoftWhitelistFeature, user: string, network: string): Promise<void> {
    if (user === '' || !isCidr(network)) return;
    await this.redis().runScript(SW_SET, [this.keyOf(feature)], [user, this.seed(feature, user), network]);
  }

  /** Remove the first entry equal to `network` (nothing when the user has no such entry). */
  async delete(feature: SoftWhitelistFeature, user: string, network: string): Promise<void> {
    await this.redis().runScript(SW_DELETE, [this.keyOf(feature)], [user, this.seed(feature, user), network]);
  }

  /** Nauthilus's util.IsSoftWhitelisted: one of the user's networks holds `ip`. */
  async covers(feature: SoftWhitelistFeature, user: string, ip: string): Promise<boolean> {
    if (!ip) return false;
    return inNetworks(await this.get(feature, user), ip);
  }
}
