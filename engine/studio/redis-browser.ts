// The Redis key browser: scan with a pattern, show type/TTL/value, delete a key, flush the engine's namespace.
//
// Keys are shown as scripts name them: the configured prefix (ioredis keyPrefix) is added to SCAN patterns
// and stripped from results, because ioredis prefixes command keys but not SCAN's MATCH or its answers.
import type { Cluster } from 'ioredis';
import type { KeyInfo, KeyPage, KeyValue } from '../api/contract';
import { AuthStudioError } from '../errors/registry';
import type { RedisClient, RedisStore } from '../redis/store';

const MAX_ITEMS = 1000;
const MAX_STRING = 64 * 1024;

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.length > 4096) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'key must be a non-empty string', { path: 'key' });
  return key;
}

function wrap<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: Error) => {
    throw new AuthStudioError('AS_ERR_REDIS', `Redis: ${e.message}`, { cause: e });
  });
}

export class RedisBrowser {
  /** `store()` is read on every call: a Redis switch takes effect at once. */
  constructor(private readonly store: () => RedisStore) {}

  private get prefix(): string {
    return this.store().settings.prefix ?? '';
  }

  /** One page of keys matching `pattern` (a Redis glob); pass the returned cursor until it is "0". */
  async scan(opts: { pattern?: unknown; cursor?: unknown; count?: unknown } = {}): Promise<KeyPage> {
    const page = await this.scanNames(opts);
    return { cursor: page.cursor, keys: await Promise.all(page.names.map((k) => this.info(k))) };
  }

  private async scanNames(opts: { pattern?: unknown; cursor?: unknown; count?: unknown }): Promise<{ cursor: string; names: string[] }> {
    const pattern = opts.pattern === undefined || opts.pattern === '' ? '*' : opts.pattern;
    if (typeof pattern !== 'string' || pattern.length > 1024) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'pattern must be a string', { path: 'pattern' });
    const count = typeof opts.count === 'number' && opts.count >= 1 ? Math.min(MAX_ITEMS, Math.floor(opts.count)) : 100;
    const cursor = typeof opts.cursor === 'string' && /^\d+(:\d+)?$/.test(opts.cursor) ? opts.cursor : '0';
    const client = this.store().client;
    const match = globEscape(this.prefix) + pattern;
    let next: string;
    let raw: string[];
    if (this.store().mode === 'cluster') {
      // cursor "node:cursor" walks the masters one after the other
      const masters = (client as Cluster).nodes('master');
      const [n, c] = cursor.includes(':') ? cursor.split(':').map(Number) : [0, 0];
      const node = masters[n];
      if (!node) return { cursor: '0', names: [] };
      const [nc, keys] = await wrap(node.scan(String(c), 'MATCH', match, 'COUNT', count));
      raw = keys;
      next = nc !== '0' ? `${n}:${nc}` : n + 1 < masters.length ? `${n + 1}:0` : '0';
    } else if (this.store().mode === 'mock') {
      // ioredis-mock turns MATCH into a RegExp without escaping ( ) [ | {: scan everything, match the glob here
      const re = globToRegExp(match);
      [next, raw] = await wrap((client as RedisClient & { scan: (...a: unknown[]) => Promise<[string, string[]]> }).scan(cursor, 'COUNT', count));
      raw = raw.filter((k) => re.test(k));
    } else {
      [next, raw] = await wrap((client as RedisClient & { scan: (...a: unknown[]) => Promise<[string, string[]]> }).scan(cursor, 'MATCH', match, 'COUNT', count));
    }
    const names = raw.filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length));
    return { cursor: next, names: [...new Set(names)].sort() };
  }

  private async info(key: string): Promise<KeyInfo> {
    const client = this.store().client;
    const [type, ttl] = await wrap(Promise.all([client.type(key), client.ttl(key)]));
    return { key, type, ttl };
  }

  /** Type, TTL and value of one key (large values cut to the first 1000 items / 64 KiB). */
  async get(keyArg: unknown): Promise<KeyValue> {
    const key = checkKey(keyArg);
    const c = this.store().client;
    const { type, ttl } = await this.info(key);
    if (type === 'none') throw new AuthStudioError('AS_ERR_NOT_FOUND', `no key "${key}"`, { path: 'key' });
    let value: unknown = null;
    let truncated = false;
    switch (type) {
      case 'string': {
        const s = (await wrap(c.get(key))) ?? '';
        truncated = s.length > MAX_STRING;
        value = truncated ? s.slice(0, MAX_STRING) : s;
        break;
      }
      case 'hash': {
        const all = await wrap(c.hgetall(key));
        const entries = Object.entries(all).sort(([a], [b]) => a.localeCompare(b));
        truncated = entries.length > MAX_ITEMS;
        value = Object.fromEntries(entries.slice(0, MAX_ITEMS));
        break;
      }
      case 'list': {
        const [items, len] = await wrap(Promise.all([c.lrange(key, 0, MAX_ITEMS - 1), c.llen(key)]));
        value = items;
        truncated = len > items.length;
        break;
      }
      case 'set': {
        const members = (await wrap(c.smembers(key))).sort();
        truncated = members.length > MAX_ITEMS;
        value = members.slice(0, MAX_ITEMS);
        break;
      }
      case 'zset': {
        const [flat, len] = await wrap(Promise.all([c.zrange(key, 0, MAX_ITEMS - 1, 'WITHSCORES'), c.zcard(key)]));
        const out: Array<{ member: string; score: number }> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i], score: Number(flat[i + 1]) });
        value = out;
        truncated = len > out.length;
        break;
      }
      default:
        value = null; // streams and modules' types: shown by type and TTL only
    }
    return { key, type, ttl, value, truncated };
  }

  async del(keyArg: unknown): Promise<{ deleted: boolean }> {
    const key = checkKey(keyArg);
    return { deleted: (await wrap(this.store().client.del(key))) > 0 };
  }

  /**
   * Delete the engine's keys: every key under the configured prefix, or, without a prefix, every key of the
   * embedded store. A real Redis without a prefix is refused: its keys cannot be told from other programs'.
   */
  async flush(): Promise<{ deleted: number }> {
    const store = this.store();
    if (this.prefix === '') {
      if (store.mode !== 'mock') {
        throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'this Redis has no key prefix configured (server.redis.prefix): the engine\'s keys cannot be told from others, so nothing was flushed');
      }
      const n = await wrap(store.client.dbsize());
      await wrap(store.client.flushdb());
      return { deleted: n };
    }
    let deleted = 0;
    let cursor = '0';
    do {
      const page = await this.scanNames({ pattern: '*', cursor, count: 500 });
      cursor = page.cursor;
      if (page.names.length) deleted += await wrap(store.deleteKeys(page.names));
    } while (cursor !== '0');
    return { deleted };
  }
}

/** A Redis glob (`*`, `?`, `[...]`, `\\x`) as an anchored RegExp; every other character is literal. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i]);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else out += escapeRe(c);
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    // a class Redis accepts but RegExp does not (e.g. the reversed range [z-a]): match the text literally
    return new RegExp(`^${escapeRe(glob)}$`);
  }
}

function escapeRe(c: string): string {
  // escapes a single character or a whole string
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
