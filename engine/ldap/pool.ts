// An LDAP connection pool of one `ldap:` config entry: bound connections, opened on first use, shared by requests.
import { readFileSync } from 'node:fs';
import { compileSearchFilter, LdapConnection, LdapError, type LdapEntry, type LdapValue, type ModifyOperation, type SearchScope } from './client';
import type { LdapPoolConfig } from '../config/types';

/** An idle pool closes its connections after this long and reconnects on the next request. */
const IDLE_CLOSE_MS = 60_000;

/** A pool of up to `lookupPoolSize` bound connections; requests go to them in turn. */
export class LdapPool {
  private readonly conns: (Promise<LdapConnection> | undefined)[];
  private next = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly config: LdapPoolConfig) {
    this.conns = new Array(Math.max(1, config.lookupPoolSize)).fill(undefined);
  }

  /** A bound connection: tries each server_uri in order, as Nauthilus does. */
  private async connect(): Promise<LdapConnection> {
    const c = this.config;
    const file = (p: string | undefined) => (p ? readFileSync(p) : undefined);
    let last: Error = new LdapError(200, 'ldap: no server_uri configured');
    for (const uri of c.serverUris) {
      let conn: LdapConnection | undefined;
      try {
        conn = await LdapConnection.open({
          uri, timeoutMs: c.connectTimeoutMs, tlsSkipVerify: c.tlsSkipVerify, startTls: c.startTls,
          ca: file(c.tlsCaCert), cert: file(c.tlsClientCert), key: file(c.tlsClientKey),
        }, c.bindTimeoutMs);
        if (c.bindDn !== '') await conn.bind(c.bindDn, c.bindPw, c.bindTimeoutMs);
        return conn;
      } catch (e) {
        conn?.close();
        last = e as Error;
      }
    }
    throw last;
  }

  private async use<T>(fn: (conn: LdapConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new LdapError(200, `ldap: pool ${this.config.name} is closed`);
    this.touch();
    // one retry on a fresh connection when the shared one turns out to be gone (server restart, idle drop)
    for (let attempt = 0; ; attempt++) {
      const i = this.next++ % this.conns.length;
      let p = this.conns[i];
      if (!p) {
        p = this.connect();
        this.conns[i] = p;
        p.catch(() => { if (this.conns[i] === p) this.conns[i] = undefined; });
      }
      const conn = await p;
      if (conn.closed) {
        if (this.conns[i] === p) this.conns[i] = undefined;
        if (attempt === 0) continue;
      }
      try {
        return await fn(conn);
      } catch (e) {
        const transport = e instanceof LdapError && e.resultCode === 200 && !e.timedOut;
        if (transport && this.conns[i] === p) this.conns[i] = undefined;
        if (!transport || attempt > 0) throw e;
      }
    }
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.dropConnections(), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private dropConnections(): void {
    for (let i = 0; i < this.conns.length; i++) {
      this.conns[i]?.then((c) => c.close(), () => undefined);
      this.conns[i] = undefined;
    }
  }

  search(base: string, scope: SearchScope, filter: string, attributes: string[]): Promise<LdapEntry[]> {
    // as go-ldap: a filter that does not compile is an error before anything is sent (or connected)
    try {
      compileSearchFilter(filter);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.use((c) => c.search(base, scope, filter, attributes, this.config.searchSizeLimit, this.config.searchTimeLimitSec, this.config.searchTimeoutMs));
  }

  modify(dn: string, op: ModifyOperation, attributes: Record<string, LdapValue[]>): Promise<void> {
    return this.use((c) => c.modify(dn, op, attributes, this.config.modifyTimeoutMs));
  }

  /** Unbinds and closes every connection; later requests fail. */
  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.dropConnections();
  }
}
