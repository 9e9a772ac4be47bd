// Connection pools of the `db` module: created on first use, dropped when idle, shared per engine when asked.
import type { DriverFactory, DriverPool } from './db-drivers';

/** An idle pool closes its connections after this long and reconnects on the next query. */
export const IDLE_CLOSE_MS = 30_000;

/**
 * A lazily created driver pool. Its sockets are closed after IDLE_CLOSE_MS without queries, so a
 * handle a script never closes does not hold connections (or the process) forever.
 */
export class PooledDb {
  private pool: DriverPool | undefined;
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly factory: DriverFactory, private readonly idleMs = IDLE_CLOSE_MS) {}

  get queryTimeoutMs(): number {
    return this.factory.queryTimeoutMs;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Run `fn` with the pool, creating it if needed. */
  async use<T>(fn: (pool: DriverPool) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('sql: database is closed');
    this.pool ??= this.factory.create();
    clearTimeout(this.idleTimer);
    this.active++;
    try {
      return await fn(this.pool);
    } finally {
      this.active--;
      if (this.active === 0) this.scheduleIdleClose();
    }
  }

  private scheduleIdleClose(): void {
    if (this.factory.keepWhenIdle || this.idleMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.active > 0 || !this.pool) return;
      const p = this.pool;
      this.pool = undefined;
      p.end().catch(() => undefined);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Close for good: later queries fail with "sql: database is closed". */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const p = this.pool;
    this.pool = undefined;
    if (p) await p.end();
  }
}

// keyed by the engine's services object, so each engine has its own pools and a dropped engine frees them
const sharedPools = new WeakMap<object, Map<string, PooledDb>>();

/** The engine-wide pool for `key` (driver, dsn and read_only), created with `factory` on first use. */
export function sharedPool(owner: object, key: string, factory: () => DriverFactory): PooledDb {
  let pools = sharedPools.get(owner);
  if (!pools) {
    pools = new Map();
    sharedPools.set(owner, pools);
  }
  let p = pools.get(key);
  if (!p || p.isClosed) {
    p = new PooledDb(factory());
    pools.set(key, p);
  }
  return p;
}

/**
 * Close every shared pool of an engine (call on shutdown; tests call it to release their sockets).
 * @example await closeDbPools(services)
 */
export async function closeDbPools(owner: object): Promise<void> {
  const pools = sharedPools.get(owner);
  if (!pools) return;
  sharedPools.delete(owner);
  await Promise.all([...pools.values()].map((p) => p.close().catch(() => undefined)));
}
