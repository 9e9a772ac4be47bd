// Nauthilus 3.0 additions to existing modules and objects, with a 3.x profile (config.profile); 1.x unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import { parseConfigText } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import type { LdapPoolConfig, NauthilusProfile } from '../../engine/config/types';
import { LdapPools } from '../../engine/ldap/pools';

function servicesFor(profile: NauthilusProfile | undefined) {
  const services = testServices();
  services.profile = profile;
  return services;
}

test('Nauthilus 3.0: url_partial_decode decodes valid %XX (any case, bytes), keeps invalid or cut escapes and "+"', async () => {
  const [a, b, c, d, e, err] = await runLua(`
    local r = require("nauthilus_http_request")
    local a = r.url_partial_decode("user%40example.org")
    local b = r.url_partial_decode("100%zz+%2b%2B")
    local c = r.url_partial_decode("%%41%4")
    local d = r.url_partial_decode("%C3%A4%e2%82%ac")
    local e, err = r.url_partial_decode("")
    return a, b, c, d, e, err`, { services: servicesFor('3.0') });
  assert.deepEqual([a, b, c, d, e, err], ['user@example.org', '100%zz+++', '%A%4', 'ä€', '', null]);
});

test('Nauthilus 3.0: backend result webauthn_credentials, groups and group_dns set a list of strings and read a copy', async () => {
  const [creds, groups, dns, empty, bad] = await runLua(`
    local b = nauthilus_backend_result.new()
    b:webauthn_credentials({ "c1", "c2" })
    b:groups({ "staff", 7, "admins" })
    b:group_dns({ "cn=staff,ou=groups,dc=example,dc=org" })
    local g = b:groups()
    g[1] = "changed"
    local ok, err = pcall(b.groups, b, "staff")
    return table.concat(b:webauthn_credentials(), ","), table.concat(b:groups(), ","), b:group_dns()[1],
      #nauthilus_backend_result.new():group_dns(), err`, { services: servicesFor('3.0') });
  assert.equal(creds, 'c1,c2');
  assert.equal(groups, 'staff,admins');
  assert.equal(dns, 'cn=staff,ou=groups,dc=example,dc=org');
  assert.equal(empty, 0);
  assert.match(String(bad), /bad argument #2 to 'groups' \(table expected, got string\)/);
});

test('Nauthilus 1.10: backend results have no groups method (1.x unchanged)', async () => {
  const [t] = await runLua('return type(nauthilus_backend_result.new().groups)', { services: servicesFor('1.10') });
  assert.equal(t, 'nil');
});

test('Nauthilus 3.0: a subject source sees the backend result so far, the removed attributes and the selected server', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-v3backend-'));
  try {
    fs.writeFileSync(path.join(dir, 'backend.lua'), `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(true):authenticated(true):account_field("uid"):attributes({ uid = request.username, mail = "u@example.org" })
  return 0, b
end`);
    fs.writeFileSync(path.join(dir, 'first.lua'), `
local backend = require("nauthilus_backend")
function nauthilus_call_subject(request)
  local seen = { backend.get_selected_backend_server() }
  local b = nauthilus_backend_result.new()
  b:attributes({ tier = "gold" })
  backend.apply_backend_result(b)
  backend.remove_from_backend_result({ "mail" })
  backend.select_backend_server("192.0.2.7", 993)
  require("nauthilus_cache").cache_set("before", tostring(seen[1]) .. "/" .. tostring(seen[2]), 0)
  return nauthilus_builtin.SUBJECT_ACCEPT, nauthilus_builtin.SUBJECT_RESULT_OK
end`);
    fs.writeFileSync(path.join(dir, 'second.lua'), `
local backend = require("nauthilus_backend")
function nauthilus_call_subject(request)
  local cur = backend.get_current_backend_result()
  local attrs = cur:attributes()
  local keys = {}
  for k, v in pairs(attrs) do keys[#keys + 1] = k .. "=" .. tostring(v) end
  table.sort(keys)
  local host, port = backend.get_selected_backend_server()
  require("nauthilus_cache").cache_set("after", table.concat(keys, ",") .. ";" .. table.concat(backend.get_removed_backend_attributes(), ",")
    .. ";" .. host .. ":" .. port .. ";" .. tostring(cur:authenticated()) .. ";" .. cur:account_field(), 0)
  return nauthilus_builtin.SUBJECT_ACCEPT, nauthilus_builtin.SUBJECT_RESULT_OK
end`);
    fs.writeFileSync(path.join(dir, 'hook.lua'), 'function nauthilus_run_hook() local c = require("nauthilus_cache") return { before = c.cache_get("before"), after = c.cache_get("after") } end');
    const yml = ['nauthilus: "3.0"', 'server:', '  backends: [lua]', '  redis: mock', 'lua:',
      '  filters: [{ name: first, script_path: ./first.lua }, { name: second, script_path: ./second.lua }]',
      '  custom_hooks: [{ http_location: seen, http_method: GET, script_path: ./hook.lua }]',
      '  config: { backend_script_path: ./backend.lua }', ''].join('\n');
    const engine = await AuthEngine.create(parseConfigText(yml, path.join(dir, 'authstudio.yml'), {}), { logger: pino({ level: 'silent' }) });
    const app = await buildHttpApp(engine);
    try {
      const auth = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'alice', password: 'p', client_ip: '192.0.2.1', protocol: 'imap' } });
      assert.equal(auth.statusCode, 200);
      const res = await app.inject({ method: 'GET', url: '/api/v1/custom/seen' });
      assert.deepEqual(res.json(), { before: 'nil/nil', after: 'tier=gold,uid=alice;mail;192.0.2.7:993;true;uid' });
    } finally {
      await app.close();
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0: ldap_endpoint gives host and port of a pool\'s first server_uri (389/636 when absent), ldapi its socket path', async () => {
  const pool = (name: string, ...serverUris: string[]): LdapPoolConfig => ({
    name, serverUris, bindDn: '', bindPw: '', startTls: false, tlsSkipVerify: false, lookupPoolSize: 1, connectTimeoutMs: 1000,
    bindTimeoutMs: 1000, searchTimeoutMs: 1000, modifyTimeoutMs: 1000, searchSizeLimit: 0, searchTimeLimitSec: 0,
  });
  const services = servicesFor('3.0');
  services.ldap = new LdapPools({
    __meta_default__: pool('__meta_default__', ' ldap://ldap1.example.org ', 'ldap://ldap2.example.org:1389'),
    secure: pool('secure', 'LDAPS://[2001:db8::1]'), port: pool('port', 'ldap://127.0.0.1:3389'), sock: pool('sock', 'ldapi:///run/slapd/ldapi'),
    none: pool('none'),
  });
  try {
    const [out] = await runLua(`
      local ldap = require("nauthilus_ldap")
      local out = {}
      for _, name in ipairs({ "", "default", "secure", "port", "sock", "none", "missing" }) do
        local h, p, err
        if name == "" then h, p, err = ldap.ldap_endpoint() else h, p, err = ldap.ldap_endpoint(name) end
        out[#out + 1] = tostring(h) .. "|" .. tostring(p) .. "|" .. tostring(err)
      end
      return table.concat(out, "\\n")`, { services });
    assert.deepEqual(String(out).split('\n'), [
      'ldap1.example.org|389|nil', 'ldap1.example.org|389|nil', '2001:db8::1|636|nil', '127.0.0.1|3389|nil', '/run/slapd/ldapi|0|nil',
      'nil|nil|no LDAP server_uri configured for pool: none', 'nil|nil|ldap pool config not found: missing',
    ]);
  } finally {
    services.ldap.close();
  }
});

test('Nauthilus 3.1: generate_password_hash gives the full SHA-256 (64 hex digits) of nonce NUL password; 3.0 and 1.10 its first 8', async () => {
  const want = crypto.createHash('sha256').update('nonce-x\0s3cret').digest('hex');
  for (const [profile, expected] of [['3.1', want], ['3.0', want.slice(0, 8)], ['1.10', want.slice(0, 8)]] as const) {
    const services = servicesFor(profile);
    services.passwordNonce = 'nonce-x';
    const [h] = await runLua('return require("nauthilus_password").generate_password_hash("s3cret")', { services });
    assert.equal(h, expected, profile);
  }
});

test('Nauthilus 3.x: the request table has the fields 3.0 adds (method from the client, redis_prefix, stage flags; auth_login_attempt a number in 3.1); 1.x has only the redis_prefix of 1.12', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-v3fields-'));
  const names = ['method', 'redis_prefix', 'external_session', 'rwp', 'health_check', 'http_status', 'latency', 'environment_rejected',
    'environment_stage_expected', 'subject_stage_expected', 'mfa_completed', 'grant_type', 'webauthn_credential', 'auth_login_attempt'];
  try {
    fs.writeFileSync(path.join(dir, 'env.lua'), `
function nauthilus_call_environment(request)
  local out = {}
  for _, k in ipairs({ ${names.map((n) => JSON.stringify(n)).join(', ')} }) do out[#out + 1] = k .. "=" .. type(request[k]) .. ":" .. tostring(request[k]) end
  require("nauthilus_cache").cache_set("seen", table.concat(out, ","), 0)
  return nauthilus_builtin.ENVIRONMENT_TRIGGER_NO, nauthilus_builtin.ENVIRONMENTS_ABORT_NO, nauthilus_builtin.ENVIRONMENT_RESULT_OK
end`);
    fs.writeFileSync(path.join(dir, 'hook.lua'), 'function nauthilus_run_hook() return { seen = require("nauthilus_cache").cache_get("seen") } end');
    const seen: Record<string, string> = {};
    for (const profile of ['1.10', '3.0', '3.1']) {
      const yml = [`nauthilus: "${profile}"`, 'server:', '  backends: [cache]', '  redis: { mock: true, prefix: "as:" }', 'lua:',
        '  features: [{ name: env, script_path: ./env.lua }]',
        '  custom_hooks: [{ http_location: seen, http_method: GET, script_path: ./hook.lua }]', ''].join('\n');
      const engine = await AuthEngine.create(parseConfigText(yml, path.join(dir, 'authstudio.yml'), {}), { logger: pino({ level: 'silent' }) });
      const app = await buildHttpApp(engine);
      try {
        await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'u', password: 'p', client_ip: '192.0.2.1', protocol: 'imap', method: 'plain', auth_login_attempt: '2' } });
        seen[profile] = (await app.inject({ method: 'GET', url: '/api/v1/custom/seen' })).json().seen;
      } finally {
        await app.close();
        await engine.close();
      }
    }
    // a 1.x profile has none of them but redis_prefix, which Nauthilus 1.12 added (additive for 1.10 scripts)
    assert.equal(seen['1.10'], names.map((n) => (n === 'redis_prefix' ? `${n}=string:as:` : `${n}=nil:nil`)).join(','));
    const v30 = 'method=string:plain,redis_prefix=string:as:,external_session=string:,rwp=boolean:false,health_check=boolean:false,http_status=number:0,latency=number:0,'
      + 'environment_rejected=boolean:false,environment_stage_expected=boolean:true,subject_stage_expected=boolean:true,mfa_completed=boolean:false,grant_type=string:,webauthn_credential=string:';
    assert.equal(seen['3.0'], `${v30},auth_login_attempt=nil:nil`);
    assert.equal(seen['3.1'], `${v30},auth_login_attempt=number:2`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0: requested_scopes, user_groups, allowed_client_scopes and allowed_client_grant_types are tables, empty outside the identity provider (setStringSliceField); 1.x has none', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-v3lists-'));
  try {
    // iterating them as subject/idp_policy.lua does must not raise: a raise would be a temporary failure of the login
    fs.writeFileSync(path.join(dir, 'subject.lua'), `
function nauthilus_call_subject(request)
  local out = {}
  for _, k in ipairs({ "requested_scopes", "user_groups", "allowed_client_scopes", "allowed_client_grant_types" }) do
    local n = 0
    if type(request[k]) == "table" then for _ in pairs(request[k]) do n = n + 1 end end
    out[#out + 1] = k .. "=" .. type(request[k]) .. ":" .. n
  end
  for _ in pairs(request.requested_scopes or {}) do end
  nauthilus_builtin.custom_log_add("lists", table.concat(out, ","))
  return 0, 0
end`);
    fs.writeFileSync(path.join(dir, 'backend.lua'), `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(true):authenticated(true):account_field("uid"):attributes({ uid = request.username })
  return 0, b
end`);
    const seen: Record<string, string> = {};
    for (const profile of ['1.10', '3.0']) {
      const yml = [`nauthilus: "${profile}"`, 'server:', '  backends: [lua]', '  redis: mock', 'lua:', '  filters: [{ name: lists, script_path: ./subject.lua }]', '  config: { backend_script_path: ./backend.lua }', ''].join('\n');
      const engine = await AuthEngine.create(parseConfigText(yml, path.join(dir, 'authstudio.yml'), {}), { logger: pino({ level: 'silent' }) });
      const app = await buildHttpApp(engine);
      try {
        const res = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'u', password: 'p', client_ip: '192.0.2.1', protocol: 'imap' } });
        const out = engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
        seen[profile] = out.trace.find((r) => r.name === 'lists')?.logs.lists ?? `no record (${out.trace.map((r) => r.name).join(',')})`;
      } finally {
        await app.close();
        await engine.close();
      }
    }
    assert.equal(seen['3.0'], 'requested_scopes=table:0,user_groups=table:0,allowed_client_scopes=table:0,allowed_client_grant_types=table:0');
    assert.equal(seen['1.10'], 'requested_scopes=nil:0,user_groups=nil:0,allowed_client_scopes=nil:0,allowed_client_grant_types=nil:0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0: request-bound modules are globals without require (the table require gives); under 1.10 they are not', async () => {
  const [t3, same, json3] = await runLua('return type(nauthilus_redis), nauthilus_context == require("nauthilus_context"), type(json)', { services: servicesFor('3.0') });
  assert.deepEqual([t3, same, json3], ['table', true, 'nil']);
  const [t1] = await runLua('return type(nauthilus_redis)', { services: servicesFor('1.10') });
  assert.equal(t1, 'nil');
});
