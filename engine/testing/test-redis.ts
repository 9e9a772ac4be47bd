// The Redis each test gets: a fresh embedded one (default), or a real server (`authstudio test --redis URL`) whose
// database must be empty when the run starts and is flushed after every test, so tests never see each other's state.
import type { AuthStudioConfig, RedisSettings } from '../config/types';
import { AuthStudioError } from '../errors/registry';
import { RedisStore } from '../redis/store';

export class TestRedis {
  private constructor(private readonly real: RedisSettings | undefined, private readonly embedded: RedisSettings) {}

  /** Embedded unless `useConfigured` (the run's --redis, already in config.server.redis). */
  static for(config: AuthStudioConfig, useConfigured: boolean): TestRedis {
    const s = config.server.redis;
    return new TestRedis(useConfigured && s.mode !== 'mock' ? s : undefined, { ...s, mode: 'mock', addresses: [] });
  }

  get isReal(): boolean {
    return this.real !== undefined;
  }

  /** Refuse a real database that holds keys: the run writes to it and flushes it after each test. */
  async check(label: string): Promise<void> {
    if (!this.real) return;
    if (this.real.mode === 'cluster') {
      throw new AuthStudioError('AS_ERR_CLI_USAGE', `test: --redis ${label}: a cluster cannot be flushed between tests; give a standalone server or a Sentinel group`);
    }
    const store = new RedisStore(this.real);
    try {
      const n = await store.client.dbsize();
      if (n > 0) {
        throw new AuthStudioError('AS_ERR_CLI_USAGE', `test: --redis ${label}: the database holds ${n} key${n === 1 ? '' : 's'}; give an empty one (e.g. redis://127.0.0.1:6379/15): every test's data is flushed after it`);
      }
    } finally {
      await store.close(0).catch(() => undefined);
    }
  }

  /** A store for one test. */
  open(): RedisStore {
    return new RedisStore(this.real ?? this.embedded);
  }

  /**
   * After the test, once its engine is closed (post actions done): a real database is flushed, over a connection
   * of its own (the test's store is closed with its engine).
   */
  async flush(): Promise<void> {
    if (!this.real) return;
    const store = new RedisStore(this.real);
    try {
      await store.client.flushdb();
    } finally {
      await store.close(0).catch(() => undefined);
    }
  }
}
