// Running one Redis command for `nauthilus_redis`: pool lookup, timeout, trace event, argument conversion.
import type { LuaMultiReturn } from 'wasmoon';
import type { ModuleHost } from '../module';
import type { RedisClient } from '../../redis/store';
import { checkArg, fail, ret } from '../values';

/** go-redis' text for a nil reply; Nauthilus scripts (and its if_error_raise) compare against it. */
export const REDIS_NIL = 'redis: nil';

/** A command gives up after this long when the engine's Redis settings name no command timeout. */
const DEFAULT_TIMEOUT_MS = 5000;

/** Thrown for a nil reply where Nauthilus returns `nil, "redis: nil"`. */
export class RedisNilReply extends Error {
  constructor() {
    super(REDIS_NIL);
  }
}

/**
 * Runs commands on the connection a Lua handle names, with a timeout, and records each on the trace
 * (command, key and pool; never values).
 */
export class RedisRunner {
  constructor(readonly host: ModuleHost) {}

  get timeoutMs(): number {
    return this.host.services.redis.settings.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The client behind a pool name; throws when no such pool is registered. */
  client(pool: string): RedisClient {
    return this.host.services.redis.connection(pool);
  }

  /** True when the pool is the embedded ioredis-mock (no SCRIPT LOAD, no HyperLogLog, no EVAL in pipelines). */
  isMock(pool: string): boolean {
    return pool === 'default' && this.host.services.redis.mode === 'mock';
  }

  /** Run `fn` on the pool's client; rejects with the server's error text, or on timeout. */
  run<T>(pool: string, cmd: string, keys: string[], fn: (c: RedisClient) => Promise<T>, extra?: Record<string, unknown>): Promise<T> {
    return this.exec(this.traceEvent(pool, cmd, keys, extra), pool, cmd, fn);
  }

  /** Run a command and turn its reply into `value, nil` (via `map`) or `nil, err`. */
  reply<T>(
    pool: string, cmd: string, keys: string[], fn: (c: RedisClient) => Promise<T>,
    map: (v: T) => unknown = (v) => v, extra?: Record<string, unknown>,
  ): Promise<LuaMultiReturn> {
    const detail = this.traceEvent(pool, cmd, keys, extra);
    return this.exec(detail, pool, cmd, fn).then(
      (v) => {
        try {
          return ret(map(v));
        } catch (e) {
          if (e instanceof RedisNilReply) detail.nil = true;
          else detail.error = errorText(e);
          return fail(errorText(e));
        }
      },
      (e) => fail(errorText(e)),
    );
  }

  /** The trace event of one command (command, key, pool; never values), filled in when the reply arrives. */
  private traceEvent(pool: string, cmd: string, keys: string[], extra?: Record<string, unknown>): Record<string, unknown> {
    const detail: Record<string, unknown> = { cmd, pool, ...extra };
    if (keys.length === 1) detail.key = keys[0];
    else if (keys.length > 1) detail.keys = keys.slice(0, 20);
    this.host.call?.record('redis', detail); // the same object: ms and error are added below
    return detail;
  }

  private async exec<T>(detail: Record<string, unknown>, pool: string, cmd: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const client = this.client(pool);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis: ${cmd} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      return await Promise.race([fn(client), timeout]);
    } catch (e) {
      detail.error = errorText(e);
      throw e;
    } finally {
      clearTimeout(timer);
      detail.ms = Math.round((performance.now() - started) * 1000) / 1000;
    }
  }
}

/** The message of an error (ioredis' ReplyError text is what go-redis reports too). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A nil reply becomes Nauthilus' `nil, "redis: nil"`. */
export function notNil<T>(v: T | null | undefined): T {
  if (v === null || v === undefined) throw new RedisNilReply();
  return v;
}

/** Format a Lua number the way go-redis sends a float64 (no exponent for integers, +inf/-inf). */
export function formatNumber(n: number): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return String(n);
}

/** A key, field or member: a string, or a number used as one (gopher-lua's CheckString accepts both). */
export function strArg(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number');
  return typeof v === 'number' ? formatNumber(v) : (v as string);
}

/** A value to store: string, number, boolean ("1"/"0" as go-redis sends them) or nil (""). */
export function valueArg(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number', 'boolean', 'nil');
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return formatNumber(v);
  return v as string;
}

/** A number, or a string holding one (as gopher-lua's CheckNumber accepts). */
export function numArg(fn: string, n: number, v: unknown): number {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  checkArg(fn, n, v, 'number');
  return v as number;
}

/** A number argument truncated to an integer (go's int64 conversion). */
export function intArg(fn: string, n: number, v: unknown): number {
  return Math.trunc(numArg(fn, n, v));
}

/** Arguments from position `first` (1-based, as the script counts them) to the end. */
export function restArgs(fn: string, first: number, args: unknown[], conv: (fn: string, n: number, v: unknown) => string): string[] {
  return args.map((v, i) => conv(fn, first + i, v));
}

/** The values of a Lua list (wasmoon gives a JS array for a sequence, an object otherwise). */
export function listValues(fn: string, n: number, v: unknown): unknown[] {
  checkArg(fn, n, v, 'table');
  if (Array.isArray(v)) return v;
  return Object.keys(v as object)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => (v as Record<string, unknown>)[k]);
}

/** Reject a call with the wrong number of arguments the way Nauthilus does: `nil, "Invalid number of arguments"`. */
export function invalidArgCount(): LuaMultiReturn {
  return fail('Invalid number of arguments');
}

/** Numbers come back from Redis as strings (ZSCORE, HINCRBYFLOAT): convert for Lua. */
export function toNumber(v: unknown): number {
  const n = Number(v);
  if (Number.isNaN(n) && v !== 'nan') throw new Error(`redis: cannot parse "${String(v)}" as a number`);
  return n;
}
