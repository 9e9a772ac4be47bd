// Brute-force detection: per-network failure counters in Redis (one per bucket), checked before features.
//
//   request --allowlisted?--> skip
//           --Nauthilus 3.x: the network is banned (bf:ban:<network>)--> fail at once
//           --any bucket's counter >= failed_requests--> fail at once ("brute_force" actions run); 3.x: the
//             network is banned for the bucket's ban_time (8h by default), however its counter goes on
//           --password already seen wrong for this account+network (repeating)--> go on, hold nothing
//           --else take a slot in every bucket, atomically with the check (brute-force-scripts.ts); when
//             counter + slots in use reach the limit, wait for a slot (at most one script timeout: tempfail)
//   decided --a backend (or the empty-password rule) said wrong, first time for this password--> the slots
//             become counts (INCR, TTL = bucket period); at the limit the network joins the blocked index
//           --anything else (success, repeated password, refused, temporary failure)--> slots given back
// So under any concurrency at most failed_requests new wrong passwords per bucket reach a backend per period,
// and right passwords wait for a slot instead of being refused while wrong ones are in flight.
// A request without a client address has a bucket of its own ("no-client-ip") under every rule.
// Soft whitelist (Nauthilus 1.10): a username whose brute_force soft whitelist holds the client address skips
// the check (nothing held, never blocked), but its wrong passwords still count for the network, as Nauthilus's
// UpdateBruteForceBucketsCounter does not consult the soft whitelist.
// Tolerations (Nauthilus 1.10, tolerations.ts): every judged password counts its user as a positive or negative
// for the client address; a request a full bucket refuses is let through instead when its address is
// tolerated, unless a refused request already marked the network blocked (Nauthilus' "already triggered").
// Without tolerate_ttl / custom tolerations nothing is tolerated and the bound above holds as it is.
// All state is in Redis, so engines sharing one Redis server share their counters.
import crypto from 'node:crypto';
import net from 'node:net';
import type { BruteForceBucket, BruteForceConfig } from '../config/types';
import type { RedisStore } from '../redis/store';
import { AuthStudioError } from '../errors/registry';
import { networkOf } from '../pipeline/auth-request';
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { AuthOutcome, StageState } from '../pipeline/pipeline';
import { IpList } from './ip-list';
import { COUNT_SLOT, FORGET, GIVE_BACK_SLOT, MARK_BLOCKED, TAKE_SLOT } from './brute-force-scripts';
import type { SoftWhitelist } from './soft-whitelist';
import { Tolerations, defaultTolerationConfig, type Toleration } from './tolerations';
import { scopeIp } from '../lua/modules/ip-scoper';

const BLOCKED_INDEX = 'bf:blocked';
/** Nauthilus 1.x/3.x: the hash of blocked networks (network -> bucket) that its list and flush read. */
export const NAUTHILUS_BLOCKED_HASH = 'BRUTEFORCE';
/** Nauthilus: the set of accounts whose logins came from a blocked network. */
export const AFFECTED_ACCOUNTS = 'AFFECTED_ACCOUNTS';
/** Nauthilus: the client addresses an account was refused from (`PW_HIST_IPS:<account>`). */
export function pwHistIpsKey(account: string): string {
  return `PW_HIST_IPS:${account}`;
}
/** Failed-password hashes kept per account and network (enough to recognise a repeating client). */
const HISTORY_MAX = 32;
/** The "network" of requests that name no client address: one bucket for all of them. */
export const NO_CLIENT_IP = 'no-client-ip';
/** A slot never given back (its process died) lapses after this long, or 4 script timeouts if longer. */
const SLOT_LAPSE_MS = 10_000;
/** Waiting for a slot: first retry after this many ms, doubling up to WAIT_MAX_MS. */
const WAIT_MIN_MS = 2;
const WAIT_MAX_MS = 50;

export interface BlockedEntry {
  bucket: string;
  network: string;
  counter: number;
  limit: number;
  ttl_seconds: number;
  /** How long a block lasts: the bucket's ban_time (3.x) or its period. */
  ban_time_seconds: number;
  /** When the network reached the limit (epoch ms). */
  blocked_at: number;
}

/** An account refused from a blocked network, with the addresses it was refused from. */
export interface AffectedAccount {
  account: string;
  ip_addresses: string[];
  ttl_seconds: number;
}

/** The slots one request holds until its decision is known. */
interface HeldSlots {
  member: string;
  buckets: BruteForceBucket[];
  networks: string[];
}

type SlotReply = [number, number];

/** Nauthilus 3.x: the ban of one network (its value the bucket that banned it), kept for the bucket's ban_time. */
export function bruteForceBanKey(network: string): string {
  return `bf:ban:${network}`;
}

/** The Redis key of a bucket's wrong-password counter for one network (without the key prefix). */
export function bruteForceCounterKey(bucket: string, network: string): string {
  return `bf:${bucket}:${network}`;
}

/**
 * The buckets that block `ip` right now, in config order; what nauthilus_brute_force.is_ip_address_blocked reports:
 * Nauthilus 1.10, their counter for its network reached failed_requests; Nauthilus 3.0 (buckets with a ban time),
 * its network is banned.
 */
export async function blockedBucketsOf(redis: RedisStore, buckets: readonly BruteForceBucket[], ip: string): Promise<string[]> {
  const family = net.isIP(ip);
  if (family === 0) return [];
  const mine = buckets.filter((b) => (family === 6 ? b.ipv6 : b.ipv4));
  const blocked = await Promise.all(mine.map(async (b) => (b.banTimeSec
    ? (await redis.client.exists(bruteForceBanKey(networkOf(ip, b.cidr)))) > 0
    : Number((await redis.client.get(bruteForceCounterKey(b.name, networkOf(ip, b.cidr)))) ?? 0) >= b.failedRequests)));
  return mine.filter((_, i) => blocked[i]).map((b) => b.name);
}

export class BruteForceProtection implements BuiltinCheck {
  readonly name = 'brute_force';
  readonly stage = 'brute_force' as const;
  readonly phase = 'before_features' as const;
  readonly actionType = 'brute_force';
  private readonly allow: IpList;
  private readonly historyTtl: number;
  /** Seconds the blocked index lives after its last entry: the longest period or ban time. */
  private readonly indexTtl: number;
  private readonly held = new WeakMap<StageState, HeldSlots>();
  /** Requests the soft whitelist let through: their wrong passwords count without a slot. */
  private readonly softExempt = new WeakSet<StageState>();
  /** Requests of this engine (thread) waiting for a slot: woken when one is given back or counted here. */
  private readonly sleepers = new Set<() => void>();
  private readonly tolerations: Tolerations;
  /** The custom toleration list read with a request's first Redis calls, for its toleration count at the end. */
  private readonly tolerationLists = new WeakMap<StageState, Toleration[]>();

  constructor(private readonly config: BruteForceConfig, private readonly redis: () => RedisStore, private readonly nonce: string, private readonly soft?: SoftWhitelist) {
    this.allow = new IpList(config.ipWhitelist);
    this.historyTtl = Math.max(60, ...config.buckets.map((b) => b.periodSec));
    this.indexTtl = Math.max(this.historyTtl, ...config.buckets.map((b) => b.banTimeSec ?? 0));
    this.tolerations = new Tolerations(redis, () => config.tolerations?.custom ?? []);
  }

  private get tolerationConfig() {
    return this.config.tolerations ?? defaultTolerationConfig();
  }

  /** The client address as toleration keys name it (brute_force.ip_scoping.tolerations_ipv6_cidr). */
  private tolerationScope(ip: string): string {
    return scopeIp({ tolerationsV6: this.config.ipScoping?.tolerationsIpv6Cidr }, 'tolerations', ip);
  }

  /** Buckets that apply to this client address (every family without one) and protocol. */
  private bucketsFor(ip: string, protocol: string): BruteForceBucket[] {
    // Nauthilus 3.x: a protocol not in auth.controls.brute_force.protocols is neither checked nor counted
    if (this.config.protocols && !this.config.protocols.includes(protocol)) return [];
    const family = net.isIP(ip);
    return this.config.buckets.filter((b) => (family === 0 || (family === 6 ? b.ipv6 : b.ipv4)) && (b.filterByProtocol.length === 0 || b.filterByProtocol.includes(protocol)));
  }

  private networkFor(ip: string, b: BruteForceBucket): string {
    return ip ? networkOf(ip, b.cidr) : NO_CLIENT_IP;
  }

  private counterKey(b: BruteForceBucket, network: string): string {
    return bruteForceCounterKey(b.name, network);
  }

  /** Same Redis Cluster slot as the counter: the counter's full name (key prefix included) is the hash tag. */
  private slotsKey(b: BruteForceBucket, network: string): string {
    return `{${this.redis().settings.prefix}${this.counterKey(b, network)}}:inflight`;
  }

  /** Set once a request was refused by the bucket: tolerations no longer let the network through. */
  private blockedKey(b: BruteForceBucket, network: string): string {
    return `{${this.redis().settings.prefix}${this.counterKey(b, network)}}:blocked`;
  }

  /**
   * A scheduler guard (or run_if) skipped the check: the request holds no slot, but a failed login still counts,
   * as Nauthilus 3.0's UpdateBruteForceBucketsCounter counts without asking the scheduler.
   */
  skipped(state: StageState): void {
    this.softExempt.add(state);
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const ip = state.req.fields.client_ip;
    if (state.req.mode !== 'auth') return undefined;
    // Nauthilus consults the soft whitelist before ip_whitelist; the order only changes the trace's word here
    // (neither is counted), and checking the allowlist first keeps allowlisted requests free of Redis calls
    if (ip && this.allow.has(ip)) return { result: 'allowlisted' };
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return undefined;
    const store = this.redis();
    const networks = buckets.map((b) => this.networkFor(ip, b));
    const user = state.req.fields.username;
    const member = state.req.session;
    const lapseMs = Math.max(SLOT_LAPSE_MS, 4 * state.timeout);
    const giveUpAt = Date.now() + state.timeout;
    // asked once, when a bucket first refuses the request (Nauthilus asks only when a rule triggered)
    let tolerated: boolean | undefined;
    let tolerations = true;
    const take = (checkOnly: boolean): Promise<Array<PromiseSettledResult<SlotReply>>> => {
      const now = Date.now();
      return Promise.allSettled(buckets.map((b, i) => store.runScript(
        TAKE_SLOT, [this.counterKey(b, networks[i]), this.slotsKey(b, networks[i]), this.blockedKey(b, networks[i])],
        [b.failedRequests, now, now + lapseMs, member, checkOnly ? 1 : 0, tolerated ? 1 : 0],
      ) as Promise<SlotReply>));
    };
    // both reads at once (not one pipeline: on a Redis Cluster the two keys live in different slots), and with
    // them the first take as for a new password and the custom toleration list the login's toleration count
    // needs at the end: one round trip for the usual login. A request that turns out soft whitelisted, banned or
    // repeating gives back what that take got (a slot only ever makes others wait).
    const [reads, first] = await Promise.all([
      Promise.all([
        this.soft ? store.client.hget(this.soft.keyOf('brute_force'), user) : null,
        store.client.sismember(this.historyKey(ip, buckets, user), this.passwordHash(state.req.fields.password)),
        // a failed read is not the request's failure: the count at the end reads the list again
        ip ? this.tolerations.list().then((list) => this.tolerationLists.set(state, list), () => undefined) : undefined,
      ]).then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e })),
      take(false),
    ]);
    const firstTaken = (): HeldSlots => {
      const got = first.map((r) => r.status === 'fulfilled' && Number(r.value[0]) === 1);
      return { member, buckets: buckets.filter((_, i) => got[i]), networks: networks.filter((_, i) => got[i]) };
    };
    if (!reads.ok) {
      this.giveBack(firstTaken());
      throw reads.e;
    }
    const [stored, seen] = reads.v;
    if (this.soft && this.soft.coversStored('brute_force', user, ip, stored)) {
      this.giveBack(firstTaken());
      this.softExempt.add(state);
      return { result: 'soft whitelisted' };
    }
    const repeating = seen === 1;
    // Nauthilus 3.0 (CheckRepeatingBruteForcer): a banned network is refused for the ban time, tolerated or not
    const banned = await this.banOf(buckets, networks);
    if (banned) {
      this.giveBack(firstTaken());
      return { result: 'blocked (banned)', decision: 'fail', luaFields: { brute_force_bucket: banned.bucket.name, brute_force_counter: banned.counter, client_net: ip ? banned.network : '', repeating } };
    }
    let early: Array<PromiseSettledResult<SlotReply>> | undefined = first;
    for (let delay = WAIT_MIN_MS; ; delay = Math.min(delay * 2, WAIT_MAX_MS)) {
      const replies = early ?? await take(repeating);
      let verdicts = replies.map((r) => (r.status === 'fulfilled' ? Number(r.value[0]) : -1));
      if (early && repeating) {
        // a repeated password holds nothing: the slots the first take got go back, and "full" reads as what a
        // check alone answers (the counter is below the limit: go on)
        this.giveBack(firstTaken());
        verdicts = verdicts.map((v) => (v === 2 ? 1 : v));
      }
      early = undefined;
      if (verdicts.every((v) => v === 1)) {
        if (!repeating) this.held.set(state, { member, buckets, networks });
        const how = tolerated ? ' (tolerated)' : repeating ? ' (repeating a known wrong password)' : '';
        return { result: `pass${how}`, luaFields: { repeating } };
      }
      // not every bucket let it through: whatever it got goes back before it is refused or waits
      // (without waking other waiters: a request that will wait itself frees nothing for long, and waking
      // them here would let waiters of several buckets wake each other in a loop)
      if (!repeating) this.giveBack({ member, buckets: buckets.filter((_, i) => verdicts[i] === 1), networks: networks.filter((_, i) => verdicts[i] === 1) }, false);
      const failed = replies.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const blocked = verdicts.indexOf(0);
      if (blocked >= 0 && tolerated === undefined && ip) {
        const answer = await this.tolerations.isTolerated(ip, this.tolerationScope(ip), this.tolerationConfig);
        tolerated = answer === 'yes';
        tolerations = answer !== 'off';
        if (tolerated) continue;
      }
      if (blocked >= 0 && tolerations) {
        // from now on tolerations no longer open these networks (until their counters expire)
        await Promise.all(buckets.map((b, i) => (verdicts[i] === 0
          ? store.runScript(MARK_BLOCKED, [this.counterKey(b, networks[i]), this.blockedKey(b, networks[i])], [])
          : undefined)));
      }
      if (blocked >= 0) {
        const count = Number((replies[blocked] as PromiseFulfilledResult<SlotReply>).value[1]);
        await this.ban(buckets[blocked], networks[blocked]);
        if (ip) await this.recordRefusal(buckets[blocked], networks[blocked], ip, user);
        return {
          result: 'blocked',
          decision: 'fail',
          luaFields: { brute_force_bucket: buckets[blocked].name, brute_force_counter: count, client_net: ip ? networks[blocked] : '', repeating },
        };
      }
      // a temporary failure (never a pass): the slots stayed taken for a whole script timeout
      if (Date.now() + delay > giveUpAt) throw new AuthStudioError('AS_ERR_POOL_BUSY', `brute force: more logins of ${networks.join(', ')} are being verified at once than the bucket allows; none finished within ${state.timeout} ms`);
      await this.sleep(delay);
    }
  }

  /** The first ban among the networks of `buckets` (Nauthilus 3.x buckets only), with its bucket's counter. */
  private async banOf(buckets: BruteForceBucket[], networks: string[]): Promise<{ bucket: BruteForceBucket; network: string; counter: number } | undefined> {
    const idx = buckets.map((b, i) => (b.banTimeSec ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) return undefined;
    const client = this.redis().client;
    // one GET per network (on a Redis Cluster the keys live in different slots)
    const bans = await Promise.all(idx.map((i) => client.get(bruteForceBanKey(networks[i]))));
    const hit = bans.findIndex((v) => v !== null);
    if (hit < 0) return undefined;
    const i = idx[hit];
    const bucket = this.config.buckets.find((b) => b.name === bans[hit]) ?? buckets[i];
    return { bucket, network: networks[i], counter: Number((await client.get(this.counterKey(bucket, networks[i]))) ?? 0) };
  }

  /** Nauthilus 3.0 setPreResultBruteForceRedis: SET NX with the ban time, and the network in the blocked index. */
  private async ban(b: BruteForceBucket, network: string): Promise<void> {
    if (!b.banTimeSec) return;
    const now = Date.now();
    const redis = this.redis();
    await redis.client.set(bruteForceBanKey(network), b.name, 'EX', b.banTimeSec, 'NX');
    await redis.batch([
      ['zadd', BLOCKED_INDEX, now + b.banTimeSec * 1000, `${b.name}|${network}`],
      ['pexpire', BLOCKED_INDEX, this.indexTtl * 1000],
    ], true);
  }

  /**
   * What Nauthilus writes when a bucket refuses a login (bruteforce.go setPreResultBruteForceRedis,
   * updateAffectedAccount): the network in the BRUTEFORCE hash, the account in AFFECTED_ACCOUNTS and the client
   * address in PW_HIST_IPS:<account>, so its list and flush (and the Protection panel) find them. One command per
   * key: on a Redis Cluster they live in different slots. Here the address list lapses with the longest period.
   */
  private async recordRefusal(b: BruteForceBucket, network: string, ip: string, user: string): Promise<void> {
    const client = this.redis().client;
    await client.hset(NAUTHILUS_BLOCKED_HASH, network, b.name);
    if (!user) return;
    await client.sadd(AFFECTED_ACCOUNTS, user);
    await client.sadd(pwHistIpsKey(user), ip);
    await client.expire(pwHistIpsKey(user), this.indexTtl);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeSleepers(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /**
   * Free the slots of `slots`. Nobody waits for the answer: the scripts start now, in order before any later call
   * of this thread (a waiter's next take finds the slot free), and a failure leaves the slot to lapse (lapseMs),
   * as a slot of a process that died does. `wake`: waiters of this thread try again.
   */
  private giveBack(slots: HeldSlots, wake = true): void {
    if (slots.buckets.length === 0) return;
    const store = this.redis();
    for (let i = 0; i < slots.buckets.length; i++) {
      store.runScriptDetached(GIVE_BACK_SLOT, [this.slotsKey(slots.buckets[i], slots.networks[i])], [slots.member]);
    }
    if (wake) this.wakeSleepers();
  }

  private historyKey(ip: string, buckets: BruteForceBucket[], username: string): string {
    const widest = buckets.reduce((a, b) => (b.cidr < a.cidr ? b : a));
    return `bf:pw:${this.networkFor(ip, widest)}:${username.toLowerCase()}`;
  }

  private passwordHash(password: string): string {
    return crypto.hash('sha256', `${this.nonce}\0${password}`, 'hex').slice(0, 16);
  }

  /**
   * Once the decision is known (on every path): a new wrong password turns the slots into counts; otherwise
   * they go back. `state.passwordJudged` says whether a backend (or the empty-password rule) judged it.
   */
  async afterDecision(out: AuthOutcome, state: StageState): Promise<void> {
    const ip = state.req.fields.client_ip;
    const judged = state.passwordJudged === true && state.req.mode === 'auth' && out.decision !== 'tempfail';
    // Nauthilus counts every judged login for tolerations (an empty password is refused before that), alongside
    // the slots below; a Redis error there only loses one count (Nauthilus logs it and goes on)
    const recording = judged && ip && state.req.fields.password !== ''
      ? this.tolerations.record(ip, this.tolerationScope(ip), state.req.fields.username, out.decision === 'ok', this.tolerationConfig, this.tolerationLists.get(state)).catch(() => undefined)
      : undefined;
    this.tolerationLists.delete(state);
    try {
      await this.settle(out, state, judged);
    } finally {
      await recording;
    }
  }

  /** The request's slots become counts (a new wrong password) or go back. */
  private async settle(out: AuthOutcome, state: StageState, judged: boolean): Promise<void> {
    let held = this.held.get(state);
    this.held.delete(state);
    const soft = this.softExempt.has(state);
    this.softExempt.delete(state);
    const ip = state.req.fields.client_ip;
    const failedLogin = out.decision === 'fail' && judged && !(ip && this.allow.has(ip));
    if (!failedLogin) {
      // nobody waits for this: the answer goes out now, the slots go back in order before this thread's next take
      if (held) this.giveBack(held);
      return;
    }
    const buckets = this.bucketsFor(ip, state.req.fields.protocol);
    if (buckets.length === 0) return;
    const redis = this.redis();
    const histKey = this.historyKey(ip, buckets, state.req.fields.username);
    const pwHash = this.passwordHash(state.req.fields.password);
    const [added, , size] = (await redis.batch([['sadd', histKey, pwHash], ['expire', histKey, this.historyTtl], ['scard', histKey]], true)) as number[];
    if (size > HISTORY_MAX) await redis.client.spop(histKey);
    // a soft-whitelisted request holds no slot: counting one that was never taken only increments the counter
    if (soft && !held) held = { member: state.req.session, buckets, networks: buckets.map((b) => this.networkFor(ip, b)) };
    if (added === 0 || !held) {
      // the same wrong password again (maybe a parallel twin got here first): it counts once
      if (held) this.giveBack(held);
      state.base.repeating = true;
      out.trace.push({ stage: 'brute_force', name: 'brute_force', duration_ms: 0, result: 'repeating', logs: {} });
      return;
    }
    try {
      const counts = await Promise.all(held.buckets.map((b, i) => redis.runScript(
        COUNT_SLOT, [this.counterKey(b, held.networks[i]), this.slotsKey(b, held.networks[i])], [held.member, b.periodSec],
      )));
      const now = Date.now();
      for (let i = 0; i < held.buckets.length; i++) {
        const b = held.buckets[i];
        if (Number(counts[i]) !== b.failedRequests) continue;
        // the index holds networks blocked within the longest period: expired entries go as new ones come,
        // and the key itself expires after a quiet period (an attack from rotating networks cannot grow it forever)
        await redis.batch([
          ['zremrangebyscore', BLOCKED_INDEX, '-inf', now],
          ['zadd', BLOCKED_INDEX, now + b.periodSec * 1000, `${b.name}|${held.networks[i]}`],
          ['pexpire', BLOCKED_INDEX, this.indexTtl * 1000],
        ], true);
      }
    } finally {
      this.wakeSleepers();
    }
  }

  /** Blocked networks with their bucket, counter and remaining time. */
  async list(): Promise<BlockedEntry[]> {
    const client = this.redis().client;
    const now = Date.now();
    await client.zremrangebyscore(BLOCKED_INDEX, '-inf', now);
    const flat = await client.zrangebyscore(BLOCKED_INDEX, now, '+inf', 'WITHSCORES');
    const out: BlockedEntry[] = [];
    for (let j = 0; j < flat.length; j += 2) {
      const m = flat[j];
      const until = Number(flat[j + 1]);
      const [bucketName, network] = m.split('|');
      const bucket = this.config.buckets.find((b) => b.name === bucketName);
      if (!bucket) continue;
      const key = bruteForceCounterKey(bucketName, network);
      const [count, ttl, banTtl] = await Promise.all([client.get(key), client.ttl(key), bucket.banTimeSec ? client.ttl(bruteForceBanKey(network)) : -2]);
      if (count === null && banTtl <= 0) {
        await client.zrem(BLOCKED_INDEX, m);
        continue;
      }
      // a Nauthilus 3.x ban outlives the counter: its time left is the ban's
      const banTime = bucket.banTimeSec ?? bucket.periodSec;
      out.push({
        bucket: bucketName, network, counter: Number(count ?? 0), limit: bucket.failedRequests, ttl_seconds: Math.max(ttl, banTtl),
        ban_time_seconds: banTime, blocked_at: until - banTime * 1000,
      });
    }
    return out;
  }

  /**
   * Unblock `ip` for one rule (bucket name) or all (`*`), as Nauthilus 1.10's brute-force flush does
   * (core/rest.go processBruteForceRules): the bucket counters of the address's networks, their entry in the
   * BRUTEFORCE hash when it names the rule (or the rule is `*`), and the toleration keys bf:TR:<ip>[:P|:N].
   * Returns the networks cleared; the names of the keys deleted go to `removedKeys`.
   */
  async flush(ip: string, rule: string, removedKeys: string[] = []): Promise<Array<{ bucket: string; network: string; removed: boolean }>> {
    const client = this.redis().client;
    const buckets = this.config.buckets.filter((b) => (rule === '*' || b.name === rule) && (net.isIP(ip) === 6 ? b.ipv6 : b.ipv4));
    const out: Array<{ bucket: string; network: string; removed: boolean }> = [];
    const del = async (key: string): Promise<boolean> => {
      const n = await client.del(key);
      if (n > 0) removedKeys.push(key);
      return n > 0;
    };
    for (const b of buckets) {
      const network = networkOf(ip, b.cidr);
      // the counter and its "blocked" mark in one atomic step (a refusal racing the flush cannot leave a mark)
      const counterKey = this.counterKey(b, network);
      const counter = Number(await this.redis().runScript(FORGET, [counterKey, this.blockedKey(b, network)], [])) > 0;
      if (counter) removedKeys.push(counterKey);
      const ban = await del(bruteForceBanKey(network));
      await client.zrem(BLOCKED_INDEX, `${b.name}|${network}`);
      const named = await client.hget(NAUTHILUS_BLOCKED_HASH, network);
      if (named !== null && (rule === '*' || named === rule) && (await client.hdel(NAUTHILUS_BLOCKED_HASH, network)) > 0) removedKeys.push(`${NAUTHILUS_BLOCKED_HASH}[${network}]`);
      out.push({ bucket: b.name, network, removed: counter || ban });
    }
    for (const suffix of ['', ':P', ':N']) await del(`bf:TR:${ip}${suffix}`);
    // forget the failed-password history of the client's networks too (every master of a Redis Cluster)
    for (const b of buckets) {
      const keys = await this.redis().scanKeys(`bf:pw:${networkOf(ip, b.cidr)}:*`);
      await this.redis().deleteKeys(keys);
    }
    return out;
  }

  /** Accounts refused from blocked networks (AFFECTED_ACCOUNTS) whose address list has not lapsed. */
  async affectedAccounts(): Promise<AffectedAccount[]> {
    const client = this.redis().client;
    const out: AffectedAccount[] = [];
    for (const account of (await client.smembers(AFFECTED_ACCOUNTS)).sort()) {
      const [ips, ttl] = await Promise.all([client.smembers(pwHistIpsKey(account)), client.ttl(pwHistIpsKey(account))]);
      if (ips.length === 0) {
        await client.srem(AFFECTED_ACCOUNTS, account);
        continue;
      }
      out.push({ account, ip_addresses: ips.sort(), ttl_seconds: ttl });
    }
    return out;
  }

  /**
   * Unblock an account as Nauthilus 1.10's user flush does (core/rest.go processUserCmd): every address it was
   * refused from is flushed for all buckets, then PW_HIST_IPS:<account> goes and the account leaves AFFECTED_ACCOUNTS.
   */
  async flushAccount(account: string, removedKeys: string[] = []): Promise<void> {
    const client = this.redis().client;
    for (const ip of await client.smembers(pwHistIpsKey(account))) if (net.isIP(ip)) await this.flush(ip, '*', removedKeys);
    if ((await client.del(pwHistIpsKey(account))) > 0) removedKeys.push(pwHistIpsKey(account));
    if ((await client.srem(AFFECTED_ACCOUNTS, account)) > 0) removedKeys.push(`${AFFECTED_ACCOUNTS}[${account}]`);
  }
}
