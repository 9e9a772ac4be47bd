// Running one Redis command for `nauthilus_redis`: pool lookup, timeout, trace event, argument conversion.
import type { LuaMultiReturn } from 'wasmoon';
import type { ModuleHost } from '../module';
import type { RedisClient } from '../../redis/store';
import { checkArg, fail, ret } from '../values';
import { goRedisFloat, luaNumberText } from '../go-number';
import { recordingClient, traceReply } from './redis-trace';

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
 * (command, key, pool; in studio traces also its arguments and reply, bounded and with secrets masked).
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

  /** The trace event of one command (command, key, pool), filled in when the reply arrives. */
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
      const raw = this.client(pool);
      // only a studio trace keeps arguments and replies: elsewhere the command runs on the client as it is
      const recording = this.host.call?.recordEvents === true;
      const client = recording ? recordingClient(raw, detail) : raw;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis: ${cmd} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const reply = await Promise.race([fn(client), timeout]);
      if (recording) detail.reply = traceReply(reply, [detail.key, ...((detail.args as string[] | undefined) ?? [])]);
      return reply;
    } catch (e) {
      // ioredis answers a command that found no connection with its retry count (or it waits until it times
      // out): name the connection's failure instead
      const cause = /max retries per request|timed out after/.test(errorText(e)) ? this.host.services.redis.connectionError(pool) : undefined;
      const err = cause ? new Error(`redis: cannot connect: ${cause.message}`) : e;
      detail.error = errorText(err);
      throw err;
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

/**
 * Nauthilus' convert.LuaValue refused a value (a table or function where a string, number, boolean or nil
 * belongs): the command answers `nil, "unable to convert Lua value of type table"` instead of raising.
 */
export class LuaValueConversionError extends Error {}

/** A key, field or member: a string, or a number as gopher-lua's CheckString gives it (`3` for 6/2). */
export function strArg(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number');
  return typeof v === 'number' ? luaNumberText(v) : (v as string);
}

/**
 * A value as Nauthilus' convert.LuaValue passes it to go-redis: strings as they are, numbers as float64
 * (`3`, `0.5`, never an exponent), booleans as "1"/"0", nil as "". A table or function is not raised but
 * returned as the command's error (LuaValueConversionError).
 */
export function valueArg(_fn: string, _n: number, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return goRedisFloat(v);
  if (typeof v === 'string') return v;
  throw new LuaValueConversionError(`unable to convert Lua value of type ${typeof v === 'function' ? 'function' : 'table'}`);
}

/**
 * gopher-lua's LValue.String(), which Nauthilus uses for table elements (redis_zrem's list, run_script's
 * keys and args, pipeline rows): numbers as in Lua 5.1, booleans "true"/"false", nil "nil".
 */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'number') return luaNumberText(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return typeof v === 'function' ? 'function: builtin' : 'table: 0x0';
}

/** Lua 5.1's number syntax for strings (decimal with exponent, or hex), as gopher-lua parses them. */
function parseLuaNumber(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]?0[xX]/, ''), 16);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return undefined;
}

/** gopher-lua's LVAsNumber: a number, a string holding one, else 0 (no error). */
export function lvAsNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseLuaNumber(v) ?? 0;
  return 0;
}

/** A number, or a string holding one (as gopher-lua's CheckNumber accepts). */
export function numArg(fn: string, n: number, v: unknown): number {
  if (typeof v === 'string') {
    const x = parseLuaNumber(v);
    if (x !== undefined) return x;
  }
  checkArg(fn, n, v, 'number');
  return v as number;
}

/** A number argument truncated to an integer (go's int64 conversion). */
export function intArg(fn: string, n: number, v: unknown): number {
  return Math.trunc(numArg(fn, n, v));
}

/** A Lua table's entries with the keys as Lua wrote them (wasmoon gives a sequence as a 0-based JS array). */
export function tableEntries(v: unknown): Array<[string, unknown]> {
  if (Array.isArray(v)) return v.map((x, i) => [String(i + 1), x]);
  return Object.entries(v as Record<string, unknown>);
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
