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

  push(key: string, value: unknown): number {
    const e = this.live(key);
    const list = Array.isArray(e?.value) ? (e!.value as unknown[]) : [];
    list.push(value);
    this.entries.set(key, { value: list, expiresAt: e?.expiresAt });
    return list.length;
  }

  popAll(key: string): unknown[] {
    const e = this.live(key);
    this.entries.delete(key);
    return Array.isArray(e?.value) ? (e!.value as unknown[]) : [];
  }
}
