// `nauthilus_redis` set, sorted-set, list and HyperLogLog commands.
import type { HostFunction } from '../module';
import { checkArg, fail, ret } from '../values';
import {
  type RedisRunner, notNil, strArg, valueArg, numArg, intArg, restArgs, toNumber, listValues, goString, lvAsNumber, tableEntries,
} from './redis-runner';
import { goRedisFloat } from '../go-number';
import { cmds } from './redis-commands';

/**
 * Values given as varargs (Nauthilus 1.10: convert.LuaValue, a table is the command's error), or as one Lua
 * list (Nauthilus 1.12: each item converted, a nested table taken as text).
 */
function valuesOf(fn: string, first: number, args: unknown[]): string[] {
  if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
    return listValues(fn, first, args[0]).map((v) => (typeof v === 'object' && v !== null ? goString(v) : valueArg(fn, first, v)));
  }
  return restArgs(fn, first, args, valueArg);
}

/** Nauthilus 1.12 answers a call without values with 0 and sends nothing. */
const noValues = () => Promise.resolve(ret(0));

/** SADD, SISMEMBER, SMEMBERS, SREM, SCARD. */
export function setCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_sadd: (pool: string, key: unknown, ...values: unknown[]) => {
      const k = strArg('redis_sadd', 2, key);
      const vs = valuesOf('redis_sadd', 3, values);
      if (vs.length === 0) return noValues();
      return r.reply(pool, 'SADD', [k], (c) => c.sadd(k, ...vs));
    },
    redis_sismember: (pool: string, key: unknown, value: unknown) => {
      const k = strArg('redis_sismember', 2, key);
      const v = valueArg('redis_sismember', 3, value);
      return r.reply(pool, 'SISMEMBER', [k], (c) => c.sismember(k, v), (n) => n === 1);
    },
    redis_smembers: (pool: string, key: unknown) => {
      const k = strArg('redis_smembers', 2, key);
      return r.reply(pool, 'SMEMBERS', [k], (c) => c.smembers(k));
    },
    redis_srem: (pool: string, key: unknown, ...values: unknown[]) => {
      const k = strArg('redis_srem', 2, key);
      const vs = valuesOf('redis_srem', 3, values);
      if (vs.length === 0) return noValues();
      return r.reply(pool, 'SREM', [k], (c) => c.srem(k, ...vs));
    },
    redis_scard: (pool: string, key: unknown) => {
      const k = strArg('redis_scard', 2, key);
      return r.reply(pool, 'SCARD', [k], (c) => c.scard(k));
    },
  };
}

const ZADD_TABLE = 'Expected a table of string-number pairs';

/**
 * ZADD arguments, members sorted by name as Nauthilus sorts them. One table (Nauthilus 1.10):
 * `{member = score}`, each key's text is the member (a list's are its indices "1", "2", ...) and each
 * value is read with LVAsNumber (a number, a numeric string, else 0). Varargs (Nauthilus 1.12):
 * `member, score, member, score, ...`. A string is returned for `nil, err` answers.
 */
function zaddArgs(rest: unknown[]): string[] | string {
  let pairs: Array<[string, number]>;
  if (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null) {
    pairs = tableEntries(rest[0]).map(([member, score]) => {
      if (member === '') throw new Error(`bad argument #1 to 'redis_zadd' (${ZADD_TABLE})`);
      return [member, lvAsNumber(score)];
    });
    if (pairs.length === 0) return "ERR wrong number of arguments for 'zadd' command";
  } else {
    if (rest.length < 2 || rest.length % 2 !== 0) return 'Invalid number of arguments';
    pairs = [];
    for (let i = 0; i < rest.length; i += 2) pairs.push([strArg('redis_zadd', i + 3, rest[i]), numArg('redis_zadd', i + 4, rest[i + 1])]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.flatMap(([member, score]) => [goRedisFloat(score), member]);
}

/** ZRANGEBYSCORE's LIMIT as go-redis sends it: only when offset or count is non-zero. */
function limitArgs(opts: unknown): string[] {
  checkArg('redis_zrangebyscore', 5, opts, 'table', 'nil');
  if (!opts) return [];
  const o = opts as Record<string, unknown>;
  const offset = Math.trunc(lvAsNumber(o.offset));
  const count = Math.trunc(lvAsNumber(o.count));
  return offset !== 0 || count !== 0 ? ['LIMIT', String(offset), String(count)] : [];
}

/** ZADD, ZREM, ZRANK, ZREVRANK, ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZCOUNT, ZSCORE, ZINCRBY. */
export function sortedSetCommands(r: RedisRunner): Record<string, HostFunction> {
  const range = (fn: string, cmd: 'zrange' | 'zrevrange') => (pool: string, key: unknown, start: unknown, stop: unknown) => {
    const k = strArg(fn, 2, key);
    const a = intArg(fn, 3, start);
    const b = intArg(fn, 4, stop);
    return r.reply(pool, cmd.toUpperCase(), [k], (c) => cmds(c)[cmd](k, a, b));
  };
  const rank = (fn: string, cmd: 'zrank' | 'zrevrank') => (pool: string, key: unknown, member: unknown) => {
    const k = strArg(fn, 2, key);
    const m = strArg(fn, 3, member);
    return r.reply(pool, cmd.toUpperCase(), [k], (c) => cmds(c)[cmd](k, m), notNil);
  };
  return {
    redis_zadd: (pool: string, key: unknown, ...rest: unknown[]) => {
      const k = strArg('redis_zadd', 2, key);
      const args = zaddArgs(rest);
      if (typeof args === 'string') return Promise.resolve(fail(args));
      return r.reply(pool, 'ZADD', [k], (c) => cmds(c).zadd(k, ...args));
    },
    redis_zrem: (pool: string, key: unknown, ...members: unknown[]) => {
      const k = strArg('redis_zrem', 2, key);
      // one table (Nauthilus 1.10): every value as text, an empty one raises; varargs (1.12): strings or numbers
      const ms = members.length === 1 && typeof members[0] === 'object' && members[0] !== null
        ? tableEntries(members[0]).map(([, v]) => {
          const m = goString(v);
          if (m === '') throw new Error("bad argument #1 to 'redis_zrem' (Expected a table of string values)");
          return m;
        })
        : restArgs('redis_zrem', 3, members, strArg);
      if (ms.length === 0) return noValues();
      return r.reply(pool, 'ZREM', [k], (c) => c.zrem(k, ...ms));
    },
    redis_zrank: rank('redis_zrank', 'zrank'),
    redis_zrevrank: rank('redis_zrevrank', 'zrevrank'),
    redis_zrange: range('redis_zrange', 'zrange'),
    redis_zrevrange: range('redis_zrevrange', 'zrevrange'),
    // Nauthilus 3.1: rows { member = ..., score = <number> }, highest score first
    redis_zrevrange_withscores: (pool: string, key: unknown, start: unknown, stop: unknown) => {
      const k = strArg('redis_zrevrange_withscores', 2, key);
      const a = intArg('redis_zrevrange_withscores', 3, start);
      const b = intArg('redis_zrevrange_withscores', 4, stop);
      return r.reply(pool, 'ZREVRANGE', [k], (c) => cmds(c).zrevrange(k, a, b, 'WITHSCORES'), (flat: string[]) => {
        const rows: Array<{ member: string; score: number }> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ member: flat[i], score: toNumber(flat[i + 1]) as number });
        return rows;
      });
    },
    redis_zrangebyscore: (pool: string, key: unknown, min: unknown, max: unknown, opts: unknown) => {
      const k = strArg('redis_zrangebyscore', 2, key);
      const lo = strArg('redis_zrangebyscore', 3, min);
      const hi = strArg('redis_zrangebyscore', 4, max);
      const limit = limitArgs(opts);
      return r.reply(pool, 'ZRANGEBYSCORE', [k], (c) => cmds(c).zrangebyscore(k, lo, hi, ...limit));
    },
    redis_zremrangebyscore: (pool: string, key: unknown, min: unknown, max: unknown) => {
      const k = strArg('redis_zremrangebyscore', 2, key);
      const lo = strArg('redis_zremrangebyscore', 3, min);
      const hi = strArg('redis_zremrangebyscore', 4, max);
      return r.reply(pool, 'ZREMRANGEBYSCORE', [k], (c) => c.zremrangebyscore(k, lo, hi));
    },
    redis_zremrangebyrank: (pool: string, key: unknown, start: unknown, stop: unknown) => {
      const k = strArg('redis_zremrangebyrank', 2, key);
      const a = intArg('redis_zremrangebyrank', 3, start);
      const b = intArg('redis_zremrangebyrank', 4, stop);
      return r.reply(pool, 'ZREMRANGEBYRANK', [k], (c) => c.zremrangebyrank(k, a, b));
    },
    redis_zcount: (pool: string, key: unknown, min: unknown, max: unknown) => {
      const k = strArg('redis_zcount', 2, key);
      const lo = strArg('redis_zcount', 3, min);
      const hi = strArg('redis_zcount', 4, max);
      return r.reply(pool, 'ZCOUNT', [k], (c) => c.zcount(k, lo, hi));
    },
    redis_zscore: (pool: string, key: unknown, member: unknown) => {
      const k = strArg('redis_zscore', 2, key);
      const m = strArg('redis_zscore', 3, member);
      return r.reply(pool, 'ZSCORE', [k], (c) => c.zscore(k, m), (v) => toNumber(notNil(v)));
    },
    redis_zincrby: (pool: string, key: unknown, by: unknown, member: unknown) => {
      const k = strArg('redis_zincrby', 2, key);
      const n = numArg('redis_zincrby', 3, by);
      const m = strArg('redis_zincrby', 4, member);
      return r.reply(pool, 'ZINCRBY', [k], (c) => c.zincrby(k, n, m), toNumber);
    },
  };
}

/** LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN. */
export function listCommands(r: RedisRunner): Record<string, HostFunction> {
  const push = (fn: string, cmd: 'lpush' | 'rpush') => (pool: string, key: unknown, ...values: unknown[]) => {
    const k = strArg(fn, 2, key);
    const vs = valuesOf(fn, 3, values);
    if (vs.length === 0) return noValues();
    return r.reply(pool, cmd.toUpperCase(), [k], (c) => cmds(c)[cmd](k, ...vs));
  };
  const pop = (fn: string, cmd: 'lpop' | 'rpop') => (pool: string, key: unknown) => {
    const k = strArg(fn, 2, key);
    return r.reply(pool, cmd.toUpperCase(), [k], (c) => cmds(c)[cmd](k), notNil);
  };
  return {
    redis_lpush: push('redis_lpush', 'lpush'),
    redis_rpush: push('redis_rpush', 'rpush'),
    redis_lpop: pop('redis_lpop', 'lpop'),
    redis_rpop: pop('redis_rpop', 'rpop'),
    redis_lrange: (pool: string, key: unknown, start: unknown, stop: unknown) => {
      const k = strArg('redis_lrange', 2, key);
      const a = intArg('redis_lrange', 3, start);
      const b = intArg('redis_lrange', 4, stop);
      return r.reply(pool, 'LRANGE', [k], (c) => c.lrange(k, a, b));
    },
    redis_llen: (pool: string, key: unknown) => {
      const k = strArg('redis_llen', 2, key);
      return r.reply(pool, 'LLEN', [k], (c) => c.llen(k));
    },
  };
}

/**
 * PFADD, PFCOUNT, PFMERGE. ioredis-mock has no HyperLogLog, so on the embedded Redis a set stands in
 * for it (exact counts instead of estimates); real servers get the real commands.
 */
export function hyperLogLogCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_pfadd: (pool: string, key: unknown, ...values: unknown[]) => {
      const k = strArg('redis_pfadd', 2, key);
      const vs = valuesOf('redis_pfadd', 3, values);
      if (r.isMock(pool)) {
        return r.reply(pool, 'PFADD', [k], async (c) => (vs.length ? await c.sadd(k, ...vs) : 0), (n) => (n > 0 ? 1 : 0));
      }
      return r.reply(pool, 'PFADD', [k], (c) => c.pfadd(k, ...vs));
    },
    redis_pfcount: (pool: string, ...keys: unknown[]) => {
      const ks = restArgs('redis_pfcount', 2, keys, strArg);
      if (ks.length === 0) return Promise.resolve(fail('at least one key required'));
      if (r.isMock(pool)) return r.reply(pool, 'PFCOUNT', ks, (c) => c.sunion(...ks), (m: string[]) => m.length);
      return r.reply(pool, 'PFCOUNT', ks, (c) => c.pfcount(...ks));
    },
    redis_pfmerge: (pool: string, dest: unknown, ...sources: unknown[]) => {
      const d = strArg('redis_pfmerge', 2, dest);
      const ss = restArgs('redis_pfmerge', 3, sources, strArg);
      if (ss.length === 0) return Promise.resolve(fail('at least one source key required'));
      if (r.isMock(pool)) return r.reply(pool, 'PFMERGE', [d, ...ss], (c) => c.sunionstore(d, d, ...ss), () => 'OK');
      return r.reply(pool, 'PFMERGE', [d, ...ss], (c) => c.pfmerge(d, ...ss));
    },
  };
}
