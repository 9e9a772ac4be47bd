// Atomic read-modify-write steps on Redis (check a counter and take a slot in one step), written twice:
// as a Redis Lua script for a real server, and as JavaScript for the embedded store.
//
//   real Redis:     EVALSHA sha --NOSCRIPT (restart, SCRIPT FLUSH, first use)--> EVAL source (loads it again)
//   embedded store: the JavaScript version under a lock per key (ioredis-mock's EVAL starts a fresh Lua VM
//                   per call, ~1.3 ms, and has no SCRIPT LOAD; the store lives on the main thread and worker
//                   threads reach it by message, so the locks there serialise every caller). A script touches
//                   only its KEYS, as on a real Redis: scripts that share a key run one after another in the
//                   order they were asked for, scripts with disjoint keys may interleave.
//
// Scripts are registered by name so a worker thread can ask the main thread to run one (functions do not
// cross threads).
import crypto from 'node:crypto';
import type { RedisClient } from './store';

export type ScriptArg = string | number;

export interface AtomicScript {
  /** Unique name; worker threads name the script they want run. */
  readonly name: string;
  /** Redis Lua source: KEYS and ARGV as passed; returns integers or arrays of integers. */
  readonly lua: string;
  readonly sha1: string;
  /** The same step over the embedded store's commands, returning what the Lua source returns. */
  local(client: RedisClient, keys: string[], args: ScriptArg[]): Promise<unknown>;
}

const registry = new Map<string, AtomicScript>();

/** Register a script once (at module load) and return it. */
export function defineAtomicScript(def: Omit<AtomicScript, 'sha1'>): AtomicScript {
  const script: AtomicScript = { ...def, sha1: crypto.createHash('sha1').update(def.lua).digest('hex') };
  if (registry.has(def.name)) throw new Error(`atomic script "${def.name}" is defined twice`);
  registry.set(def.name, script);
  return script;
}

/** A registered script by name (undefined when no module defined it). */
export function atomicScriptNamed(name: string): AtomicScript | undefined {
  return registry.get(name);
}

/** Run a script on a real server: EVALSHA, and EVAL when the server does not know the script (NOSCRIPT). */
export async function evalOnServer(client: RedisClient, script: AtomicScript, keys: string[], args: ScriptArg[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (e) {
    if (!/^NOSCRIPT/.test((e as Error)?.message ?? '')) throw e;
    return client.eval(script.lua, keys.length, ...keys, ...args);
  }
}

/**
 * Runs local scripts so that no two sharing a key interleave (each awaits several store commands). A script
 * takes its turn on all its keys at once, when it is asked for: it waits for the scripts asked for earlier on
 * any of them, so the waits follow the order of asking and can never form a cycle.
 */
export class LocalScriptLocks {
  /** Per key: settles when the last script asked for on it is done (no entry: the key is free). */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: readonly string[], step: () => Promise<T>): Promise<T> {
    const mine = [...new Set(keys)];
    const before: Array<Promise<void>> = [];
    for (const k of mine) {
      const t = this.tails.get(k);
      if (t) before.push(t);
    }
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    for (const k of mine) this.tails.set(k, done);
    const result = (before.length === 0 ? Promise.resolve() : before.length === 1 ? before[0] : Promise.all(before)).then(step);
    // the next script on these keys waits for this one whatever its outcome
    const free = () => {
      release();
      for (const k of mine) if (this.tails.get(k) === done) this.tails.delete(k);
    };
    result.then(free, free);
    return result;
  }

  /** Keys some script holds or waits for now (0 when the store is idle). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
