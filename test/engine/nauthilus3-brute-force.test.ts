// auth.controls.brute_force.protocols and bucket ban_time of a Nauthilus 3.x config through the engine (our own
// configs): brute force checks and counts only the protocols listed, none without the list, and a refused network
// stays banned for ban_time (8h by default), as Nauthilus v3.0.1 core/bruteforce.go and bruteforce/bruteforce.go do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml, errorsOf, FILE, v3LuaBackendHead } from '../helpers/config-text';
import { parseConfigText } from '../../engine/config/load';

const BACKEND = yml(
  'function nauthilus_backend_verify_password(request)',
  '  local b = nauthilus_backend_result.new()',
  '  b:user_found(true)',
  '  b:account_field("account")',
  '  b:attributes({ account = request.username })',
  '  b:authenticated(request.password == "right")',
  '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
  'end',
);

const config = (protocols: string[], banTime = '') => yml(
  ...v3LuaBackendHead('[brute_force]'),
  '    brute_force:',
  ...protocols,
  `      buckets: [{ name: b24, period: 1h, cidr: 24, ipv4: true, failed_requests: 2${banTime} }]`,
);

// a brute_force action: what nauthilus_brute_force.is_ip_address_blocked says about the client
const SEEN = yml(
  'local bf = require("nauthilus_brute_force")',
  'function nauthilus_call_action(request)',
  '  local b = bf.is_ip_address_blocked(request.client_ip)',
  '  nauthilus_builtin.custom_log_add("blocked_by", b and table.concat(b, ",") or "none")',
  '  return nauthilus_builtin.ACTION_RESULT_OK',
  'end',
);

async function withEngine<T>(text: string, fn: (fx: EngineFixture) => Promise<T>): Promise<T> {
  const dir = workspace({ 'authstudio.yml': text, 'backend.lua': BACKEND, 'seen.lua': SEEN });
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  try {
    return await fn(fx);
  } finally {
    await fx.close();
  }
}

async function login(fx: EngineFixture, protocol: string, password: string): Promise<{ status: number; bf: string[]; seen?: string }> {
  const res = await jsonLogin(fx.app, { username: 'alice', password, protocol, client_ip: '192.0.2.20' });
  const trace = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))?.trace ?? [];
  return { status: res.statusCode, bf: trace.filter((t) => t.stage === 'brute_force').map((t) => t.result), seen: trace.find((t) => t.stage === 'action')?.logs.blocked_by };
}

test('Nauthilus 3.0: brute force checks and counts only the protocols in auth.controls.brute_force.protocols', async () => {
  await withEngine(config(['      protocols: [imap]']), async (fx) => {
    for (let i = 0; i < 3; i++) {
      const r = await login(fx, 'pop3', `wrong-${i}`);
      assert.equal(r.status, 403);
      assert.deepEqual(r.bf, [], 'pop3 is not listed: not checked');
    }
    assert.equal((await login(fx, 'pop3', 'right')).status, 200, 'three pop3 failures counted nothing');
    for (let i = 0; i < 2; i++) assert.equal((await login(fx, 'imap', `wrong-${i}`)).status, 403);
    const blocked = await login(fx, 'imap', 'right');
    assert.equal(blocked.status, 403, 'two imap failures fill the bucket');
    assert.deepEqual(blocked.bf, ['blocked']);
  });
});

test('Nauthilus 3.0: without protocols brute force applies to none, with a warning naming the key', async () => {
  const c = parseConfigText(config([]), FILE, { checkFiles: false, env: {} });
  assert.deepEqual(c.bruteForce?.protocols, []);
  assert.deepEqual(c.warnings?.map((w) => [w.path, w.location?.line]), [['auth.controls.brute_force.protocols', 14]]);
  assert.match(c.warnings![0].message, /no protocols listed: brute force checks and counts no login/);
  await withEngine(config([]), async (fx) => {
    for (let i = 0; i < 3; i++) await login(fx, 'imap', `wrong-${i}`);
    const r = await login(fx, 'imap', 'right');
    assert.equal(r.status, 200);
    assert.deepEqual(r.bf, []);
  });
});

test('Nauthilus 1.10: protocols is not a key of a 1.x brute_force section', () => {
  const errs = errorsOf(yml('brute_force:', '  protocols: [imap]', '  buckets: [{ name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }]'));
  assert.deepEqual(errs.map((e) => [e.code, e.location?.line]), [['AS_ERR_CONFIG_UNKNOWN_KEY', 2]]);
  assert.match(errs[0].message, /unknown key "protocols" at brute_force \(a Nauthilus 3\.x key of auth\.controls\.brute_force\)/);
});

test('Nauthilus 3.0: a network a bucket refused stays banned for ban_time, after its counter is gone', async () => {
  const withAction = config(['      protocols: [imap]'], ', ban_time: 2h')
    + yml('  policy:', '    obligation_targets:', '      lua:', '        actions:', '          - { type: brute_force, name: seen, script_path: ./seen.lua }');
  await withEngine(withAction, async (fx) => {
    const redis = fx.engine.services.redis.client;
    for (let i = 0; i < 2; i++) assert.equal((await login(fx, 'imap', `wrong-${i}`)).status, 403);
    const first = await login(fx, 'imap', 'right');
    assert.deepEqual(first.bf, ['blocked'], 'the bucket refuses: the network is banned');
    assert.equal(first.seen, 'b24', 'is_ip_address_blocked names the bucket whose ban holds');
    const ttl = await redis.ttl('bf:ban:192.0.2.0/24');
    assert.ok(ttl > 7000 && ttl <= 7200, `ban for 2h, ttl ${ttl}`);
    assert.equal(await redis.get('bf:ban:192.0.2.0/24'), 'b24');
    // the counter expires after the bucket's period; the ban does not
    await redis.del('bf:b24:192.0.2.0/24');
    const later = await login(fx, 'imap', 'right');
    assert.equal(later.status, 403);
    assert.deepEqual(later.bf, ['blocked (banned)']);
    assert.equal(later.seen, 'b24', 'Nauthilus 3.0 is_ip_address_blocked reads the ban, not the counter');
    await redis.del('bf:ban:192.0.2.0/24');
    assert.equal((await login(fx, 'imap', 'right')).status, 200, 'the ban ended');
  });
  // no ban_time: Nauthilus 3.0's default of 8h
  await withEngine(config(['      protocols: [imap]']), async (fx) => {
    for (let i = 0; i < 3; i++) await login(fx, 'imap', `wrong-${i}`);
    const ttl = await fx.engine.services.redis.client.ttl('bf:ban:192.0.2.0/24');
    assert.ok(ttl > 8 * 3600 - 100 && ttl <= 8 * 3600, `ban for 8h, ttl ${ttl}`);
  });
});

test('Nauthilus 1.10: ban_time is not a key of a 1.x bucket', () => {
  const errs = errorsOf(yml('brute_force:', '  buckets: [{ name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 2, ban_time: 1h }]'));
  assert.deepEqual(errs.map((e) => [e.code, e.path]), [['AS_ERR_CONFIG_UNKNOWN_KEY', 'brute_force.buckets[0].ban_time']]);
});
