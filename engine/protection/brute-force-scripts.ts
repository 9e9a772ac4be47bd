// The brute-force bucket's atomic steps. Per bucket and network two keys: the counter of wrong passwords
// (`bf:<bucket>:<network>`, as before) and the slots of logins whose password is being verified right now
// (a sorted set `{<prefix>bf:<bucket>:<network>}:inflight`, one Redis Cluster slot with the counter;
// member = request, score = when the slot lapses).
//
//   take(counter, slots, blocked, limit, now, lapse_at, member, check_only, tolerated)
//       tolerated (Nauthilus 1.10 tolerations) and no "blocked" mark
//                                        --> {1, counter}  go on past the limit (a slot unless check_only)
//       counter >= limit                 --> {0, counter}  blocked: refuse
//       check_only (a repeated password) --> {1, counter}  go on, nothing held
//       counter + live slots >= limit    --> {2, counter}  full: wait for a slot (a verdict may free one)
//       else add the slot                --> {1, counter}  go on: this request may verify one password
//   count(counter, slots, member, period) --> counter + 1: the slot became a wrong password (the first one
//                                             starts the period)
//   give_back(slots, member)               --> the slot is free again (right password, repeat, refused, error)
//   mark_blocked(counter, blocked)         --> a request was refused: from now on the network is blocked even
//                                             for tolerated addresses, until the counter expires (Nauthilus'
//                                             "already triggered" pre-result)
//
// Checking and taking in one step is what stops parallel guesses from all passing a check made before any
// of them was counted; the slots keep right passwords from being refused while wrong ones are in flight
// (they wait instead). A slot that is never given back (a crashed process) lapses at `lapse_at`.
import { defineAtomicScript } from '../redis/atomic-script';

export const TAKE_SLOT = defineAtomicScript({
  name: 'bf_take_slot',
  lua: `
local n = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local limit = tonumber(ARGV[1])
local tolerated = ARGV[6] == '1' and redis.call('EXISTS', KEYS[3]) == 0
if n >= limit and not tolerated then return {0, n} end
if ARGV[5] == '1' then return {1, n} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if n + redis.call('ZCARD', KEYS[2]) >= limit and not tolerated then return {2, n} end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return {1, n}
`,
  async local(client, [counter, slots, blocked], [limit, now, lapseAt, member, checkOnly, toleratedArg]) {
    const n = Number((await client.get(counter)) ?? 0) || 0;
    const tolerated = String(toleratedArg) === '1' && (await client.exists(blocked)) === 0;
    if (n >= Number(limit) && !tolerated) return [0, n];
    if (String(checkOnly) === '1') return [1, n];
    await client.zremrangebyscore(slots, '-inf', now);
    if (n + (await client.zcard(slots)) >= Number(limit) && !tolerated) return [2, n];
    await client.zadd(slots, lapseAt, String(member));
    await client.pexpireat(slots, Number(lapseAt));
    return [1, n];
  },
});

export const MARK_BLOCKED = defineAtomicScript({
  name: 'bf_mark_blocked',
  lua: `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', ttl) end
return ttl
`,
  async local(client, [counter, blocked]) {
    const ttl = await client.pttl(counter);
    if (ttl > 0) await client.set(blocked, '1', 'PX', ttl);
    return ttl;
  },
});

export const COUNT_SLOT = defineAtomicScript({
  name: 'bf_count_slot',
  lua: `
redis.call('ZREM', KEYS[2], ARGV[1])
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return n
`,
  async local(client, [counter, slots], [member, period]) {
    await client.zrem(slots, String(member));
    const n = await client.incr(counter);
    if ((await client.ttl(counter)) < 0) await client.expire(counter, Number(period));
    return n;
  },
});

export const GIVE_BACK_SLOT = defineAtomicScript({
  name: 'bf_give_back_slot',
  lua: `return redis.call('ZREM', KEYS[1], ARGV[1])`,
  async local(client, [slots], [member]) {
    return client.zrem(slots, String(member));
  },
});

/**
 * Unblock (flush): the counter and the "blocked" mark go in one step, so a refusal marking the network blocked at
 * the same moment lands wholly before the flush (and is cleared) or wholly after it, never half on each side.
 * Returns 1 when the counter was there, else 0.
 */
export const FORGET = defineAtomicScript({
  name: 'bf_forget',
  lua: `
local n = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
return n
`,
  async local(client, [counter, blocked]) {
    const n = await client.del(counter);
    await client.del(blocked);
    return n;
  },
});
