// The in-process cache behind `nauthilus_cache`: one per engine, shared by all VMs, with per-key TTLs.
import type { SharedCache } from './services';

interface Entry { value: unknown; expiresAt: number | undefined }

export class MemoryCache implements SharedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.maxEntries = maxEntries;
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  get(key: string): unknown {
    return this.live(key)?.value;
  }

  set(key: string, value: unknown, ttlSeconds?: number): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      // drop the oldest entry: Map iterates in insertion order
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const expiresAt = ttlSeconds && ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : undefined;
    this.entries.set(key, { value, expiresAt });
  }

  /** Seconds until `key` expires (undefined: no expiry or no such key); cache_update keeps it. */
  remainingTtl(key: string): number | undefined {
    const e = this.live(key);
    return e?.expiresAt === undefined ? undefined : Math.max(0.001, (e.expiresAt - Date.now()) / 1000);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
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
  }

  /** Append to the list at `key`; a value that is not a list becomes the list's first element (as Nauthilus does). */
  push(key: string, value: unknown): number {
    const e = this.live(key);
    const list = e === undefined ? [] : Array.isArray(e.value) ? (e.value as unknown[]) : [e.value];
    list.push(value);
    if (!e && !this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value: list, expiresAt: e?.expiresAt });
    return list.length;
  }

  /** Remove and return the list at `key`; a single value comes back as a one-element list. */
  popAll(key: string): unknown[] {
    const e = this.live(key);
    this.entries.delete(key);
    if (e === undefined) return [];
    return Array.isArray(e.value) ? (e.value as unknown[]) : [e.value];
  }
}
