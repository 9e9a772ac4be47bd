// How much data one request's scripts may keep on the JavaScript side (logs, context, response, trace).
//
// The Lua heap is capped by lua_memory_limit; what a script hands to the host (custom_log_add, context_set,
// a hook's response body) lives outside it. One budget per request counts it against the same limit, so a
// script that fills a host store in a loop gets a Lua error (a temporary failure) instead of growing the
// process until it dies.

/** lua_memory_limit's default: used until a VM binds its own limit. */
export const DEFAULT_STORE_LIMIT_BYTES = 32 * 1024 * 1024;
/** At most this many entries per store (log fields, context keys, response headers) in one request. */
export const MAX_STORE_ENTRIES = 10_000;

export class StoreBudget {
  private used = 0;
  limitBytes = DEFAULT_STORE_LIMIT_BYTES;

  /** Bytes counted now. */
  get bytes(): number {
    return this.used;
  }

  /** Count `bytes` for `what` (a Lua function name); throws a Lua-facing error when the request is over its limit. */
  charge(what: string, bytes: number): void {
    if (this.used + bytes > this.limitBytes) {
      throw new Error(`${what}: the data this request's scripts keep in the host reached lua_memory_limit (${this.limitBytes} bytes)`);
    }
    this.used += bytes;
  }

  /** Give back what a replaced or deleted value was charged. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Throws when a store already holds MAX_STORE_ENTRIES entries. */
  checkEntries(what: string, entries: number): void {
    if (entries >= MAX_STORE_ENTRIES) {
      throw new Error(`${what}: more than ${MAX_STORE_ENTRIES} entries in one request`);
    }
  }
}
