// The blocked-network index (/api/v1/bruteforce/list) stays bounded without anyone calling the list endpoint:
// entries past their bucket's period go as new blocks come, and the key carries a TTL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import { startRedisServer } from '../helpers/redis-server';
import { workspace, yml } from '../helpers/config-text';

const redisP = startRedisServer();
after(async () => (await redisP).stop());

test('expired entries leave the blocked index when the next network is blocked; the index key has a TTL', async () => {
  const redis = await redisP;
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  log: {level: error}',
      'brute_force:', '  buckets:', '    - {name: fast, period: 1s, cidr: 24, ipv4: true, failed_requests: 1}',
      'lua:', '  config:', '    backend_script_path: ./backend.lua',
    ),
    'backend.lua': 'function nauthilus_backend_verify_password(r)\n  local b = nauthilus_backend_result.new()\n  b:user_found(true)\n  b:authenticated(false)\n  return 0, b\nend\n',
  });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml'), { redisOverride: redis.url }), { logger: pino({ level: 'silent' }) });
  try {
    const client = engine.services.redis.client;
    const fail = (ip: string) => engine.authenticate(buildAuthRequest({ username: 'u', password: 'p-' + ip, client_ip: ip, protocol: 'imap' }, 'auth', 'json'));
    await fail('192.0.2.1');
    assert.deepEqual(await client.zrange('bf:blocked', 0, -1), ['fast|192.0.2.0/24']);
    const ttl = await client.pttl('bf:blocked');
    assert.ok(ttl > 0 && ttl <= 60_000, `bf:blocked TTL ${ttl} ms`);
    // wait until the first block's window is over (its score is the window's end), then block another network
    const end = Number(await client.zscore('bf:blocked', 'fast|192.0.2.0/24'));
    const deadline = Date.now() + 5000;
    while (Date.now() <= end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await fail('198.51.100.1');
    assert.deepEqual(await client.zrange('bf:blocked', 0, -1), ['fast|198.51.100.0/24']);
  } finally {
    await engine.close();
  }
});
