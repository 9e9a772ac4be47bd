// Worker-side stand-ins for state that must be one per engine, not one per thread: the embedded Redis
// (ioredis-mock holds its data in the main thread's heap) and nauthilus_cache.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { RedisSettings } from '../config/types';
import { RedisStore, type RedisClient, type RedisCommand } from '../redis/store';
import type { AtomicScript, ScriptArg } from '../redis/atomic-script';
import type { SharedCache } from '../lua/services';
import type { CacheCall } from './protocol';

export interface RedisRpc {
  command(cmd: string, args: unknown[]): Promise<unknown>;
  batch(commands: RedisCommand[], atomic: boolean): Promise<unknown[]>;
  /** A pipeline or MULTI as ioredis' exec() answers it: [error text or null, reply] per command. */
  exec(commands: RedisCommand[], atomic: boolean): Promise<Array<[string | null, unknown]>>;
  /** An atomic script run on the main thread's store, where the embedded store serialises scripts. */
  script(name: string, keys: string[], args: ScriptArg[]): Promise<unknown>;
  /** The same without an answer: the main thread runs it in order with this thread's other calls and logs a failure. */
  detachedScript(name: string, keys: string[], args: ScriptArg[]): void;
}

/**
 * The main thread's embedded Redis seen from a worker: every ioredis method becomes one call, and the calls
 * a thread makes at once share one message (worker-main.ts); a batch (brute force, password cache) is one call
 * and runs there without interleaving other commands.
 */
export class RemoteRedisStore extends RedisStore {
  constructor(settings: RedisSettings, private readonly rpc: RedisRpc) {
    super(settings, remoteClient(rpc));
  }

  override batch(commands: RedisCommand[], atomic = false): Promise<unknown[]> {
    return this.rpc.batch(commands, atomic);
  }

  override runScript(script: AtomicScript, keys: string[], args: ScriptArg[]): Promise<unknown> {
    return this.rpc.script(script.name, keys, args);
  }

  /** The main thread runs it (and logs its failure). */
  override runScriptDetached(script: AtomicScript, keys: string[], args: ScriptArg[]): void {
    this.rpc.detachedScript(script.name, keys, args);
  }

  override async close(): Promise<void> {
    // the store itself belongs to the main thread
  }
}

const LISTENER_METHODS = new Set(['on', 'once', 'off', 'removeListener', 'removeAllListeners', 'setMaxListeners']);

function remoteClient(rpc: RedisRpc): RedisClient {
  const recorder = (atomic: boolean, initial: unknown[][] = []): unknown => {
    const commands = initial.map((c) => c as RedisCommand);
    const rec: object = new Proxy({}, {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined;
        if (name === 'length') return commands.length;
        if (name === 'exec') {
          return async () => (await rpc.exec(commands, atomic)).map(([err, v]) => [err === null ? null : new Error(err), v]);
        }
        return (...args: Array<string | number>) => {
          commands.push([name, ...args]);
          return rec;
        };
      },
    });
    return rec;
  };
  const client: object = new Proxy({}, {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      if (LISTENER_METHODS.has(name)) return () => client;
      if (name === 'status') return 'ready';
      if (name === 'quit' || name === 'disconnect') return async () => 'OK';
      if (name === 'pipeline') return (cmds?: unknown[][]) => recorder(false, cmds);
      if (name === 'multi') return (cmds?: unknown[][]) => recorder(true, cmds);
      return (...args: unknown[]) => rpc.command(name, args);
    },
  });
  return client as RedisClient;
}

/**
 * nauthilus_cache seen from a worker. Lua calls it synchronously, so each call posts to the main thread
 * and blocks this thread on a shared flag until the answer is there (a few µs when the main thread is idle,
 * at most one turn of its event loop when busy).
 */
export class RemoteCache implements SharedCache {
  private readonly flag: Int32Array;

  constructor(private readonly port: MessagePort, flag: SharedArrayBuffer) {
    this.flag = new Int32Array(flag);
  }

  private call(method: CacheCall['method'], args: unknown[]): unknown {
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ method, args } satisfies CacheCall);
    if (Atomics.wait(this.flag, 0, 0, 5000) === 'timed-out') {
      throw new Error('nauthilus_cache: the engine did not answer within 5 s');
    }
    const msg = receiveMessageOnPort(this.port);
    if (!msg) throw new Error('nauthilus_cache: no answer from the engine');
    const reply = msg.message as { ok: boolean; value?: unknown; error?: string };
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  }

  get(key: string): unknown { return this.call('get', [key]); }
  set(key: string, value: unknown, ttlSeconds?: number): void { this.call('set', [key, value, ttlSeconds]); }
  delete(key: string): boolean { return this.call('delete', [key]) as boolean; }
  has(key: string): boolean { return this.call('has', [key]) as boolean; }
  keys(): string[] { return this.call('keys', []) as string[]; }
  size(): number { return this.call('size', []) as number; }
  flush(): void { this.call('flush', []); }
  push(key: string, value: unknown): number { return this.call('push', [key, value]) as number; }
  popAll(key: string): unknown[] { return this.call('popAll', [key]) as unknown[]; }
}

/** The main thread's side of RemoteCache: answer on the port, then wake the waiting worker. */
export function serveCache(cache: SharedCache, port: MessagePort, flag: SharedArrayBuffer): void {
  const f = new Int32Array(flag);
  port.on('message', ({ method, args }: CacheCall) => {
    let reply: { ok: boolean; value?: unknown; error?: string };
    try {
      reply = { ok: true, value: (cache[method] as (...a: unknown[]) => unknown)(...args) };
    } catch (e) {
      reply = { ok: false, error: (e as Error)?.message ?? String(e) };
    }
    try {
      port.postMessage(reply);
    } catch (e) {
      port.postMessage({ ok: false, error: `nauthilus_cache: value cannot cross threads: ${(e as Error).message}` });
    }
    Atomics.store(f, 0, 1);
    Atomics.notify(f, 0);
  });
}
