// Brute-force tolerations applied in the check, against a real redis-server: an address whose users mostly log in
// fine passes a full bucket while its failing users stay within tolerate_percent of its good ones.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import type { AuthOutcome } from '../../engine/pipeline/pipeline';
import { maxNegatives, defaultTolerationConfig } from '../../engine/protection/tolerations';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { workspace, yml } from '../helpers/config-text';
import { runLua, testServices } from '../helpers/lua-harness';
import { RedisStore } from '../../engine/redis/store';
import { redisServerSettings } from '../helpers/redis-server';

// every user's password is "right"; every call of the backend counts in Redis
const BACKEND = `
local nauthilus_redis = require("nauthilus_redis")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  nauthilus_redis.redis_incr("default", "test:backend_calls")
  b:user_found(true)
  b:authenticated(request.password == "right")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

let redis: RedisServer;
const engines: AuthEngine[] = [];
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  await redis.stop();
});

async function engineWith(bruteForce: string[], workers = 0): Promise<AuthEngine> {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  log: {level: error}', '  max_concurrent_requests: 1000', '  lua_script_timeout: 2s',
      'brute_force:', '  buckets:', '    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: 2}', ...bruteForce.map((l) => `  ${l}`),
      'lua:', '  config:', '    backend_script_path: ./backend.lua',
    ),
    'backend.lua': BACKEND,
  });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml'), { redisOverride: redis.url }), { logger: pino({ level: 'silent' }), workers });
  engines.push(engine);
  await engine.services.redis.client.flushdb();
  return engine;
}

const login = (engine: AuthEngine, username: string, password: string, ip = '192.0.2.10') =>
  engine.authenticate(buildAuthRequest({ username, password, client_ip: ip, protocol: 'imap' }, 'auth', 'json'));
const bf = (o: AuthOutcome) => o.trace.find((r) => r.stage === 'brute_force' && r.name === 'brute_force')?.result;
const reached = (o: AuthOutcome) => o.trace.some((r) => r.stage === 'backend');

describe('brute-force tolerations (real redis-server)', () => {
  test('Nauthilus 1.10: without tolerate_ttl nothing is tolerated: a full bucket refuses even after good logins', async () => {
    const engine = await engineWith([]);
    for (const u of ['u1', 'u2', 'u3', 'u4']) assert.equal((await login(engine, u, 'right')).decision, 'ok');
    await login(engine, 'x1', 'wrong-1');
    await login(engine, 'x1', 'wrong-2');
    const refused = await login(engine, 'x2', 'wrong-3');
    assert.equal(bf(refused), 'blocked');
    assert.equal(reached(refused), false);
    // no toleration TTL: no toleration state is written either
    assert.equal(await engine.services.redis.client.exists('bf:TR:192.0.2.10'), 0);
  });

  test('Nauthilus 1.10: tolerate_percent / tolerate_ttl let an address through while failing users <= percent of good users', async () => {
    const engine = await engineWith(['tolerate_percent: 50', 'tolerate_ttl: 1h']);
    const client = engine.services.redis.client;
    // 4 users log in fine: positive 4, so up to floor(50 * 4 / 100) = 2 failing users are tolerated
    for (const u of ['U1', 'u2', 'u3', 'u4']) assert.equal((await login(engine, u, 'right')).decision, 'ok');
    assert.deepEqual(await client.hgetall('bf:TR:192.0.2.10'), { positive: '4' });
    assert.deepEqual(await client.zrange('bf:TR:192.0.2.10:P', 0, -1), ['u1', 'u2', 'u3', 'u4']); // lower-cased
    await login(engine, 'x1', 'wrong-1');
    await login(engine, 'x1', 'wrong-2'); // the bucket (2) is full now
    assert.equal(await client.get('bf:b24:192.0.2.0/24'), '2');
    // negative counts users, not passwords: x1 is one failing user however often it fails
    const third = await login(engine, 'x1', 'wrong-3');
    assert.equal(bf(third), 'pass (tolerated)');
    assert.equal(reached(third), true);
    assert.equal(third.decision, 'fail');
    const x2 = await login(engine, 'x2', 'wrong-4'); // negative 1 -> 2: still within 2
    assert.equal(bf(x2), 'pass (tolerated)');
    const x3 = await login(engine, 'x3', 'wrong-5'); // checked at negative 2 (tolerated), then negative 3
    assert.equal(bf(x3), 'pass (tolerated)');
    assert.equal(await client.hget('bf:TR:192.0.2.10', 'negative'), '3');
    const x4 = await login(engine, 'x4', 'wrong-6');
    assert.equal(bf(x4), 'blocked');
    assert.equal(reached(x4), false);
    // the counter went on counting the tolerated failures
    assert.equal(await client.get('bf:b24:192.0.2.0/24'), '5');
    // a refused request marks the network: more good users no longer reopen it (Nauthilus' "already triggered")
    await client.hset('bf:TR:192.0.2.10', 'positive', '100');
    assert.equal(bf(await login(engine, 'u1', 'right')), 'blocked');
    // another address of the same network has no good users: refused as well
    assert.equal(bf(await login(engine, 'u1', 'right', '192.0.2.11')), 'blocked');
    // the key TTLs are tolerate_ttl
    const ttl = await client.ttl('bf:TR:192.0.2.10:N');
    assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);
  });

  test('Nauthilus 1.10: custom_tolerations from the config set percent and TTL for their addresses only', async () => {
    const engine = await engineWith(['custom_tolerations:', '  - {ip_address: 192.0.2.0/28, tolerate_percent: 100, tolerate_ttl: 10m}']);
    for (const ip of ['192.0.2.10', '192.0.2.100']) assert.equal((await login(engine, 'u1', 'right', ip)).decision, 'ok');
    // no global TTL: 192.0.2.100 has no toleration state at all
    assert.equal(await engine.services.redis.client.exists('bf:TR:192.0.2.100'), 0);
    assert.deepEqual(await engine.services.redis.client.hgetall('bf:TR:192.0.2.10'), { positive: '1' });
    await login(engine, 'x1', 'wrong-1', '192.0.2.100');
    await login(engine, 'x1', 'wrong-2', '192.0.2.100');
    assert.equal(bf(await login(engine, 'x1', 'wrong-3', '192.0.2.10')), 'pass (tolerated)'); // 1 failing <= 100 % of 1
    assert.equal(bf(await login(engine, 'x2', 'wrong-4', '192.0.2.100')), 'blocked');
  });

  test('Nauthilus 1.10: a toleration set from Lua (nauthilus_brute_force.set_custom_tolerations) applies to the next request', async () => {
    const engine = await engineWith([]);
    const services = testServices({ redis: new RedisStore(redisServerSettings(redis)) });
    try {
      await runLua(`
        local bf = require("nauthilus_brute_force")
        bf.set_custom_tolerations({ { ip_address = "192.0.2.10", tolerate_percent = 100, tolerate_ttl = "1h" } })`, { services });
      assert.equal((await login(engine, 'u1', 'right')).decision, 'ok');
      await login(engine, 'x1', 'wrong-1');
      await login(engine, 'x1', 'wrong-2');
      assert.equal(bf(await login(engine, 'x1', 'wrong-3')), 'pass (tolerated)');
      await runLua('require("nauthilus_brute_force").delete_custom_toleration("192.0.2.10")', { services });
      assert.equal(bf(await login(engine, 'x1', 'wrong-4')), 'blocked');
    } finally {
      await services.redis.close();
    }
  });

  test('Nauthilus 1.10: with tolerations configured, an address that is not tolerated still gets at most failed_requests wrong passwords to the backend under 200 parallel guesses', async () => {
    const engine = await engineWith(['tolerate_percent: 50', 'tolerate_ttl: 1h'], 2);
    const outs = await Promise.all(Array.from({ length: 200 }, (_, i) => login(engine, 'victim', `guess-${i}`, `192.0.2.${(i % 200) + 1}`)));
    assert.equal(outs.filter(reached).length, 2);
    assert.equal(await engine.services.redis.client.get('test:backend_calls'), '2');
    assert.ok(outs.every((o) => o.decision === 'fail' || o.decision === 'tempfail'));
  });
});

test('Nauthilus 1.10: adaptive toleration grows the percent from min to max with ln(positive+1)/ln(100) * scale_factor', () => {
  const cfg = { ...defaultTolerationConfig(), adaptive: true, percent: 0 }; // 10 % .. 50 %, scale 1
  assert.equal(maxNegatives(cfg, 9), 2); // factor 0.5 -> 30 % of 9
  assert.equal(maxNegatives(cfg, 99), 49); // factor 1 -> 50 % of 99
  assert.equal(maxNegatives({ ...cfg, scaleFactor: 0.1 }, 99), 13); // factor 0.1 -> 14 % of 99
  assert.equal(maxNegatives({ ...cfg, adaptive: false, percent: 20 }, 9), 1); // static: floor(20 * 9 / 100)
});
