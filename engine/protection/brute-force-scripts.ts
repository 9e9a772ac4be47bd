// The brute-force counter's two atomic steps: take a slot before the password is verified, give it back
// when the login did not turn out to be a new wrong password.
//
//   reserve(counter, limit, ttl, take): counter >= limit --> {0, counter}   (blocked; nothing changes)
//                                       take = 0         --> {1, counter}   (check only: a repeated password)
//                                       else             --> {1, counter+1} (the slot is this request's; a new
//                                                                            counter lives `ttl` seconds)
//   release(counter): counter > 0 --> counter-1 (the TTL stays); an expired counter is not created again
//
// Taking the slot in the same step as the check is what keeps parallel guesses from all passing a check
// made before any of them was counted.
import { defineAtomicScript } from '../redis/atomic-script';

export const RESERVE_SLOT = defineAtomicScript({
  name: 'bf_reserve_slot',
  lua: `
local n = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if n >= tonumber(ARGV[1]) then return {0, n} end
if ARGV[3] == '0' then return {1, n} end
n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {1, n}
`,
  async local(client, [key], [limit, ttl, take]) {
    let n = Number((await client.get(key)) ?? 0) || 0;
    if (n >= Number(limit)) return [0, n];
    if (String(take) === '0') return [1, n];
    n = await client.incr(key);
    if ((await client.ttl(key)) < 0) await client.expire(key, Number(ttl));
    return [1, n];
  },
});

export const RELEASE_SLOT = defineAtomicScript({
  name: 'bf_release_slot',
  lua: `
local n = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`,
  async local(client, [key]) {
    const n = Number((await client.get(key)) ?? 0) || 0;
    return n > 0 ? client.decr(key) : 0;
  },
});
