// The embedded Redis across threads (engine/workers/redis-rpc.ts): a pipeline thread's calls travel in one
// message per turn, detached scripts (a brute-force slot given back, a toleration count) get no reply and ride
// with the thread's next message, and the main thread runs every call in the order the thread issued it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisStore } from '../../engine/redis/store';
import { GIVE_BACK_SLOT, TAKE_SLOT } from '../../engine/protection/brute-force-scripts';
import { RedisRpcClient, answerRedisCalls } from '../../engine/workers/redis-rpc';
import type { RedisCall } from '../../engine/workers/protocol';
import { MOCK_REDIS } from '../helpers/lua-harness';

const stores: RedisStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A client whose messages land in `sent`, and a store on the "main thread" that answers them. */
function wire(): { rpc: RedisRpcClient; sent: RedisCall[][]; store: RedisStore; failures: string[]; deliver: (calls: RedisCall[]) => Promise<void> } {
  const store = new RedisStore(MOCK_REDIS);
  stores.push(store);
  const sent: RedisCall[][] = [];
  const failures: string[] = [];
  const rpc = new RedisRpcClient((calls) => sent.push(calls));
  const deliver = async (calls: RedisCall[]) => {
    const replies = await answerRedisCalls(store, calls, (e, c) => failures.push(`${c.op === 'script' ? c.name : c.op}: ${(e as Error).message}`));
    if (replies.length > 0) rpc.answer(replies);
  };
  return { rpc, sent, store, failures, deliver };
}

test('a detached give-back goes out with the thread\'s next message (a login\'s answer) and gets no reply', async () => {
  const { rpc, sent, store, deliver } = wire();
  await store.client.zadd('{bf:b24:192.0.2.0/24}:inflight', Date.now() + 60_000, 'req-1');
  rpc.detachedScript(GIVE_BACK_SLOT.name, ['{bf:b24:192.0.2.0/24}:inflight'], ['req-1']);
  // the answer of the request leaves now: the give-back goes with it, nothing goes on its own
  const withAnswer = rpc.takeOutbox();
  assert.equal(withAnswer?.length, 1);
  assert.equal(withAnswer![0].op === 'script' && withAnswer![0].detached, true);
  await turn();
  assert.equal(sent.length, 0, 'no message of its own once it went with the answer');
  await deliver(withAnswer!);
  assert.equal(await store.client.zcard('{bf:b24:192.0.2.0/24}:inflight'), 0, 'the slot is free');
});

test('a detached script with no message to ride on leaves by itself in the next turn of the event loop', async () => {
  const { rpc, sent } = wire();
  rpc.detachedScript(GIVE_BACK_SLOT.name, ['{bf:b24:192.0.2.0/24}:inflight'], ['req-2']);
  await Promise.resolve();
  assert.equal(sent.length, 0, 'it waits for a message to ride on until the turn ends');
  await turn();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].length, 1);
});

test('a slot given back and a take after it in the same turn travel in one message and run in that order (the take finds the slot free)', async () => {
  const { rpc, sent, store, deliver } = wire();
  const counter = 'bf:b24:192.0.2.0/24';
  const slots = '{bf:b24:192.0.2.0/24}:inflight';
  const blocked = '{bf:b24:192.0.2.0/24}:blocked';
  const now = Date.now();
  // the only slot of a limit of 1 is held by req-1
  await store.client.zadd(slots, now + 60_000, 'req-1');
  rpc.detachedScript(GIVE_BACK_SLOT.name, [slots], ['req-1']);
  const take = rpc.script(TAKE_SLOT.name, [counter, slots, blocked], [1, now, now + 60_000, 'req-2', 0, 0]);
  await Promise.resolve();
  assert.equal(sent.length, 1, 'one message for both');
  assert.deepEqual(sent[0].map((c) => c.op === 'script' && c.name), [GIVE_BACK_SLOT.name, TAKE_SLOT.name]);
  await deliver(sent[0]);
  assert.deepEqual(await take, [1, 0], 'the take got the slot req-1 gave back');
});

test('a detached script that fails is reported on the main thread and answers nobody; the calls beside it are answered', async () => {
  const { rpc, sent, failures, deliver } = wire();
  rpc.detachedScript('no_such_script', ['k'], []);
  const read = rpc.command('get', ['missing-key']);
  await Promise.resolve();
  await deliver(sent[0]);
  assert.equal(await read, null);
  assert.deepEqual(failures, ['no_such_script: no atomic script named "no_such_script"']);
});
