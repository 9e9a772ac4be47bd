// Brute-force detection: per-network failure counters in Redis (one per bucket), checked before features.
//
//   request --allowlisted?--> skip
//           --password already seen wrong for this account+network (repeating)?--> check only, count nothing
//           --else, per bucket, atomically: counter >= failed_requests? --> fail at once ("brute_force" actions)
//                                           otherwise take a slot (counter + 1) before the password is verified
//   decided --a backend (or the empty-password rule) said wrong, first time for this password--> keep the slot;
//             at the limit the network joins the blocked index shown by /api/v1/bruteforce/list
//           --anything else (success, repeated password, refused earlier, temporary failure)--> give it back
// So under any concurrency at most failed_requests new wrong passwords per bucket reach a backend per period.
// A request without a client address has a bucket of its own ("no-client-ip") under every rule.
// All state is in Redis, so engines sharing one Redis server share their counters.
import crypto from 'node:crypto';
import net from 'node:net';
import type { BruteForceBucket, BruteForceConfig } from '../config/types';
import type { RedisStore } from '../redis/store';
import { networkOf } from '../pipeline/auth-request';
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { AuthOutcome, StageState } from '../pipeline/pipeline';
import { IpList } from './ip-list';
import { RELEASE_SLOT, RESERVE_SLOT } from './brute-force-scripts';

const BLOCKED_INDEX = 'bf:blocked';
/** Failed-password hashes kept per account and network (enough to recognise a repeating client). */
const HISTORY_MAX = 32;
/** The "network" of requests that name no client address: one bucket for all of them. */
export const NO_CLIENT_IP = 'no-client-ip';

export interface BlockedEntry {
  bucket: string;
  network: string;
  counter: number;
  limit: number;
  ttl_seconds: number;
}

/** Slots one request holds until its decision is known. */
interface Reservation {
  keys: string[];
}

export class BruteForceProtection implements BuiltinCheck {
  readonly name = 'brute_force';
  readonly stage = 'brute_force' as const;
  readonly phase = 'before_features' as const;
  readonly actionType = 'brute_force';
  private readonly allow: IpList;
  private readonly historyTtl: number;
  private readonly held = new WeakMap<StageState, Reservation>();

  constructor(private readonly config: BruteForceConfig, private readonly redis: () => RedisStore, private readonly nonce: string) {
    this.allow = new IpList(config.ipWhitelist);
    this.historyTtl = Math.max(60, ...config.buckets.map((b) => b.periodSec));
  }

  /** Buckets that apply to this client address (every family without one) and protocol. */
  private bucketsFor(ip: string, protocol: string): BruteForceBucket[] {
    const family = net.isIP(ip);
    return this.config.buckets.filter((b) => (family === 0 || (family === 6 ? b.ipv6 : b.ipv4)) && (b.filterByProtocol.length === 0 || b.filterByProtocol.includes(protocol)));
  }

  private networkFor(ip: string, b: BruteForceBucket): string {
    return ip ? networkOf(ip, b.cidr) : NO_CLIENT_IP;
  }

  private counterKey(b: BruteForceBucket, network: string): string {
    return `bf:${b.name}:${network}`;
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const ip = state.req.fields.client_ip;
    if (state.req.mode !== 'auth') return undefined;
    if (ip && this.allow.has(ip)) return { result: 'allowlisted' };
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return undefined;
    const store = this.redis();
    const nets = buckets.map((b) => this.networkFor(ip, b));
    const keys = buckets.map((b, i) => this.counterKey(b, nets[i]));
    const seen = await store.client.sismember(this.historyKey(ip, buckets, state.req.fields.username), this.passwordHash(state.req.fields.password));
    const repeating = seen === 1;
    const take = repeating ? 0 : 1;
    const replies = await Promise.allSettled(buckets.map((b, i) => store.runScript(RESERVE_SLOT, [keys[i]], [b.failedRequests, b.periodSec, take]) as Promise<[number, number]>));
    const granted = replies.map((r) => r.status === 'fulfilled' && Number(r.value[0]) === 1);
    const taken = take ? keys.filter((_, i) => granted[i]) : [];
    const failed = replies.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const blocked = granted.indexOf(false);
    if (blocked >= 0) {
      // this request will not reach a backend: the slots it did get go back
      await this.release(taken);
      if (failed) throw failed.reason;
      const count = Number((replies[blocked] as PromiseFulfilledResult<[number, number]>).value[1]);
      return {
        result: 'blocked',
        decision: 'fail',
        luaFields: { brute_force_bucket: buckets[blocked].name, brute_force_counter: count, client_net: ip ? nets[blocked] : '', repeating },
      };
    }
    if (taken.length) this.held.set(state, { keys: taken });
    return { result: repeating ? 'pass (repeating a known wrong password)' : 'pass', luaFields: { repeating } };
  }

  private async release(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const store = this.redis();
    await Promise.all(keys.map((k) => store.runScript(RELEASE_SLOT, [k], [])));
  }

  private historyKey(ip: string, buckets: BruteForceBucket[], username: string): string {
    const widest = buckets.reduce((a, b) => (b.cidr < a.cidr ? b : a));
    return `bf:pw:${this.networkFor(ip, widest)}:${username.toLowerCase()}`;
  }

  private passwordHash(password: string): string {
    return crypto.createHash('sha256').update(this.nonce).update('\0').update(password).digest('hex').slice(0, 16);
  }

  /**
   * Once the decision is known (on every path): keep the slots of a new wrong password, give back the rest.
   * `state.passwordJudged` says whether a backend (or the empty-password rule) judged this password.
   */
  async afterDecision(out: AuthOutcome, state: StageState): Promise<void> {
    const held = this.held.get(state);
    this.held.delete(state);
    const ip = state.req.fields.client_ip;
    const failedLogin = out.decision === 'fail' && state.passwordJudged === true && state.req.mode === 'auth' && !(ip && this.allow.has(ip));
    if (!failedLogin) return this.release(held?.keys ?? []);
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return this.release(held?.keys ?? []);
    const redis = this.redis();
    const histKey = this.historyKey(ip, buckets, state.req.fields.username);
    const pwHash = this.passwordHash(state.req.fields.password);
    const [added, , size] = (await redis.batch([['sadd', histKey, pwHash], ['expire', histKey, this.historyTtl], ['scard', histKey]], true)) as number[];
    if (size > HISTORY_MAX) await redis.client.spop(histKey);
    if (added === 0 || !held) {
      // the same wrong password again (maybe a parallel twin got here first): it counts once
      await this.release(held?.keys ?? []);
      state.base.repeating = true;
      out.trace.push({ stage: 'brute_force', name: 'brute_force', duration_ms: 0, result: 'repeating', logs: {} });
      return;
    }
    const counts = await Promise.all(held.keys.map(async (k) => Number((await redis.client.get(k)) ?? 0)));
    const now = Date.now();
    for (let i = 0; i < buckets.length; i++) {
      const key = this.counterKey(buckets[i], this.networkFor(ip, buckets[i]));
      const at = held.keys.indexOf(key);
      if (at < 0 || counts[at] < buckets[i].failedRequests) continue;
      // the index holds networks blocked within the longest period: expired entries go as new ones come,
      // and the key itself expires after a quiet period (an attack from rotating networks cannot grow it forever)
      await redis.batch([
        ['zremrangebyscore', BLOCKED_INDEX, '-inf', now],
        ['zadd', BLOCKED_INDEX, now + buckets[i].periodSec * 1000, `${buckets[i].name}|${this.networkFor(ip, buckets[i])}`],
        ['pexpire', BLOCKED_INDEX, this.historyTtl * 1000],
      ], true);
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
      if (Number(count) < bucket.failedRequests) continue; // slots given back since: not blocked now
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
