// Atomic read-modify-write steps on Redis (check a counter and take a slot in one step), written twice:
// as a Redis Lua script for a real server, and as JavaScript for the embedded store.
//
//   real Redis:     EVALSHA sha --NOSCRIPT (restart, SCRIPT FLUSH, first use)--> EVAL source (loads it again)
//   embedded store: the JavaScript version, one at a time per store (ioredis-mock's EVAL starts a fresh Lua
//                   VM per call, ~1.3 ms, and has no SCRIPT LOAD; the store lives on the main thread and
//                   worker threads reach it by message, so a queue there serialises every caller)
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

/** Runs local scripts one after another (each awaits several store commands; none may interleave). */
export class LocalScriptQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step);
    // the next step waits for this one whatever its outcome
    this.tail = result.catch(() => undefined);
    return result;
  }
}
