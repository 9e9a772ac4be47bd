// A fail-fast breaker opened by a Redis that stopped answering must not keep the client from reconnecting to the
// Redis that takes its place (a restart, a Sentinel failover): found by the failover test of scale-out.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, redisServerSettings } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

test('AuthStudio: after a command timed out (breaker open), a restarted Redis is used again without restarting the engine', async () => {
  const redis = await startRedisServer();
  const store = new RedisStore(redisServerSettings(redis, { commandTimeoutMs: 300 }));
  let stopped = false;
  try {
    assert.equal(await store.client.set('breaker:k', 'v'), 'OK');
    process.kill(redis.pid, 'SIGSTOP');
    stopped = true;
    await assert.rejects(store.client.get('breaker:k'), /timed out/);
    await assert.rejects(store.client.get('breaker:k'), /not answering/, 'the breaker is open: the next command fails at once');
    // the frozen server dies (its connections close) and a fresh one comes up on the same port
    await redis.kill();
    stopped = false;
    await redis.restart();
    let answer: unknown;
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      answer = await store.client.set('breaker:k', 'again').catch((e: Error) => e.message);
      if (answer === 'OK') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer, 'OK', 'the client reconnected and its commands are answered again');
    assert.equal(await store.client.get('breaker:k'), 'again');
  } finally {
    if (stopped) process.kill(redis.pid, 'SIGCONT');
    await store.close();
    await redis.stop();
  }
});
