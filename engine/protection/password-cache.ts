// The positive password cache (`server.backends: [cache, lua]`): a successful backend result per login name
// in Redis, with a SHA-256 of nonce + password (never the password). A changed password misses.
import crypto from 'node:crypto';
import type { RedisStore } from '../redis/store';
import type { AuthRequest } from '../pipeline/auth-request';
import type { BackendOutcome, PasswordCache } from '../pipeline/extensions';

export class RedisPasswordCache implements PasswordCache {
  constructor(private readonly redis: () => RedisStore, private readonly nonce: string, private readonly ttlSec: number) {}

  private key(cacheName: string, username: string): string {
    // the exact login name: a backend may tell "Carol" and "carol" apart, and a hit must never answer for another account
    return `cache:${cacheName}:${username}`;
  }

  private hash(password: string): string {
    return crypto.createHash('sha256').update(this.nonce).update('\0').update(password).digest('hex');
  }

  async lookup(cacheName: string, req: AuthRequest): Promise<BackendOutcome | undefined> {
    const entry = await this.redis().client.hgetall(this.key(cacheName, req.fields.username));
    if (!entry || !entry.pw || !entry.result) return undefined;
    const want = Buffer.from(entry.pw, 'hex');
    const got = Buffer.from(this.hash(req.fields.password), 'hex');
    if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) return undefined;
    try {
      const result = JSON.parse(entry.result) as BackendOutcome;
      return { ...result, authenticated: true, backend: 'cache' };
    } catch {
      return undefined;
    }
  }

  async store(cacheName: string, req: AuthRequest, result: BackendOutcome): Promise<void> {
    if (!result.authenticated) return;
    const key = this.key(cacheName, req.fields.username);
    const account = result.account_field ? result.attributes[result.account_field] : undefined;
    const acct = (Array.isArray(account) ? account[0] : account) ?? req.fields.username;
    const { backend: _backend, ...plain } = result;
    const byAccount = `cache:index:${acct.toLowerCase()}`;
    const byLogin = `cache:index:${req.fields.username.toLowerCase()}`;
    await this.redis().batch([
      ['hset', key, 'pw', this.hash(req.fields.password), 'result', JSON.stringify(plain), 'account', acct],
      ['expire', key, this.ttlSec],
      ['sadd', byAccount, key],
      ['expire', byAccount, this.ttlSec],
      ['sadd', byLogin, key],
      ['expire', byLogin, this.ttlSec],
    ], true);
  }

  /** Remove every cached entry of a user (login name or account). Returns how many were removed. */
  async flush(user: string): Promise<number> {
    const store = this.redis();
    const index = `cache:index:${user.toLowerCase()}`;
    const keys = await store.client.smembers(index);
    // entries of several logins live in several Redis Cluster slots: one DEL per slot
    const removed = await store.deleteKeys(keys);
    await store.client.del(index);
    return removed;
  }
}
