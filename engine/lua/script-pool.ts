// A pool of Lua VMs for one kind of script (features, filters, actions, hooks, one backend).
//
//   acquire() --idle VM?--> run stage --> release()
//       |                                   |
//       +--none idle, size not reached--> create VM (loads every script of the pool once)
//       +--all busy--> wait in FIFO queue    +--VM broken (error/timeout/OOM)--> close it; next acquire makes a new one
//
//   reload(): build and check new scripts in a fresh VM first, then swap the generation; VMs of the old
//   generation finish their calls and are closed when released.
import fs from 'node:fs';
import { AuthStudioError } from '../errors/registry';
import { LuaVm, type LoadedScript } from './vm';
import type { EngineServices } from './services';

/** A script the pool loads into every VM. */
export interface PoolScript {
  /** Chunk name and display path (e.g. `lua-plugins.d/features/demo.lua`). */
  displayPath: string;
  /** Absolute path to read it from. */
  path: string;
}

export interface PoolOptions {
  name: string;
  size: number;
  services: EngineServices;
  memoryLimitBytes: number;
  allowIo: boolean;
  packagePath?: string;
  /** Timeout for running a script's top level while loading. */
  loadTimeoutMs: number;
  /** Script texts by absolute path, read once for a whole version (worker threads): used instead of the files. */
  sources?: Record<string, string>;
}

interface Generation {
  id: number;
  sources: Map<string, string>; // displayPath -> source
  idle: LuaVm[];
  all: Set<LuaVm>;
}

interface Waiter {
  resolve: (vm: LuaVm) => void;
  reject: (e: unknown) => void;
}

export class ScriptPool {
  readonly name: string;
  private readonly opts: PoolOptions;
  private gen: Generation;
  private readonly waiters: Waiter[] = [];
  private creating = 0;
  private closed = false;
  /** Replaced by a reload: still serves requests that started before it, keeps no idle VMs. */
  private retired = false;
  private genCounter = 0;
  /** VMs replaced after an error, timeout or out-of-memory. */
  replaced = 0;

  private constructor(opts: PoolOptions, sources: Map<string, string>) {
    this.name = opts.name;
    this.opts = opts;
    this.gen = { id: ++this.genCounter, sources, idle: [], all: new Set() };
  }

  /**
   * Create a pool: read and compile every script in one VM (so errors surface now, with file:line),
   * keeping that VM as the pool's first.
   */
  static async create(opts: PoolOptions, scripts: PoolScript[]): Promise<ScriptPool> {
    const sources = readSources(scripts, opts.sources);
    const pool = new ScriptPool(opts, sources);
    const vm = await pool.newVm(pool.gen);
    pool.gen.idle.push(vm);
    return pool;
  }

  get size(): number {
    return this.opts.size;
  }

  /** VMs alive in the current generation and how many are busy. */
  stats(): { vms: number; busy: number; queued: number; replaced: number; memoryBytes: number } {
    let mem = 0;
    for (const vm of this.gen.all) mem += vm.memoryUsed();
    return { vms: this.gen.all.size, busy: this.gen.all.size - this.gen.idle.length, queued: this.waiters.length, replaced: this.replaced, memoryBytes: mem };
  }

  private async newVm(gen: Generation): Promise<LuaVm> {
    const vm = await LuaVm.create({
      poolName: this.name,
      services: this.opts.services,
      memoryLimitBytes: this.opts.memoryLimitBytes,
      allowIo: this.opts.allowIo,
      packagePath: this.opts.packagePath,
      scriptTimeoutMs: this.opts.loadTimeoutMs,
    });
    try {
      for (const [displayPath, src] of gen.sources) await vm.loadScript(displayPath, src, this.opts.loadTimeoutMs);
      vm.sealMemory();
    } catch (e) {
      vm.close();
      throw e;
    }
    gen.all.add(vm);
    return vm;
  }

  /** Run `fn` on a VM of this pool; the VM is this call's alone until fn settles. */
  async use<T>(fn: (vm: LuaVm, script: (displayPath: string) => LoadedScript) => Promise<T>): Promise<T> {
    const vm = await this.acquire();
    try {
      return await fn(vm, (p) => {
        const s = vm.script(p);
        if (!s) throw new Error(`script ${p} is not loaded in pool ${this.name}`);
        return s;
      });
    } finally {
      this.release(vm);
    }
  }

  private acquire(): Promise<LuaVm> {
    if (this.closed) return Promise.reject(new AuthStudioError('AS_ERR_SHUTTING_DOWN', `pool ${this.name} is closed`));
    const vm = this.gen.idle.pop();
    if (vm) return Promise.resolve(vm);
    const p = new Promise<LuaVm>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.grow();
    return p;
  }

  /** Start creating a VM when callers wait and the pool is below its size. */
  private grow(): void {
    const gen = this.gen;
    while (this.waiters.length > this.creating && gen.all.size + this.creating < this.opts.size) {
      this.creating++;
      this.newVm(gen).then(
        (vm) => {
          this.creating--;
          this.release(vm);
        },
        (e) => {
          this.creating--;
          // scripts that loaded before no longer load (e.g. an init-time dependency is down): fail the waiter
          const w = this.waiters.shift();
          if (w) w.reject(e);
          else this.opts.services.logger.error({ pool: this.name, err: String(e) }, 'could not create a Lua VM');
        },
      );
    }
  }

  private release(vm: LuaVm): void {
    const current = this.gen.all.has(vm);
    if (vm.broken || !current || this.closed) {
      if (vm.broken) this.replaced++;
      this.gen.all.delete(vm);
      vm.close();
      if (!this.closed) this.grow();
      return;
    }
    const w = this.waiters.shift();
    if (w) w.resolve(vm);
    else if (this.retired) {
      this.gen.all.delete(vm);
      vm.close();
    } else this.gen.idle.push(vm);
  }

  /**
   * Retire after a reload swapped in a new pool: requests that started on this one finish here (a later
   * stage may still need a VM), idle VMs are closed now and busy ones when released.
   */
  retire(): void {
    this.retired = true;
    for (const vm of this.gen.idle) {
      this.gen.all.delete(vm);
      vm.close();
    }
    this.gen.idle.length = 0;
  }

  /**
   * Replace the scripts: compile them in a fresh VM first (throws with diagnostics and keeps the old
   * version when they fail), then swap. Calls in flight finish on the old VMs.
   */
  async reload(scripts: PoolScript[], size?: number): Promise<void> {
    const sources = readSources(scripts);
    const gen: Generation = { id: ++this.genCounter, sources, idle: [], all: new Set() };
    const vm = await this.newVm(gen);
    gen.idle.push(vm);
    const old = this.gen;
    this.gen = gen;
    if (size !== undefined) this.opts.size = size;
    for (const v of old.idle) {
      old.all.delete(v);
      v.close();
    }
    old.idle.length = 0;
    // waiters queued for the old generation get VMs of the new one
    this.grow();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new AuthStudioError('AS_ERR_SHUTTING_DOWN', `pool ${this.name} is closed`));
    for (const vm of this.gen.idle) vm.close();
    this.gen.idle.length = 0;
  }
}

function readSources(scripts: PoolScript[], given?: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of scripts) {
    const known = given?.[s.path];
    if (known !== undefined) {
      out.set(s.displayPath, known);
      continue;
    }
    let src: string;
    try {
      src = fs.readFileSync(s.path, 'utf8');
    } catch (e) {
      throw new AuthStudioError('AS_ERR_CONFIG_FILE', `cannot read script: ${(e as Error).message}`, { location: { file: s.displayPath } });
    }
    out.set(s.displayPath, src);
  }
  return out;
}
