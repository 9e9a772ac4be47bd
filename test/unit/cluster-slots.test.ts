// Redis Cluster key handling without a cluster: slots, grouping by slot, and the KEYS rewrite of redis_run_script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandKey, groupBySlot, keySlot } from '../../engine/redis/cluster-slots';
import { keysInOneSlot } from '../../engine/lua/modules/redis-scripts';
import { bruteForceCounterKey } from '../../engine/protection/brute-force';

test('Redis Cluster: the slot of a key follows its hash tag (the part inside the first {...})', () => {
  // values from the Redis Cluster specification's CRC16 test vector and hash tag rules
  assert.equal(keySlot('123456789'), 0x31c3 % 16384);
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
  assert.equal(keySlot('foo{}{bar}'), keySlot('foo{}{bar}'));
  assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'));
});

test('AuthStudio: a brute-force bucket\'s counter, slots and blocked mark share one slot, whatever the key prefix', () => {
  for (const prefix of ['', 'site-a:']) {
    const counter = prefix + bruteForceCounterKey('b_1h_24', '198.51.100.0/24');
    // the layout brute-force.ts gives the two companion keys: the counter's full name is their hash tag
    assert.equal(keySlot(`${prefix}{${counter}}:inflight`), keySlot(counter));
    assert.equal(keySlot(`${prefix}{${counter}}:blocked`), keySlot(counter));
  }
});

test('AuthStudio: a batch is grouped by the slot of each command\'s key; EVAL routes by its first KEY', () => {
  assert.equal(commandKey(['hset', 'cache:x:alice', 'pw', 'h']), 'cache:x:alice');
  assert.equal(commandKey(['evalsha', 'abc', 2, 'k1', 'k2', 'arg']), 'k1');
  assert.equal(commandKey(['eval', 'return 1', 0]), undefined);
  const keys = ['{a}:1', '{b}:1', '{a}:2', undefined, '{b}:2'];
  assert.deepEqual(groupBySlot(keys), [[0, 2], [1, 4], [3]]);
  // the prefix ioredis adds takes part in the slot of untagged keys
  assert.deepEqual(groupBySlot(['x', 'x'], 'p:'), [[0, 1]]);
});

test('Nauthilus 1.10 / 3.0: redis_run_script on a Cluster leaves one key, or keys sharing a tag, as they are', () => {
  assert.deepEqual(keysInOneSlot(['only']), ['only']);
  assert.deepEqual(keysInOneSlot(['{acct}:a', 'x:{acct}:b']), ['{acct}:a', 'x:{acct}:b']);
});

test('Nauthilus 1.10 / 3.0: redis_run_script on a Cluster gives every key the tag {lua-nauthilus} otherwise', () => {
  // untagged keys get the tag in front; a key's own (different) tag is replaced in place
  assert.deepEqual(keysInOneSlot(['a', 'b']), ['{lua-nauthilus}:a', '{lua-nauthilus}:b']);
  assert.deepEqual(keysInOneSlot(['x:{one}:a', 'y:{two}:b']), ['x:{lua-nauthilus}:a', 'y:{lua-nauthilus}:b']);
  assert.deepEqual(keysInOneSlot(['{t}:a', 'plain']), ['{lua-nauthilus}:a', '{lua-nauthilus}:plain']);
  // "}" before "{" is no tag
  assert.deepEqual(keysInOneSlot(['}a{', 'b']), ['{lua-nauthilus}:}a{', '{lua-nauthilus}:b']);
  const slots = keysInOneSlot(['p', 'q', 'r']).map(keySlot);
  assert.equal(new Set(slots).size, 1);
});
