// The LDAP pools of an engine (one registry per thread), reconfigured when the config is reloaded.
import { isDeepStrictEqual } from 'node:util';
import type { LdapPoolConfig } from '../config/types';
import { LdapPool } from './pool';

/** Pools by name; a pool whose config is unchanged keeps its connections across a reload. */
export class LdapPools {
  private readonly pools = new Map<string, LdapPool>();

  constructor(configs: Record<string, LdapPoolConfig> | undefined) {
    this.configure(configs);
  }

  /** Applies the `ldap:` section in force: new pools are created lazily, changed or dropped ones closed. */
  configure(configs: Record<string, LdapPoolConfig> | undefined): void {
    const next = configs ?? {};
    for (const [name, pool] of this.pools) {
      if (!next[name] || !isDeepStrictEqual(next[name], pool.config)) {
        pool.close();
        this.pools.delete(name);
      }
    }
    for (const [name, c] of Object.entries(next)) if (!this.pools.has(name)) this.pools.set(name, new LdapPool(c));
  }

  get(name: string): LdapPool | undefined {
    return this.pools.get(name);
  }

  /** Unbinds every connection (engine shutdown). */
  close(): void {
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}
