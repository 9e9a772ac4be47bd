// `nauthilus_password`: compare stored password hashes, generate hashes, check a password policy.
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { LuaModule } from '../module';
import { luaNumberText } from '../go-number';
import { checkArg, pair } from '../values';
import { HASHER_ROLE, verifyPassword, generateHash, type HasherAnswer, type HasherJob } from './password-schemes';

/** A hash that takes longer than this (absurd bcrypt/argon2 cost) fails instead of holding the thread. */
const JOB_TIMEOUT_MS = 30_000;

type Pending = { resolve: (v: boolean | string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * One worker thread for bcrypt, argon2 and crypt(3) work: a bcrypt verify costs ~65 ms of CPU, which
 * on the main thread would stall every other request. The thread is created on first use and does not
 * keep the process alive while idle.
 */
class HasherThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  run(op: HasherJob['op'], a: string, b: string): Promise<boolean | string> {
    const entry = require.resolve('./password-schemes');
    // run inline when this file is not compiled JS (a .ts loader cannot start the worker)
    if (!entry.endsWith('.js')) return op === 'verify' ? verifyPassword(a, b) : generateHash(a, b);
    const w = this.ensure(entry);
    return new Promise((resolve, reject) => {
      const id = ++this.seq;
      const timer = setTimeout(() => this.failAll(new Error(`password hashing took longer than ${JOB_TIMEOUT_MS / 1000} s`)), JOB_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, op, a, b } satisfies HasherJob);
    });
  }

  private ensure(entry: string): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(entry, { workerData: { role: HASHER_ROLE } });
    w.unref();
    w.on('message', (ans: HasherAnswer) => {
      const p = this.pending.get(ans.id);
      if (!p) return;
      this.pending.delete(ans.id);
      clearTimeout(p.timer);
      if (this.pending.size === 0) w.unref();
      if (ans.error !== undefined) p.reject(new Error(ans.error));
      else p.resolve(ans.value as boolean | string);
    });
    w.on('error', (e) => this.failAll(e));
    w.on('exit', () => {
      if (this.worker === w) this.failAll(new Error('password hasher thread exited'));
    });
    this.worker = w;
    return w;
  }

  private failAll(e: Error): void {
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    void w?.terminate();
  }
}

const hasher = new HasherThread();

/**
 * The short hash Nauthilus uses in its own Redis keys: the first 8 hex digits of
 * SHA-256(password_nonce + "\0" + password).
 */
export function nauthilusPasswordHash(nonce: string, password: string, full = false): string {
  const hex = crypto.createHash('sha256').update(`${nonce}\0${password}`).digest('hex');
  return full ? hex : hex.slice(0, 8);
}

/** Policy minimums; a missing or non-number key means 0. */
export interface PasswordPolicy {
  min_length?: number;
  min_upper?: number;
  min_lower?: number;
  min_number?: number;
  min_special?: number;
}

/** Nauthilus' check: length in bytes, then counts of upper, lower, digits and punctuation/symbols. */
export function meetsPolicy(policy: PasswordPolicy, password: string): boolean {
  const min = (k: keyof PasswordPolicy) => (typeof policy[k] === 'number' ? Math.trunc(policy[k] as number) : 0);
  if (Buffer.byteLength(password) < min('min_length')) return false;
  let upper = 0, lower = 0, num = 0, special = 0;
  for (const ch of password) {
    if (/\p{Lu}/u.test(ch)) upper++;
    else if (/\p{Ll}/u.test(ch)) lower++;
    else if (/\p{Nd}/u.test(ch)) num++;
    else if (/[\p{P}\p{S}]/u.test(ch)) special++;
  }
  return upper >= min('min_upper') && lower >= min('min_lower') && num >= min('min_number') && special >= min('min_special');
}

export const passwordModule: LuaModule = {
  name: 'nauthilus_password',
  legacyLoaderName: 'nauthilus_password',
  summary: 'Compare passwords with stored hashes ({SSHA*}, SHA-crypt, bcrypt, argon2, plain), generate hashes, check a policy.',
  install(host) {
    return {
      functions: {
        // arguments are checked before the promise exists, so a wrong type raises at the script's line
        compare_passwords: (hash: unknown, plain: unknown) => {
          checkArg('compare_passwords', 1, hash, 'string');
          checkArg('compare_passwords', 2, plain, 'string');
          return hasher.run('verify', hash as string, plain as string).then(
            (ok) => pair(ok, undefined),
            (e: Error) => pair(false, `compare_passwords: ${e.message}`),
          );
        },
        generate_password_hash: (plain: unknown, scheme: unknown) => {
          checkArg('generate_password_hash', 1, plain, 'string');
          checkArg('generate_password_hash', 2, scheme, 'string', 'nil');
          if (scheme === undefined || scheme === null) {
            const nonce = host.services.passwordNonce ?? '';
            // Nauthilus 1.x and 3.0: the first 8 hex digits; 3.1 (pluginapi password.FullHash): all 64
            return Promise.resolve(pair(nauthilusPasswordHash(nonce, plain as string, host.services.profile === '3.1'), undefined));
          }
          return hasher.run('generate', plain as string, scheme as string).then(
            (h) => pair(h, undefined),
            (e: Error) => pair(undefined, `generate_password_hash: ${e.message}`),
          );
        },
        check_password_policy: (policy: unknown, password: unknown) => {
          checkArg('check_password_policy', 1, policy, 'table');
          checkArg('check_password_policy', 2, password, 'string', 'number');
          // Nauthilus 1.10 returns the boolean alone (no error value)
          return meetsPolicy(policy as PasswordPolicy, typeof password === 'number' ? luaNumberText(password) : (password as string));
        },
      },
      async: ['compare_passwords', 'generate_password_hash'],
    };
  },
};
