// The in-process cache behind `nauthilus_cache`: one per engine, shared by all VMs (and worker threads), with
// per-key TTLs, bounded in entries and bytes.
//
// Full: expired entries go first, then the oldest (FIFO, as Nauthilus' fifoCache evicts when it has a limit;
// Nauthilus 1.10 runs it without one). A cache never refuses for being full, so a script filling it in a loop
// only pushes out older entries; a single value larger than `maxEntryBytes` is refused with a Lua error.
import type { SharedCache } from './services';
import { approxBytes } from './values';

interface Entry { value: unknown; expiresAt: number | undefined; bytes: number }

export interface MemoryCacheLimits {
  /** Most keys kept (default 100,000). */
  maxEntries?: number;
  /** Most bytes kept, estimated as values.ts approxBytes does (default 64 MiB). */
  maxBytes?: number;
}

export const CACHE_DEFAULTS = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 } as const;
const ENTRY_OVERHEAD = 96;

export class MemoryCache implements SharedCache {
  private readonly entries = new Map<string, Entry>();
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** One value (a list with everything pushed to it included) may take at most this much. */
  readonly maxEntryBytes: number;
  private used = 0;
  private lastSweep = 0;

  constructor(limits: MemoryCacheLimits | number = {}) {
    const l = typeof limits === 'number' ? { maxEntries: limits } : limits;
    this.maxEntries = l.maxEntries ?? CACHE_DEFAULTS.maxEntries;
    this.maxBytes = l.maxBytes ?? CACHE_DEFAULTS.maxBytes;
    this.maxEntryBytes = Math.max(1024, Math.floor(this.maxBytes / 8));
  }

  /** Estimated bytes held now. */
  bytes(): number {
    return this.used;
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return e;
  }

  private remove(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.used -= e.bytes;
    return this.entries.delete(key);
  }

  private tooBig(fn: string, key: string, bytes: number): Error {
    return new Error(`${fn}: the value for "${key.slice(0, 100)}" takes about ${bytes} bytes, more than the cache allows for one entry (${this.maxEntryBytes})`);
  }

  /** Make room for `bytes` more (and one more key unless `key` exists): expired entries first, then the oldest. */
  private makeRoom(key: string, bytes: number): void {
    const fits = () => this.used + bytes <= this.maxBytes && (this.entries.has(key) || this.entries.size < this.maxEntries);
    if (fits()) return;
    const now = Date.now();
    if (now - this.lastSweep >= 1000) {
      // a full walk at most once a second: a full cache under load must not cost O(entries) per write
      this.lastSweep = now;
      for (const [k, e] of this.entries) {
        if (e.expiresAt !== undefined && e.expiresAt <= now) this.remove(k);
      }
    }
    for (const k of this.entries.keys()) {
      if (fits()) return;
      if (k !== key) this.remove(k);
    }
  }

  get(key: string): unknown {
    return this.live(key)?.value;
  }

  set(key: string, value: unknown, ttlSeconds?: number): void {
    const bytes = ENTRY_OVERHEAD + approxBytes(key) + approxBytes(value, this.maxEntryBytes);
    if (bytes > this.maxEntryBytes) throw this.tooBig('cache_set', key, bytes);
    const old = this.entries.get(key);
    this.makeRoom(key, bytes - (old?.bytes ?? 0));
    if (old) this.used -= old.bytes;
    const expiresAt = ttlSeconds && ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : undefined;
    this.entries.set(key, { value, expiresAt, bytes });
    this.used += bytes;
  }

  /** Seconds until `key` expires (undefined: no expiry or no such key); cache_update keeps it. */
  remainingTtl(key: string): number | undefined {
    const e = this.live(key);
    return e?.expiresAt === undefined ? undefined : Math.max(0.001, (e.expiresAt - Date.now()) / 1000);
  }

  delete(key: string): boolean {
    return this.remove(key);
  }

  has(key: string): boolean {
    return this.live(key) !== undefined;
  }

  keys(): string[] {
    return [...this.entries.keys()].filter((k) => this.live(k) !== undefined);
  }

  size(): number {
    return this.keys().length;
  }

  flush(): void {
    this.entries.clear();
    this.used = 0;
  }

  /** Append to the list at `key`; a value that is not a list becomes the list's first element (as Nauthilus does). */
  push(key: string, value: unknown): number {
    const e = this.live(key);
    const list = e === undefined ? [] : Array.isArray(e.value) ? (e.value as unknown[]) : [e.value];
    const base = e === undefined ? ENTRY_OVERHEAD + approxBytes(key) + 48 : Array.isArray(e.value) ? e.bytes : e.bytes + 48;
    const bytes = base + 16 + approxBytes(value, this.maxEntryBytes);
    if (bytes > this.maxEntryBytes) throw this.tooBig('cache_push', key, bytes);
    this.makeRoom(key, bytes - (e?.bytes ?? 0));
    list.push(value);
    if (e) this.used -= e.bytes;
    this.entries.set(key, { value: list, expiresAt: e?.expiresAt, bytes });
    this.used += bytes;
    return list.length;
  }

  /** Remove and return the list at `key`; a single value comes back as a one-element list. */
  popAll(key: string): unknown[] {
    const e = this.live(key);
    this.remove(key);
    if (e === undefined) return [];
    return Array.isArray(e.value) ? (e.value as unknown[]) : [e.value];
  }
}
