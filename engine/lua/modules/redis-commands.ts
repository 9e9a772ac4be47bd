// `nauthilus_redis` key, string and hash commands: one host function each, first argument the pool name.
import type { HostFunction } from '../module';
import { checkArg, ret } from '../values';
import {
  type RedisRunner, notNil, strArg, valueArg, numArg, intArg, restArgs, invalidArgCount, toNumber, listValues, goString, tableEntries,
} from './redis-runner';

/** ioredis and ioredis-mock share these method names; variadic calls need the loose signature. */
export type Cmds = Record<string, (...args: unknown[]) => Promise<any>>;
export const cmds = (c: unknown): Cmds => c as Cmds;

/**
 * Convert a string reply to the type a script asked for (Nauthilus' optional type argument of
 * redis_get/redis_hget). An empty string is nil, as in Nauthilus.
 */
export function typedReply(v: string, type: string): unknown {
  if (type === 'nil') return undefined;
  if (type !== 'string' && type !== 'number' && type !== 'bool' && type !== 'boolean') {
    throw new Error(`unable to convert string command of type ${type}`);
  }
  if (v === '') return undefined;
  if (type === 'string') return v;
  if (type === 'number') {
    // Go's strconv.ParseFloat: decimal, inf/infinity/nan; no spaces, no bare hex
    const t = v;
    if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(t)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new Error(`strconv.ParseFloat: parsing "${v}": invalid syntax`);
    return Number(t);
  }
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/** SET options from Nauthilus' options table: nx, xx, get, keepttl, ex, px, exat, pxat. */
function setOptions(opts: Record<string, unknown>): string[] {
  const out: string[] = [];
  const pos = (k: string) => (typeof opts[k] === 'number' && (opts[k] as number) > 0 ? Math.trunc(opts[k] as number) : 0);
  if (opts.keepttl === true) out.push('KEEPTTL');
  else if (pos('pxat')) out.push('PXAT', String(pos('pxat')));
  else if (pos('exat')) out.push('EXAT', String(pos('exat')));
  else if (pos('px')) out.push('PX', String(pos('px')));
  else if (pos('ex')) out.push('EX', String(pos('ex')));
  if (opts.xx === true) out.push('XX');
  else if (opts.nx === true) out.push('NX');
  if (opts.get === true) out.push('GET');
  return out;
}

/** Fields of a call given either as varargs or (Nauthilus 1.12) as one Lua list, whose items are taken as text. */
function fieldsOf(fn: string, first: number, args: unknown[]): string[] {
  if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
    return listValues(fn, first, args[0]).map(goString);
  }
  return restArgs(fn, first, args, strArg);
}

/** GET, SET, INCR, DEL, RENAME, EXPIRE, EXISTS, MGET, MSET, KEYS, SCAN, PING. */
export function keyCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_ping: (pool: string) => r.reply(pool, 'PING', [], (c) => c.ping()),
    redis_get: (pool: string, key: unknown, type: unknown) => {
      const k = strArg('redis_get', 2, key);
      checkArg('redis_get', 3, type, 'string', 'nil');
      return r.reply(pool, 'GET', [k], (c) => c.get(k), (v) => typedReply(notNil(v), (type as string) ?? 'string'));
    },
    redis_set: (pool: string, key: unknown, value: unknown, expire: unknown) => {
      const k = strArg('redis_set', 2, key);
      const v = valueArg('redis_set', 3, value);
      checkArg('redis_set', 4, expire, 'number', 'table', 'nil');
      if (typeof expire === 'object' && expire !== null) {
        const extra = setOptions(expire as Record<string, unknown>);
        // options path: a nil reply (NX/XX not met, GET without old value) is a plain nil, not an error
        return r.reply(pool, 'SET', [k], (c) => cmds(c).set(k, v, ...extra), (res) => res ?? undefined);
      }
      // Nauthilus: a zero or negative expiration sets the key without one (go-redis sends no EX)
      const ttl = typeof expire === 'number' ? Math.trunc(expire) : 0;
      return r.reply(pool, 'SET', [k], (c) => (ttl > 0 ? c.set(k, v, 'EX', ttl) : c.set(k, v)));
    },
    redis_incr: (pool: string, key: unknown) => {
      const k = strArg('redis_incr', 2, key);
      return r.reply(pool, 'INCR', [k], (c) => c.incr(k));
    },
    redis_del: (pool: string, key: unknown, ...more: unknown[]) => {
      const keys = [strArg('redis_del', 2, key), ...restArgs('redis_del', 3, more, strArg)];
      return r.reply(pool, 'DEL', keys, (c) => c.del(...keys));
    },
    redis_rename: (pool: string, from: unknown, to: unknown) => {
      const a = strArg('redis_rename', 2, from);
      const b = strArg('redis_rename', 3, to);
      return r.reply(pool, 'RENAME', [a, b], (c) => c.rename(a, b));
    },
    redis_expire: (pool: string, key: unknown, seconds: unknown) => {
      const k = strArg('redis_expire', 2, key);
      const s = intArg('redis_expire', 3, seconds);
      return r.reply(pool, 'EXPIRE', [k], (c) => c.expire(k, s), (n) => n === 1);
    },
    redis_exists: (pool: string, key: unknown, ...more: unknown[]) => {
      const keys = [strArg('redis_exists', 2, key), ...restArgs('redis_exists', 3, more, strArg)];
      return r.reply(pool, 'EXISTS', keys, (c) => c.exists(...keys));
    },
    redis_mget: (pool: string, ...keys: unknown[]) => {
      const ks = restArgs('redis_mget', 2, keys, strArg);
      if (ks.length === 0) return Promise.resolve(invalidArgCount());
      // Nauthilus returns a table keyed by key name; missing keys are simply absent (nil)
      return r.reply(pool, 'MGET', ks, (c) => c.mget(...ks), (vals: Array<string | null>) => Object.fromEntries(ks.map((k, i) => [k, vals[i]])));
    },
    redis_mset: (pool: string, ...kv: unknown[]) => {
      if (kv.length < 2 || kv.length % 2 !== 0) return Promise.resolve(invalidArgCount());
      // Nauthilus converts keys and values alike (convert.LuaValue): a boolean key is "1"/"0"
      const args = kv.map((v, i) => valueArg('redis_mset', i + 2, v));
      return r.reply(pool, 'MSET', args.filter((_, i) => i % 2 === 0), (c) => cmds(c).mset(...args));
    },
    redis_keys: (pool: string, pattern: unknown) => {
      const p = strArg('redis_keys', 2, pattern);
      return r.reply(pool, 'KEYS', [p], (c) => c.keys(p));
    },
    redis_scan: (pool: string, cursor: unknown, match: unknown, count: unknown) => {
      const cur = intArg('redis_scan', 2, cursor);
      checkArg('redis_scan', 3, match, 'string', 'nil');
      const n = count === undefined || count === null ? 10 : intArg('redis_scan', 4, count);
      const m = (match as string | undefined) ?? '*';
      return r.reply(pool, 'SCAN', [m], (c) => c.scan(String(cur), 'MATCH', m, 'COUNT', n), ([next, keys]: [string, string[]]) => ({
        cursor: Number(next),
        keys,
      }));
    },
  };
}

/** HGET, HSET, HDEL, HLEN, HGETALL, HMGET, HINCRBY, HINCRBYFLOAT, HEXISTS. */
export function hashCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_hget: (pool: string, key: unknown, field: unknown, type: unknown) => {
      const k = strArg('redis_hget', 2, key);
      const f = strArg('redis_hget', 3, field);
      checkArg('redis_hget', 4, type, 'string', 'nil');
      return r.reply(pool, 'HGET', [k], (c) => c.hget(k, f), (v) => typedReply(notNil(v), (type as string) ?? 'string'));
    },
    redis_hset: (pool: string, key: unknown, ...rest: unknown[]) => {
      const k = strArg('redis_hset', 2, key);
      let args: string[];
      if (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null) {
        // Nauthilus 1.12: one table of field = value (a list's fields are its indices 1, 2, ...)
        args = tableEntries(rest[0]).flatMap(([f, v]) => [f, valueArg('redis_hset', 3, v)]);
        if (args.length === 0) return Promise.resolve(ret(0)); // Nauthilus 1.12: an empty table adds nothing
      } else {
        if (rest.length < 2 || rest.length % 2 !== 0) return Promise.resolve(invalidArgCount());
        args = rest.map((v, i) => (i % 2 === 0 ? strArg('redis_hset', i + 3, v) : valueArg('redis_hset', i + 3, v)));
      }
      return r.reply(pool, 'HSET', [k], (c) => cmds(c).hset(k, ...args));
    },
    redis_hdel: (pool: string, key: unknown, ...fields: unknown[]) => {
      const k = strArg('redis_hdel', 2, key);
      const fs = fieldsOf('redis_hdel', 3, fields);
      // 1.10: no field at all is "Invalid number of arguments"; 1.12: an empty table removes nothing
      if (fs.length === 0) return Promise.resolve(fields.length === 1 ? ret(0) : invalidArgCount());
      return r.reply(pool, 'HDEL', [k], (c) => c.hdel(k, ...fs));
    },
    redis_hlen: (pool: string, key: unknown) => {
      const k = strArg('redis_hlen', 2, key);
      return r.reply(pool, 'HLEN', [k], (c) => c.hlen(k));
    },
    redis_hgetall: (pool: string, key: unknown) => {
      const k = strArg('redis_hgetall', 2, key);
      return r.reply(pool, 'HGETALL', [k], (c) => c.hgetall(k));
    },
    redis_hmget: (pool: string, key: unknown, ...fields: unknown[]) => {
      const k = strArg('redis_hmget', 2, key);
      const fs = fieldsOf('redis_hmget', 3, fields);
      if (fs.length === 0) return Promise.resolve(fields.length === 1 ? ret({}) : invalidArgCount());
      return r.reply(pool, 'HMGET', [k], (c) => c.hmget(k, ...fs), (vals: Array<string | null>) => Object.fromEntries(fs.map((f, i) => [f, vals[i]])));
    },
    redis_hincrby: (pool: string, key: unknown, field: unknown, by: unknown) => {
      const k = strArg('redis_hincrby', 2, key);
      const f = strArg('redis_hincrby', 3, field);
      const n = intArg('redis_hincrby', 4, by);
      return r.reply(pool, 'HINCRBY', [k], (c) => c.hincrby(k, f, n));
    },
    redis_hincrbyfloat: (pool: string, key: unknown, field: unknown, by: unknown) => {
      const k = strArg('redis_hincrbyfloat', 2, key);
      const f = strArg('redis_hincrbyfloat', 3, field);
      const n = numArg('redis_hincrbyfloat', 4, by);
      return r.reply(pool, 'HINCRBYFLOAT', [k], (c) => c.hincrbyfloat(k, f, n), toNumber);
    },
    redis_hexists: (pool: string, key: unknown, field: unknown) => {
      const k = strArg('redis_hexists', 2, key);
      const f = strArg('redis_hexists', 3, field);
      return r.reply(pool, 'HEXISTS', [k], (c) => c.hexists(k, f), (n) => n === 1);
    },
  };
}
