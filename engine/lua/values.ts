// Crossing values between JS and Lua: nil for null/undefined, (value, err) returns, argument checks.
import { LuaMultiReturn } from 'wasmoon';

/**
 * Make a JS value safe to push into Lua: null and undefined become nil (wasmoon throws on null
 * otherwise), in nested objects they are dropped; arrays stay arrays.
 */
export function toLua(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => (x === null ? undefined : toLua(x)));
  if (typeof v === 'object') {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x !== null && x !== undefined) out[k] = toLua(x);
    }
    return out;
  }
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** Return `value, nil` to Lua. */
export function ret(value: unknown): LuaMultiReturn {
  return LuaMultiReturn.from([toLua(value), undefined]);
}

/** Return `nil, err` to Lua (the Go convention scripts check with nauthilus_util.if_error_raise). */
export function fail(err: string): LuaMultiReturn {
  return LuaMultiReturn.from([undefined, err]);
}

/** Return `value, err` where err may be undefined. */
export function pair(value: unknown, err: string | undefined): LuaMultiReturn {
  return LuaMultiReturn.from([toLua(value), err]);
}

type LuaTypeName = 'string' | 'number' | 'boolean' | 'table' | 'function';

export function luaTypeOf(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'object') return 'table';
  return typeof v;
}

/**
 * Raise a Lua error "bad argument #n to 'fn' (string expected, got nil)" when an argument has the
 * wrong type. The Lua-side wrapper re-raises it at the script's line.
 */
export function checkArg(fn: string, n: number, v: unknown, ...types: Array<LuaTypeName | 'nil'>): void {
  const t = luaTypeOf(v);
  if (types.includes(t as LuaTypeName)) return;
  throw new Error(`bad argument #${n} to '${fn}' (${types.join(' or ')} expected, got ${t})`);
}

/**
 * About how many bytes `v` takes in the JS heap (strings at 2 bytes a character, 16 per number, 48 per
 * table plus its keys). Stops walking once past `limit` and returns a value above it, so a huge value costs
 * no more than the limit to measure.
 */
export function approxBytes(v: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let total = 0;
  const walk = (x: unknown, depth: number): void => {
    if (total > limit) return;
    if (typeof x === 'string') total += 16 + 2 * x.length;
    else if (x === null || x === undefined || typeof x !== 'object') total += 16;
    else if (depth > 100) total += limit + 1; // a cycle or a runaway nesting: counts as too big
    else {
      total += 48;
      // for-in: no array of all entries is built before the walk can stop
      for (const k in x as Record<string, unknown>) {
        total += 16 + 2 * k.length;
        walk((x as Record<string, unknown>)[k], depth + 1);
        if (total > limit) return;
      }
    }
  };
  walk(v, 0);
  return total;
}
