// Auth-Wait on refused logins, as Nauthilus computes it: int(wait_delay × tanh(0.03 × attempts)) on the JSON, header
// and nginx endpoints (not /basic), wait_delay 10 s by default; 1.x counts the Auth-Login-Attempt header (+1 on
// nginx), 3.x failures so far (ordinal − 1) plus this one. Figures: int(10·tanh(0.03·n)) for n = 1..5 is 0,0,0,1,1;
// for n = 20 it is 5.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { workspace } from '../helpers/config-text';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';

const BACKEND = `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(request.username == "alice")
  b:authenticated(request.username == "alice" and request.password == "alice-secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

const fixtures: EngineFixture[] = [];
after(async () => {
  for (const f of fixtures) await f.close();
});

async function engineWith(config: string): Promise<EngineFixture> {
  const dir = workspace({ 'authstudio.yml': config, 'backend.lua': BACKEND });
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  fixtures.push(fx);
  return fx;
}

const V1 = (extra = '') => `server:\n  backends: [lua]\n  redis: mock\n${extra}lua:\n  config:\n    backend_script_path: ./backend.lua\n`;
const V3 = (pipeline = '') => `auth:\n  backends:\n    order: [lua]\n    lua:\n      backend:\n        default:\n          backend_script_path: ./backend.lua\n${pipeline ? `  pipeline:\n${pipeline}` : ''}storage:\n  redis: mock\n`;

function wrong(fx: EngineFixture, endpoint: 'json' | 'header' | 'nginx' | 'basic', attempt?: number) {
  const headers: Record<string, string> = {};
  if (attempt !== undefined) headers['Auth-Login-Attempt'] = String(attempt);
  if (endpoint === 'json') {
    return fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', headers, payload: { username: 'alice', password: 'nope', protocol: 'imap', ...(attempt !== undefined ? { auth_login_attempt: attempt } : {}) } });
  }
  if (endpoint === 'basic') {
    return fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic', headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
  }
  return fx.app.inject({ method: 'GET', url: `/api/v1/auth/${endpoint}`, headers: { ...headers, 'Auth-User': 'alice', 'Auth-Pass': 'nope', 'Auth-Protocol': 'imap', 'Auth-Method': 'plain', 'Client-IP': '192.0.2.7' } });
}

describe('Nauthilus 1.10/1.12 Auth-Wait (core/auth.go setFailureHeaders, increaseLoginAttempts)', () => {
  test('sent by default on json, header and nginx failures, never on /basic; json counts 0 attempts', async () => {
    const fx = await engineWith(V1());
    assert.equal((await wrong(fx, 'json', 20)).headers['auth-wait'], '0', 'the JSON body\'s auth_login_attempt is not read: tanh(0) = 0');
    assert.equal((await wrong(fx, 'header', 20)).headers['auth-wait'], '5', 'header endpoint: 20 attempts, int(10·tanh(0.6)) = 5');
    assert.equal((await wrong(fx, 'header')).headers['auth-wait'], '0', 'no Auth-Login-Attempt: 0 attempts');
    assert.equal((await wrong(fx, 'nginx', 1)).headers['auth-wait'], '0', 'nginx: attempt 1 counts 2, int(0.599) = 0');
    assert.equal((await wrong(fx, 'nginx', 3)).headers['auth-wait'], '1', 'nginx: attempt 3 counts 4, int(1.19) = 1');
    assert.equal((await wrong(fx, 'basic')).headers['auth-wait'], undefined);
  });

  test('nginx: the count stops growing at max_login_attempts (15 by default)', async () => {
    const fx = await engineWith(V1('  nginx_wait_delay: 100\n  max_login_attempts: 3\n'));
    // attempt 3 is not below the maximum: no +1, int(100·tanh(0.09)) = 8
    assert.equal((await wrong(fx, 'nginx', 3)).headers['auth-wait'], '8');
    // attempt 2 counts 3: int(100·tanh(0.09)) = 8 as well; attempt 1 counts 2: int(100·tanh(0.06)) = 5
    assert.equal((await wrong(fx, 'nginx', 1)).headers['auth-wait'], '5');
  });

  test('nginx_wait_delay: 0 sends no Auth-Wait; AuthStudio\'s server.auth_wait sends a fixed one', async () => {
    assert.equal((await wrong(await engineWith(V1('  nginx_wait_delay: 0\n')), 'nginx', 1)).headers['auth-wait'], undefined);
    const fixed = await engineWith(V1('  auth_wait: 2s\n'));
    assert.equal((await wrong(fixed, 'nginx', 1)).headers['auth-wait'], '2');
    assert.equal((await wrong(fixed, 'json')).headers['auth-wait'], '2');
  });

  test('a right password carries no Auth-Wait', async () => {
    const fx = await engineWith(V1());
    const r = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Auth-Protocol': 'imap', 'Auth-Login-Attempt': '9', 'Client-IP': '192.0.2.8' } });
    assert.equal(r.headers['auth-status'], 'OK');
    assert.equal(r.headers['auth-wait'], undefined);
  });
});

describe('Nauthilus 3.0 Auth-Wait (login_attempt_manager.go: failures = ordinal − 1, then this one)', () => {
  test('the ordinal counts on every endpoint, the JSON body\'s auth_login_attempt too; auth.pipeline.wait_delay and max_login_attempts apply', async () => {
    const fx = await engineWith(V3());
    assert.equal((await wrong(fx, 'nginx', 1)).headers['auth-wait'], '0', 'ordinal 1: 0 + 1 failures, int(0.2999) = 0');
    assert.equal((await wrong(fx, 'header', 5)).headers['auth-wait'], '1', 'ordinal 5: 4 + 1 failures, int(1.49) = 1');
    assert.equal((await wrong(fx, 'json', 21)).headers['auth-wait'], '5', 'JSON ordinal 21: 20 failures, int(5.37) = 5');
    const tuned = await engineWith(V3('    wait_delay: 100\n    max_login_attempts: 2\n'));
    // the ordinal is taken as it is (8 failures so far); the maximum only stops the +1: int(100·tanh(0.24)) = 23
    assert.equal((await wrong(tuned, 'nginx', 9)).headers['auth-wait'], '23');
    // ordinal 1 with wait_delay 100: 1 failure, int(100·tanh(0.03)) = 2
    assert.equal((await wrong(tuned, 'nginx', 1)).headers['auth-wait'], '2');
  });
});
