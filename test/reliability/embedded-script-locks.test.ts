// The embedded store's atomic scripts (engine/redis/atomic-script.ts LocalScriptLocks): a script holds only its
// KEYS, as on a real Redis. Scripts sharing a key never interleave (the brute-force bound rests on that); scripts
// with disjoint keys do not wait for each other; an unblock (flush) racing an attack leaves consistent state.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import { RedisStore } from '../../engine/redis/store';
import { defineAtomicScript } from '../../engine/redis/atomic-script';
import { FORGET, MARK_BLOCKED } from '../../engine/protection/brute-force-scripts';
import { MOCK_REDIS } from '../helpers/lua-harness';
import { workspace, yml } from '../helpers/config-text';

const stores: RedisStore[] = [];
const engines: AuthEngine[] = [];
after(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const s of stores) await s.close();
});

function store(): RedisStore {
  const s = new RedisStore(MOCK_REDIS);
  stores.push(s);
  return s;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

// a script that waits (across event-loop turns) until another script lets it go
let letGo: () => void = () => undefined;
let letGoCalled: Promise<void> = Promise.resolve();
const WAIT_FOR_OTHER = defineAtomicScript({
  name: 'test_locks_wait_for_other',
  lua: `return 1`,
  async local() {
    await letGoCalled;
    return 1;
  },
});
const LET_GO = defineAtomicScript({
  name: 'test_locks_let_go',
  lua: `return 1`,
  async local() {
    letGo();
    return 1;
  },
});

// read, yield for a few event-loop turns, write: two of these on one key interleaving would lose an update
const active = new Map<string, number>();
let overlapSeen = 0;
const SLOW_INCR = defineAtomicScript({
  name: 'test_locks_slow_incr',
  lua: `return redis.call('INCR', KEYS[1])`,
  async local(client, keys) {
    for (const k of keys) {
      active.set(k, (active.get(k) ?? 0) + 1);
      if (active.get(k)! > 1) overlapSeen++;
    }
    try {
      const n = Number((await client.get(keys[0])) ?? 0);
      for (let i = 0; i < 3; i++) await turn();
      await client.set(keys[0], String(n + 1));
      return n + 1;
    } finally {
      for (const k of keys) active.set(k, active.get(k)! - 1);
    }
  },
});

test('embedded store: an atomic script on other keys runs while one waits on its own (scripts of disjoint keys interleave)', { timeout: 20_000 }, async () => {
  const s = store();
  letGoCalled = new Promise<void>((r) => (letGo = r));
  // the first holds key a until the second, on key b, has run: one queue for all keys would never get there
  const waiting = s.runScript(WAIT_FOR_OTHER, ['locks:a'], []);
  const other = s.runScript(LET_GO, ['locks:b'], []);
  assert.deepEqual(await Promise.all([waiting, other]), [1, 1]);
});

test('embedded store: atomic scripts sharing a key never interleave, in any mix of keys (no update is lost)', async () => {
  const s = store();
  overlapSeen = 0;
  const keysOf = (i: number) => [['locks:k'], ['locks:k', 'locks:x'], ['locks:y', 'locks:k'], ['locks:x', 'locks:y']][i % 4];
  const runs = Array.from({ length: 40 }, (_, i) => s.runScript(SLOW_INCR, keysOf(i), []));
  await Promise.all(runs);
  assert.equal(overlapSeen, 0, 'no two scripts held one key at the same time');
  // the first key of each script is the one it counts on
  assert.deepEqual(await s.client.mget('locks:k', 'locks:x', 'locks:y'), ['20', '10', '10']);
  // a script that failed releases its keys too
  const FAILS = defineAtomicScript({ name: 'test_locks_fails', lua: `return redis.error_reply('no')`, async local() { throw new Error('no'); } });
  await assert.rejects(s.runScript(FAILS, ['locks:k'], []), /no/);
  assert.equal(await s.runScript(SLOW_INCR, ['locks:k'], []), 21);
});

test('embedded store: an unblock asked for after a refusal marked the network blocked always clears the mark (flush and mark are atomic to each other)', async () => {
  const s = store();
  for (let offset = 0; offset < 6; offset++) {
    await s.client.set('bf:b24:192.0.2.0/24', '5', 'PX', 60_000);
    const marked = s.runScript(MARK_BLOCKED, ['bf:b24:192.0.2.0/24', '{bf:b24:192.0.2.0/24}:blocked'], []);
    for (let i = 0; i < offset; i++) await Promise.resolve();
    const flushed = s.runScript(FORGET, ['bf:b24:192.0.2.0/24', '{bf:b24:192.0.2.0/24}:blocked'], []);
    await Promise.all([marked, flushed]);
    assert.equal(await s.client.exists('bf:b24:192.0.2.0/24', '{bf:b24:192.0.2.0/24}:blocked'), 0, `state left after the flush (offset ${offset})`);
  }
});

const LIMIT = 5;

test('flush in the middle of 200 parallel wrong passwords (embedded Redis): at most failed_requests reach the backend on each side of it, and no slot is left behind', async () => {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}', '  max_concurrent_requests: 1000', '  lua_script_timeout: 5s',
      'brute_force:', '  buckets:', `    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: ${LIMIT}}`,
      'lua:', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 4',
    ),
    'backend.lua': [
      'local nauthilus_redis = require("nauthilus_redis")',
      'function nauthilus_backend_verify_password(request)',
      '  local b = nauthilus_backend_result.new()',
      '  nauthilus_redis.redis_incr("default", "test:backend_calls")',
      '  b:user_found(true)', '  b:account_field("account")', '  b:attributes({ account = "alice" })',
      '  b:authenticated(request.password == "alice-secret")',
      '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
      'end', '',
    ].join('\n'),
  });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }), workers: 0 });
  engines.push(engine);
  const login = (password: string, i: number) =>
    engine.authenticate(buildAuthRequest({ username: 'alice', password, client_ip: `198.51.100.${(i % 250) + 1}`, protocol: 'imap' }, 'auth', 'json'));
  const guesses = Array.from({ length: 200 }, (_, i) => login(`guess-${i}`, i));
  await turn();
  await engine.protection.bruteForce!.flush('198.51.100.1', '*');
  const outs = await Promise.all(guesses);
  const reached = Number(await engine.services.redis.client.get('test:backend_calls'));
  // the slots in flight at the flush still count once they are judged, after it: one limit on each side
  assert.ok(reached <= 2 * LIMIT, `${reached} of 200 parallel guesses reached the backend (limit ${LIMIT} per side of the flush)`);
  assert.ok(outs.every((o) => o.decision === 'fail'), 'every guess is refused, none is a temporary failure');
  const counter = Number(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'));
  assert.ok(counter <= LIMIT, `the counter after the flush is ${counter}`);
  assert.equal(await engine.services.redis.client.zcard('{bf:b24:198.51.100.0/24}:inflight'), 0, 'every slot was counted or given back');
  if (counter === LIMIT) assert.equal((await login('alice-secret', 9)).decision, 'fail', 'a full bucket refuses the right password');
});
