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
/**
 * custom_log_add fields of one request, at most: they are written into the request's log line and kept with
 * the engine's recent outcomes (traces), so they get a smaller bound of their own.
 */
export const MAX_LOG_BYTES = 256 * 1024;

export class StoreBudget {
  private used = 0;
  private logUsed = 0;
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

  /** Count a custom_log_add field: against MAX_LOG_BYTES and the request's budget. */
  chargeLog(what: string, bytes: number): void {
    if (this.logUsed + bytes > MAX_LOG_BYTES) {
      throw new Error(`${what}: this request's log fields reached ${MAX_LOG_BYTES} bytes`);
    }
    this.charge(what, bytes);
    this.logUsed += bytes;
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
