// The embedded Redis across threads: a worker's calls, batched per turn of its event loop into one message, and
// the main thread (where ioredis-mock keeps the data) running them on the store and answering all in one message.
//
//   pipeline worker                        main thread
//   RedisRpcClient.call() x n  --one {t: 'redis-calls', calls}-->  answerRedisCalls(store, calls)
//                              <--one {t: 'replies', replies}---
//
// Measured and not kept: the store on a thread of its own (the workers calling it directly) served fewer logins
// on 2 cores (4,051-4,666 req/s against 5,000-6,000): a fourth busy thread and its messages cost more CPU than the
// HTTP thread saved.
import type { RedisStore, RedisCommand } from '../redis/store';
import { atomicScriptNamed } from '../redis/atomic-script';
import { execSplitBySlot } from '../redis/cluster-slots';
import type { RedisRpc } from './remote-services';
import type { RedisCall, RedisCallBody, RedisReply } from './protocol';

/**
 * The calling side: every call made before the thread next awaits leaves in one message. Detached scripts wait
 * for the next message out (takeOutbox: a request's answer) or the next turn of the event loop, whichever is first.
 */
export class RedisRpcClient implements RedisRpc {
  private nextCall = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private outbox: RedisCall[] = [];
  private flushQueued = false;
  private laterQueued = false;

  constructor(private readonly send: (calls: RedisCall[]) => void) {}

  private call(body: RedisCallBody): Promise<unknown> {
    const id = ++this.nextCall;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outbox.push({ id, ...body });
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const calls = this.takeOutbox();
    if (!calls) return;
    try {
      this.send(calls);
    } catch (e) {
      for (const c of calls) this.settle({ id: c.id, ok: false, error: `Redis call cannot cross threads: ${(e as Error)?.message ?? e}` });
    }
  }

  private settle(r: RedisReply): void {
    const p = this.pending.get(r.id);
    this.pending.delete(r.id);
    if (p) r.ok ? p.resolve(r.value) : p.reject(new Error(r.error));
  }

  /** The calls not sent yet, to go with a message the thread sends now (undefined when there are none). */
  takeOutbox(): RedisCall[] | undefined {
    if (this.outbox.length === 0) return undefined;
    const calls = this.outbox;
    this.outbox = [];
    return calls;
  }

  /** The answers of one message. */
  answer(replies: RedisReply[]): void {
    for (const r of replies) this.settle(r);
  }

  command(cmd: string, args: unknown[]): Promise<unknown> {
    return this.call({ op: 'command', cmd, args });
  }
  batch(commands: RedisCommand[], atomic: boolean): Promise<unknown[]> {
    return this.call({ op: 'batch', commands, atomic }) as Promise<unknown[]>;
  }
  exec(commands: RedisCommand[], atomic: boolean): Promise<Array<[string | null, unknown]>> {
    return this.call({ op: 'exec', commands, atomic }) as Promise<Array<[string | null, unknown]>>;
  }
  script(name: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.call({ op: 'script', name, keys, args });
  }
  detachedScript(name: string, keys: string[], args: Array<string | number>): void {
    this.outbox.push({ id: 0, op: 'script', name, keys, args, detached: true });
    if (!this.flushQueued && !this.laterQueued) {
      this.laterQueued = true;
      setImmediate(() => {
        this.laterQueued = false;
        this.flush();
      });
    }
  }
}

/**
 * The store side: start the calls in their order (a script locks its keys there), answer all at once (detached
 * scripts are not answered: `detachedFailed` hears of their failures). No calls to answer: an empty list.
 */
export async function answerRedisCalls(store: RedisStore, calls: RedisCall[], detachedFailed: (e: unknown, call: RedisCall) => void): Promise<RedisReply[]> {
  const answered: Array<Promise<RedisReply>> = [];
  for (const c of calls) {
    let running: Promise<unknown>;
    try {
      running = runCall(store, c);
    } catch (e) {
      running = Promise.reject(e);
    }
    if (c.op === 'script' && c.detached) {
      running.catch((e: unknown) => detachedFailed(e, c));
      continue;
    }
    answered.push(running.then(
      (value) => ({ id: c.id, ok: true, value }),
      (e) => ({ id: c.id, ok: false, error: (e as Error)?.message ?? String(e) }),
    ));
  }
  return Promise.all(answered);
}

/** Post `replies` on `post`; a reply that cannot cross threads fails its calls, not the thread. */
export function postReplies(post: (replies: RedisReply[]) => void, replies: RedisReply[]): void {
  try {
    post(replies);
  } catch (e) {
    const error = `Redis reply cannot cross threads: ${(e as Error)?.message ?? e}`;
    post(replies.map((r) => ({ id: r.id, ok: false, error })));
  }
}

function runCall(store: RedisStore, m: RedisCallBody): Promise<unknown> {
  if (m.op === 'batch') return store.batch(m.commands, m.atomic);
  if (m.op === 'script') {
    const script = atomicScriptNamed(m.name);
    if (!script) throw new Error(`no atomic script named "${m.name}"`);
    return store.runScript(script, m.keys, m.args);
  }
  const client = store.client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  if (m.op === 'command') {
    if (typeof client[m.cmd] !== 'function') throw new Error(`ERR unknown command '${m.cmd}'`);
    return Promise.resolve(client[m.cmd](...m.args));
  }
  return execSplitBySlot(store.client, m.commands, m.atomic).then((res) => res.map(([err, v]) => [err ? err.message : null, v]));
}
