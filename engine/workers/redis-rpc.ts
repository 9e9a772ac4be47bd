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

/** The calling side: every call made before the thread next awaits leaves in one message. */
export class RedisRpcClient implements RedisRpc {
  private nextCall = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private outbox: RedisCall[] = [];

  constructor(private readonly send: (calls: RedisCall[]) => void) {}

  private call(body: RedisCallBody): Promise<unknown> {
    const id = ++this.nextCall;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.outbox.length === 0) queueMicrotask(() => this.flush());
      this.outbox.push({ id, ...body });
    });
  }

  private flush(): void {
    const calls = this.outbox;
    this.outbox = [];
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
}

/** The store side: start the calls in their order (a script locks its keys there), answer all at once. */
export function answerRedisCalls(store: RedisStore, calls: RedisCall[]): Promise<RedisReply[]> {
  return Promise.all(calls.map((c): Promise<RedisReply> => {
    let running: Promise<unknown>;
    try {
      running = runCall(store, c);
    } catch (e) {
      running = Promise.reject(e);
    }
    return running.then(
      (value) => ({ id: c.id, ok: true, value }),
      (e) => ({ id: c.id, ok: false, error: (e as Error)?.message ?? String(e) }),
    );
  }));
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
