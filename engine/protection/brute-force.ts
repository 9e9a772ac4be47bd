// Brute-force detection: per-network failure counters in Redis (one per bucket), checked before features.
//
//   request --allowlisted?--> skip
//           --any bucket counter >= failed_requests--> fail at once ("brute_force" actions run)
//   failed login --same wrong password for this account+network seen before?--> repeating: count nothing
//                --else--> INCR every matching bucket's counter (TTL = bucket period); at the limit the
//                          network is added to the blocked index shown by /api/v1/bruteforce/list
// All state is in Redis, so engines sharing one Redis server share their counters.
import crypto from 'node:crypto';
import net from 'node:net';
import type { BruteForceBucket, BruteForceConfig } from '../config/types';
import type { RedisCommand, RedisStore } from '../redis/store';
import { networkOf } from '../pipeline/auth-request';
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { AuthOutcome, StageState } from '../pipeline/pipeline';
import { IpList } from './ip-list';

const BLOCKED_INDEX = 'bf:blocked';
/** Failed-password hashes kept per account and network (enough to recognise a repeating client). */
const HISTORY_MAX = 32;

export interface BlockedEntry {
  bucket: string;
  network: string;
  counter: number;
  limit: number;
  ttl_seconds: number;
}

export class BruteForceProtection implements BuiltinCheck {
  readonly name = 'brute_force';
  readonly stage = 'brute_force' as const;
  readonly phase = 'before_features' as const;
  readonly actionType = 'brute_force';
  private readonly allow: IpList;
  private readonly historyTtl: number;

  constructor(private readonly config: BruteForceConfig, private readonly redis: () => RedisStore, private readonly nonce: string) {
    this.allow = new IpList(config.ipWhitelist);
    this.historyTtl = Math.max(60, ...config.buckets.map((b) => b.periodSec));
  }

  /** Buckets that apply to this client address and protocol. */
  private bucketsFor(ip: string, protocol: string): BruteForceBucket[] {
    const v6 = net.isIP(ip) === 6;
    return this.config.buckets.filter((b) => (v6 ? b.ipv6 : b.ipv4) && (b.filterByProtocol.length === 0 || b.filterByProtocol.includes(protocol)));
  }

  private counterKey(b: BruteForceBucket, network: string): string {
    return `bf:${b.name}:${network}`;
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const ip = state.req.fields.client_ip;
    if (!ip || state.req.mode !== 'auth') return undefined;
    if (this.allow.has(ip)) return { result: 'allowlisted' };
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return undefined;
    const keys = buckets.map((b) => this.counterKey(b, networkOf(ip, b.cidr)));
    const [values, seen] = (await this.redis().batch([
      ['mget', ...keys],
      ['sismember', this.historyKey(ip, buckets, state.req.fields.username), this.passwordHash(state.req.fields.password)],
    ])) as [Array<string | null>, number];
    const repeating = seen === 1;
    for (let i = 0; i < buckets.length; i++) {
      const count = Number(values[i] ?? 0);
      if (count >= buckets[i].failedRequests) {
        return {
          result: 'blocked',
          decision: 'fail',
          luaFields: { brute_force_bucket: buckets[i].name, brute_force_counter: count, client_net: networkOf(ip, buckets[i].cidr), repeating },
        };
      }
    }
    return { result: repeating ? 'pass (repeating a known wrong password)' : 'pass', luaFields: { repeating } };
  }

  private historyKey(ip: string, buckets: BruteForceBucket[], username: string): string {
    const widest = buckets.reduce((a, b) => (b.cidr < a.cidr ? b : a));
    return `bf:pw:${networkOf(ip, widest.cidr)}:${username.toLowerCase()}`;
  }

  private passwordHash(password: string): string {
    return crypto.createHash('sha256').update(this.nonce).update('\0').update(password).digest('hex').slice(0, 16);
  }

  /** Count a failed login (once per distinct wrong password per account and network). */
  async afterDecision(out: AuthOutcome, state: StageState): Promise<void> {
    const ip = state.req.fields.client_ip;
    if (out.decision !== 'fail' || !ip || state.req.mode !== 'auth' || this.allow.has(ip)) return;
    if (out.trace.some((r) => r.stage === 'brute_force' && r.result === 'blocked')) return;
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return;
    const redis = this.redis();
    const histKey = this.historyKey(ip, buckets, state.req.fields.username);
    const pwHash = this.passwordHash(state.req.fields.password);
    const [added, , size] = (await redis.batch([['sadd', histKey, pwHash], ['expire', histKey, this.historyTtl], ['scard', histKey]], true)) as number[];
    if (size > HISTORY_MAX) await redis.client.spop(histKey);
    if (added === 0) {
      state.base.repeating = true;
      out.trace.push({ stage: 'brute_force', name: 'brute_force', duration_ms: 0, result: 'repeating', logs: {} });
      return;
    }
    const nets = buckets.map((b) => networkOf(ip, b.cidr));
    // SET NX with a TTL creates the window; INCR keeps the TTL
    const res = await redis.batch(buckets.flatMap((b, i): RedisCommand[] => {
      const key = this.counterKey(b, nets[i]);
      return [['set', key, '0', 'EX', b.periodSec, 'NX'], ['incr', key]];
    }), true);
    const now = Date.now();
    for (let i = 0; i < buckets.length; i++) {
      const count = Number(res[i * 2 + 1] ?? 0);
      if (count === buckets[i].failedRequests) {
        // the index holds networks blocked within the longest period: expired entries go as new ones come,
        // and the key itself expires after a quiet period (an attack from rotating networks cannot grow it forever)
        await redis.batch([
          ['zremrangebyscore', BLOCKED_INDEX, '-inf', now],
          ['zadd', BLOCKED_INDEX, now + buckets[i].periodSec * 1000, `${buckets[i].name}|${nets[i]}`],
          ['pexpire', BLOCKED_INDEX, this.historyTtl * 1000],
        ], true);
      }
    }
  }

  /** Blocked networks with their bucket, counter and remaining time. */
  async list(): Promise<BlockedEntry[]> {
    const client = this.redis().client;
    const now = Date.now();
    await client.zremrangebyscore(BLOCKED_INDEX, '-inf', now);
    const members = await client.zrangebyscore(BLOCKED_INDEX, now, '+inf');
    const out: BlockedEntry[] = [];
    for (const m of members) {
      const [bucketName, network] = m.split('|');
      const bucket = this.config.buckets.find((b) => b.name === bucketName);
      if (!bucket) continue;
      const key = `bf:${bucketName}:${network}`;
      const [count, ttl] = await Promise.all([client.get(key), client.ttl(key)]);
      if (count === null) {
        await client.zrem(BLOCKED_INDEX, m);
        continue;
      }
      out.push({ bucket: bucketName, network, counter: Number(count), limit: bucket.failedRequests, ttl_seconds: ttl });
    }
    return out;
  }

  /** Unblock `ip` for one rule (bucket name) or all (`*`). Returns the networks cleared. */
  async flush(ip: string, rule: string): Promise<Array<{ bucket: string; network: string; removed: boolean }>> {
    const client = this.redis().client;
    const buckets = this.config.buckets.filter((b) => (rule === '*' || b.name === rule) && (net.isIP(ip) === 6 ? b.ipv6 : b.ipv4));
    const out: Array<{ bucket: string; network: string; removed: boolean }> = [];
    for (const b of buckets) {
      const network = networkOf(ip, b.cidr);
      const removed = (await client.del(this.counterKey(b, network))) > 0;
      await client.zrem(BLOCKED_INDEX, `${b.name}|${network}`);
      out.push({ bucket: b.name, network, removed });
    }
    // forget the failed-password history of the client's networks too
    for (const b of buckets) {
      let cursor = '0';
      const prefix = this.redis().settings.prefix;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}bf:pw:${networkOf(ip, b.cidr)}:*`, 'COUNT', 200);
        cursor = next;
        if (keys.length) await client.del(...keys.map((k) => (prefix && k.startsWith(prefix) ? k.slice(prefix.length) : k)));
      } while (cursor !== '0');
    }
    return out;
  }
}
