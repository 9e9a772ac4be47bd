// Nauthilus 3.x entry points and modules around MFA and localization: nauthilus_i18n, the Lua backend's TOTP and
// WebAuthn commands, the cache flush callback, storage.redis.encryption_secret and 3.1's emit_attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import { parseConfigText } from '../../engine/config/load';
import { ConfigValidationError } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import type { NauthilusProfile } from '../../engine/config/types';

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-mfa-i18n-'));
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return dir;
}

async function engineFor(dir: string, yml: string[]) {
  const engine = await AuthEngine.create(parseConfigText(yml.join('\n') + '\n', path.join(dir, 'authstudio.yml'), {}), { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  return { engine, app, close: async () => { await app.close(); await engine.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

const I18N_INIT = `
local i18n = require("nauthilus_i18n")
function nauthilus_run_hook()
  i18n.register_catalog({ language = "de", namespace = "site", entries = { ["auth.denied"] = "Zugriff verweigert" } })
  i18n.register_catalog({ language = "en", entries = { ["auth.denied"] = "Access denied" } })
end`;

const I18N_HOOK = `
local i18n = require("nauthilus_i18n")
function nauthilus_run_hook()
  local function show(r) return r.message .. "|" .. r.language .. "|" .. tostring(r.localized) .. "|" .. tostring(r.fallback_used) .. "|" .. r.i18n_key end
  local ok, err = pcall(i18n.register_catalog, { language = "fr", entries = { a = "b" } })
  local ok2, err2 = pcall(i18n.get_localized, { i18n_key = "auth.denied" })
  return {
    de = show(i18n.get_localized({ i18n_key = "auth.denied", fallback = "denied", language = "de" })),
    de_at = show(i18n.get_localized({ i18n_key = "auth.denied", fallback = "denied", language = "de-AT" })),
    default = show(i18n.get_localized({ i18n_key = "auth.denied", fallback = "denied" })),
    unknown_key = show(i18n.get_localized({ i18n_key = "auth.other", fallback = "other", language = "de" })),
    register_at_request = tostring(err), no_fallback = tostring(err2),
  }
end`;

test('Nauthilus 3.0: nauthilus_i18n.get_localized finds messages init scripts registered (language, base language, default en), else the fallback', async () => {
  const dir = workspace({ 'init.lua': I18N_INIT, 'hook.lua': I18N_HOOK });
  const w = await engineFor(dir, ['nauthilus: "3.0"', 'server: { backends: [cache], redis: mock }', 'lua:',
    '  config: { init_script_path: ./init.lua }', '  custom_hooks: [{ http_location: t, http_method: GET, script_path: ./hook.lua }]']);
  try {
    const r = (await w.app.inject({ method: 'GET', url: '/api/v1/custom/t' })).json();
    assert.equal(r.de, 'Zugriff verweigert|de|true|false|auth.denied');
    assert.equal(r.de_at, 'Zugriff verweigert|de|true|false|auth.denied');
    assert.equal(r.default, 'Access denied|en|true|false|auth.denied');
    assert.equal(r.unknown_key, 'other|de|false|true|auth.other');
    assert.match(r.register_at_request, /register_catalog is only available during startup Lua execution/);
    assert.match(r.no_fallback, /fallback must be a non-empty string/);
  } finally {
    await w.close();
  }
});

test('Nauthilus 3.0: catalogs of an init run become active only when every init script succeeded', async () => {
  const dir = workspace({
    'init.lua': I18N_INIT,
    'broken.lua': 'function nauthilus_run_hook() error("init broke") end',
    'hook.lua': 'function nauthilus_run_hook() return { m = require("nauthilus_i18n").get_localized({ i18n_key = "auth.denied", fallback = "fb", language = "de" }).message } end',
  });
  const w = await engineFor(dir, ['nauthilus: "3.0"', 'server: { backends: [cache], redis: mock }', 'lua:',
    '  config: { init_script_paths: [./init.lua, ./broken.lua] }', '  custom_hooks: [{ http_location: t, http_method: GET, script_path: ./hook.lua }]']);
  try {
    assert.equal((await w.app.inject({ method: 'GET', url: '/api/v1/custom/t' })).json().m, 'fb');
  } finally {
    await w.close();
  }
});

test('Nauthilus 3.0: register_catalog rejects a bad language tag and entries that are not string to string', async () => {
  const dir = workspace({
    'init.lua': `local i18n = require("nauthilus_i18n")
function nauthilus_run_hook()
  local out = {}
  for _, t in ipairs({ { language = "not a tag!", entries = { a = "b" } }, { language = "de", entries = { "x" } }, { language = "de", entries = {} }, { language = "de", entries = { a = 1 } } }) do
    local ok, err = pcall(i18n.register_catalog, t)
    out[#out + 1] = tostring(err)
  end
  require("nauthilus_cache").cache_set("errs", table.concat(out, "\\n"), 0)
end`,
    'hook.lua': 'function nauthilus_run_hook() return { e = require("nauthilus_cache").cache_get("errs") } end',
  });
  const w = await engineFor(dir, ['nauthilus: "3.0"', 'server: { backends: [cache], redis: mock }', 'lua:',
    '  config: { init_script_path: ./init.lua }', '  custom_hooks: [{ http_location: t, http_method: GET, script_path: ./hook.lua }]']);
  try {
    const lines = String((await w.app.inject({ method: 'GET', url: '/api/v1/custom/t' })).json().e).split('\n');
    assert.match(lines[0], /catalog language "not a tag!" is invalid/);
    assert.match(lines[1], /entries keys must be strings/);
    assert.match(lines[2], /entries must contain at least one message/);
    assert.match(lines[3], /entries values must be strings/);
  } finally {
    await w.close();
  }
});

test('Nauthilus 1.10: require("nauthilus_i18n") finds no host module (a 3.x name); 3.0 and 3.1 have it', async () => {
  for (const [profile, want] of [['1.10', false], ['3.0', true], ['3.1', true]] as const) {
    const services = testServices();
    services.profile = profile as NauthilusProfile;
    const [ok] = await runLua('return (pcall(require, "nauthilus_i18n"))', { services });
    assert.equal(ok, want, profile);
  }
});

const MFA_BACKEND = `
local cache = require("nauthilus_cache")
local function keep(name, request)
  local codes = type(request.totp_recovery_codes) == "table" and table.concat(request.totp_recovery_codes, ",") or tostring(request.totp_recovery_codes)
  cache.cache_set(name, table.concat({ request.username, tostring(request.user_found), tostring(request.authenticated), request.account,
    codes, request.webauthn_credential, request.webauthn_old_credential }, "|"), 0)
end
function nauthilus_backend_verify_password(request) return 0, nauthilus_backend_result.new() end
function nauthilus_backend_delete_totp(r) keep("delete_totp", r) return 0 end
function nauthilus_backend_add_totp_recovery_codes(r) keep("add_codes", r) return 0 end
function nauthilus_backend_delete_totp_recovery_codes(r) keep("delete_codes", r) return 0 end
function nauthilus_backend_get_webauthn_credentials(r)
  keep("get", r)
  return 0, { '{"id":"c1","sign_count":3}', 7, "not json", '{"id":"c2"}' }
end
function nauthilus_backend_save_webauthn_credential(r) keep("save", r) return 0 end
function nauthilus_backend_delete_webauthn_credential(r) keep("delete", r) return 1 end
function nauthilus_backend_update_webauthn_credential(r) keep("update", r) return 0 end`;

test('Nauthilus 3.0: the Lua backend\'s TOTP and WebAuthn commands get the request fields Nauthilus sets; a non-zero result fails the command', async () => {
  const dir = workspace({ 'backend.lua': MFA_BACKEND });
  const w = await engineFor(dir, ['nauthilus: "3.0"', 'server: { backends: [lua], redis: mock }', 'lua:', '  config: { backend_script_path: ./backend.lua }']);
  try {
    await w.engine.backendCommand('delete_totp', { username: 'alice' });
    await w.engine.backendCommand('add_totp_recovery_codes', { username: 'alice', account: 'alice@example.org', codes: ['r1', 'r2'] });
    await w.engine.backendCommand('delete_totp_recovery_codes', { username: 'alice' });
    const creds = await w.engine.backendCommand('get_webauthn_credentials', { username: 'alice' });
    await w.engine.backendCommand('save_webauthn_credential', { username: 'alice', credential: '{"id":"c3"}' });
    await w.engine.backendCommand('update_webauthn_credential', { username: 'alice', credential: '{"id":"c3","sign_count":1}', oldCredential: '{"id":"c3"}' });
    await assert.rejects(w.engine.backendCommand('delete_webauthn_credential', { username: 'alice', credential: '{"id":"c3"}' }),
      /nauthilus_backend_delete_webauthn_credential: Lua script finished with an error/);
    const seen = (k: string) => w.engine.services.cache.get(k);
    assert.equal(seen('delete_totp'), 'alice|false|false||nil||');
    // recovery codes: a found, authenticated user with its account; the codes as a list
    assert.equal(seen('add_codes'), 'alice|true|true|alice@example.org|r1,r2||');
    assert.equal(seen('delete_codes'), 'alice|true|true|alice|nil||');
    assert.equal(seen('save'), 'alice|false|false||nil|{"id":"c3"}|');
    assert.equal(seen('update'), 'alice|false|false||nil|{"id":"c3","sign_count":1}|{"id":"c3"}');
    // the strings that are JSON, as Nauthilus unmarshals them (7 and "not json" are left out)
    assert.deepEqual(creds, [{ id: 'c1', sign_count: 3 }, { id: 'c2' }]);
  } finally {
    await w.close();
  }
});

test('Nauthilus 3.0: cache flush runs nauthilus_cache_flush(request) first and deletes the Redis keys it names', async () => {
  const prefix = `as-flush-${crypto.randomUUID()}:`;
  const dir = workspace({
    'flush.lua': `function nauthilus_cache_flush(request)
  return { "mfa:" .. request.username, "absent:" .. request.username, 42 }, request.username .. "@example.org"
end`,
  });
  const w = await engineFor(dir, ['nauthilus: "3.0"', `server: { backends: [cache, lua], redis: { master: { address: "127.0.0.1:6379" }, prefix: "${prefix}" } }`, 'lua:',
    '  config: { cache_flush_script_path: ./flush.lua }']);
  const client = w.engine.services.redis.client;
  try {
    await client.set('mfa:bob', 'x');
    const res = await w.app.inject({ method: 'DELETE', url: '/api/v1/cache/flush', payload: { user: 'bob' } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.removed_keys, ['mfa:bob', 'absent:bob']);
    assert.equal(body.account, 'bob@example.org');
    assert.equal(await client.exists('mfa:bob'), 0);
  } finally {
    await client.del('mfa:bob');
    await w.close();
  }
});

test('Nauthilus 3.0: a cache flush script that fails is logged and the flush goes on', async () => {
  const dir = workspace({ 'flush.lua': 'function nauthilus_cache_flush(request) error("flush broke") end' });
  const w = await engineFor(dir, ['nauthilus: "3.0"', 'server: { backends: [cache, lua], redis: mock }', 'lua:', '  config: { cache_flush_script_path: ./flush.lua }']);
  try {
    const res = await w.app.inject({ method: 'DELETE', url: '/api/v1/cache/flush', payload: { user: 'bob' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { user: 'bob', removed: 0 });
  } finally {
    await w.close();
  }
});

test('Nauthilus 3.0: storage.redis.encryption_secret reaches redis_encrypt (ciphertext, decrypts back); 1.x has no such key; a short secret is refused', async () => {
  const file = 'lua-plugins.d/authstudio.yml';
  const c = parseConfigText(['storage:', '  redis:', '    mock: true', '    encryption_secret: "0123456789abcdef-x"', 'auth: {}', ''].join('\n'), file, { checkFiles: false, env: {} });
  assert.equal(c.server.redis.encryptionSecret, '0123456789abcdef-x');
  const services = testServices();
  services.profile = '3.0';
  services.redis = new (await import('../../engine/redis/store')).RedisStore(c.server.redis);
  try {
    const [enc, dec, on] = await runLua('local r = require("nauthilus_redis"); local e = r.redis_encrypt("default", "secret text"); return e, r.redis_decrypt("default", e), r.redis_is_encryption_enabled("default")', { services });
    assert.notEqual(enc, 'secret text');
    assert.equal(dec, "secret text");
    assert.equal(on, true);
  } finally {
    await services.redis.close();
  }
  const errorText = (yml: string[]) => {
    try {
      parseConfigText(yml.join('\n') + '\n', file, { checkFiles: false, env: {} });
      return '';
    } catch (e) {
      return (e as ConfigValidationError).message;
    }
  };
  assert.match(errorText(['server:', '  redis:', '    mock: true', '    encryption_secret: "0123456789abcdef-x"']), /is a Nauthilus 3.x key \(storage.redis.encryption_secret\)/);
  assert.match(errorText(['storage:', '  redis:', '    mock: true', '    encryption_secret: short', 'auth: {}']), /at least 16 characters/);
});

test('Nauthilus 3.1: nauthilus_policy.emit_attributes exists (a batch emitter), not under 3.0; outside a policy stage it raises', async () => {
  for (const [profile, want] of [['3.0', 'nil'], ['3.1', 'function']] as const) {
    const services = testServices();
    services.profile = profile;
    const [t, err] = await runLua('local p = require("nauthilus_policy"); local ok, err = pcall(p.emit_attributes or function() end, {}); return type(p.emit_attributes), tostring(err)', { services });
    assert.equal(t, want, profile);
    if (profile === '3.1') assert.match(String(err), /nauthilus_policy emitter is not available in this Lua runtime/);
  }
});

test('Nauthilus 3.0: export writes storage.redis.encryption_secret as ${NAUTHILUS_STORAGE_REDIS_ENCRYPTION_SECRET} and bundles the cache flush script', async () => {
  const { exportBundle } = await import('../../engine/studio/export');
  const dir = workspace({
    'flush.lua': 'function nauthilus_cache_flush(request) return {} end',
    'authstudio.yml': ['storage:', '  redis:', '    mock: true', '    encryption_secret: "enc-secret-0123456789"', 'auth:', '  backends:', '    lua:', '      backend:',
      '        default: { cache_flush_script_path: ./flush.lua }', ''].join('\n'),
  });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-mfa-export-'));
  try {
    exportBundle({ configFile: path.join(dir, 'authstudio.yml'), out, env: {} });
    const text = fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8');
    assert.match(text, /encryption_secret: "\$\{NAUTHILUS_STORAGE_REDIS_ENCRYPTION_SECRET\}"/);
    assert.ok(!text.includes('enc-secret-0123456789'), 'the secret itself is not exported');
    assert.match(text, /cache_flush_script_path: \/etc\/nauthilus\/lua-plugins\.d\/flush\.lua/);
    assert.ok(fs.existsSync(path.join(out, 'flush.lua')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0: check reports a cache flush script without nauthilus_cache_flush, and lets init scripts register catalogs', async () => {
  const { checkWorkspace } = await import('../../engine/check');
  const dir = workspace({
    'flush.lua': 'function flush(request) return {} end',
    'init.lua': 'function nauthilus_run_hook() require("nauthilus_i18n").register_catalog({ language = "de", entries = { a = "b" } }) end',
    'authstudio.yml': ['nauthilus: "3.0"', 'server: { backends: [cache], redis: mock }', 'lua:', '  config: { cache_flush_script_path: ./flush.lua, init_script_path: ./init.lua }', ''].join('\n'),
  });
  try {
    const problems = (await checkWorkspace(path.join(dir, 'authstudio.yml'))).filter((p) => p.severity !== 'warning' || /init/.test(p.message));
    assert.deepEqual(problems.map((p) => `${path.basename(p.location?.file ?? '')}: ${p.message}`), ['flush.lua: a cache flush script must define nauthilus_cache_flush()']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 1.10: no cache_flush_script_path (a config error naming the key) and no 3.x backend commands', async () => {
  const file = 'lua-plugins.d/authstudio.yml';
  let message = '';
  try {
    parseConfigText(['server: { backends: [cache], redis: mock }', 'lua:', '  config: { cache_flush_script_path: ./flush.lua }', ''].join('\n'), file, { checkFiles: false, env: {} });
  } catch (e) {
    message = (e as ConfigValidationError).message;
  }
  assert.match(message, /"cache_flush_script_path" at lua.config.cache_flush_script_path is a Nauthilus 3.x key, but this workspace targets Nauthilus 1.10/);
  const dir = workspace({ 'backend.lua': MFA_BACKEND });
  const w = await engineFor(dir, ['server: { backends: [lua], redis: mock }', 'lua:', '  config: { backend_script_path: ./backend.lua }']);
  try {
    await assert.rejects(w.engine.backendCommand('delete_totp', { username: 'alice' }), /delete_totp is a Nauthilus 3.x backend command; this workspace targets Nauthilus 1.10/);
    assert.equal(w.engine.services.cache.get('delete_totp'), undefined, 'the script was not called');
  } finally {
    await w.close();
  }
});

test('Nauthilus 3.0: authstudio simulate --mode runs a backend command (credentials printed; a failing command exits 1 naming it)', async () => {
  const { spawnSync } = await import('node:child_process');
  const ROOT = path.join(__dirname, '..', '..', '..');
  const dir = workspace({
    'backend.lua': MFA_BACKEND,
    'authstudio.yml': ['nauthilus: "3.0"', 'server: { backends: [lua], redis: mock }', 'lua:', '  config: { backend_script_path: ./backend.lua }', ''].join('\n'),
  });
  try {
    const run = (...a: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'simulate', '--config', path.join(dir, 'authstudio.yml'), '--user', 'alice', ...a], { cwd: ROOT, encoding: 'utf8' });
    const get = run('--mode', 'get_webauthn_credentials', '--json');
    assert.equal(get.status, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), { command: 'nauthilus_backend_get_webauthn_credentials', result: 'ok', credentials: [{ id: 'c1', sign_count: 3 }, { id: 'c2' }] });
    const del = run('--mode', 'delete_webauthn_credential', '--credential', '{"id":"c1"}');
    assert.equal(del.status, 1);
    assert.match(del.stderr, /nauthilus_backend_delete_webauthn_credential: Lua script finished with an error/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0: a reload takes the catalogs of its own init run (new texts; none when an init script fails)', async () => {
  const dir = workspace({
    'init.lua': I18N_INIT,
    'hook.lua': 'function nauthilus_run_hook() return { m = require("nauthilus_i18n").get_localized({ i18n_key = "auth.denied", fallback = "fb", language = "de" }).message } end',
  });
  const yml = ['nauthilus: "3.0"', 'server: { backends: [cache], redis: mock }', 'lua:',
    '  config: { init_script_path: ./init.lua }', '  custom_hooks: [{ http_location: t, http_method: GET, script_path: ./hook.lua }]', ''].join('\n');
  const w = await engineFor(dir, [yml]);
  const message = async () => (await w.app.inject({ method: 'GET', url: '/api/v1/custom/t' })).json().m;
  try {
    assert.equal(await message(), 'Zugriff verweigert');
    fs.writeFileSync(path.join(dir, 'init.lua'), I18N_INIT.replace('Zugriff verweigert', 'Kein Zugang'));
    await w.engine.reload(parseConfigText(yml, path.join(dir, 'authstudio.yml'), {}));
    assert.equal(await message(), 'Kein Zugang');
    fs.writeFileSync(path.join(dir, 'init.lua'), I18N_INIT.replace(/end$/, '  error("broke after registering")\nend'));
    await w.engine.reload(parseConfigText(yml, path.join(dir, 'authstudio.yml'), {}));
    assert.equal(await message(), 'fb');
  } finally {
    await w.close();
  }
});
