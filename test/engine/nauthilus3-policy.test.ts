// The Nauthilus 3.0 policy layer (auth.policy) through the engine: our own 3.x configs and scripts; the behaviour
// follows Nauthilus v3.0.1 server/policy/evaluation (enforce.go, observe.go) and server/lualib/policy.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml, errorsOf, v3LuaBackendHead } from '../helpers/config-text';
import type { TraceStage } from '../../engine/api/contract-types';
import { startRedisServer } from '../helpers/redis-server';

const SCRIPTS: Record<string, string> = {
  'backend.lua': yml(
    'local USERS = {',
    '  alice = { password = "alice-pw", department = "eng" },',
    '  bob = { password = "bob-pw", department = "eng" },',
    '  carol = { password = "carol-pw", department = "sales" },',
    '  dave = { password = "dave-pw", department = "eng", locked = true },',
    '}',
    'function nauthilus_backend_verify_password(request)',
    '  local b = nauthilus_backend_result.new()',
    '  local u = USERS[request.username]',
    '  if u == nil then return nauthilus_builtin.BACKEND_RESULT_OK, b end',
    '  b:user_found(true)',
    '  b:account_field("account")',
    '  b:attributes({ account = request.username .. "@example.test", department = u.department })',
    '  b:authenticated(request.password == u.password)',
    '  if not request.no_auth then',
    '    require("nauthilus_policy").emit_attribute({ id = "custom.account.locked", value = u.locked == true })',
    '  end',
    '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
    'end',
  ),
  // environment source: triggers for 203.0.113.0/24 and tells the policies a country
  'geo.lua': yml(
    'local policy = require("nauthilus_policy")',
    'function nauthilus_call_feature(request)',
    '  local country = "DE"',
    '  if string.sub(request.client_ip, 1, 11) == "198.51.100." then country = "XX" end',
    '  local blocked = string.sub(request.client_ip, 1, 10) == "203.0.113."',
    '  local details = { source = "test-table" }',
    '  if blocked then details.message = "Logins from this network are blocked" end',
    '  policy.emit_attribute({ id = "custom.geo.country", value = country, details = details })',
    '  if blocked then',
    '    return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK',
    '  end',
    '  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK',
    'end',
  ),
  // subject source: bob is not in the mail group
  'groups.lua': yml(
    'function nauthilus_call_filter(request)',
    '  if request.username == "bob" then return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK end',
    '  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK',
    'end',
  ),
  'note.lua': yml(
    'function nauthilus_call_action(request)',
    '  nauthilus_builtin.custom_log_add("action_for", request.environment)',
    '  local ok, err = pcall(require("nauthilus_policy").emit_attribute, { id = "custom.geo.country", value = "DE" })',
    '  nauthilus_builtin.custom_log_add("emit_in_action", tostring(err))',
    '  return nauthilus_builtin.ACTION_RESULT_OK',
    'end',
  ),
  'registry.lua': yml(
    'nauthilus_policy.register_attribute({',
    '  id = "custom.geo.country", stage = "pre_auth", type = "string", category = "environment",',
    '  operations = { "authenticate" }, details = { source = "string", message = { type = "string", sensitivity = "public", purpose = "response_message", max_length = 256 } },',
    '})',
    'nauthilus_policy.register_attribute({ id = "custom.account.locked", stage = "auth_backend", type = "bool", category = "subject" })',
  ),
};

function config(policyLines: string[], extra: string[] = []): string {
  return yml(
    ...v3LuaBackendHead('[lua]'),
    '  policy:',
    '    attribute_sources:',
    '      lua:',
    '        environment:',
    '          - { name: geo, script_path: ./geo.lua }',
    '        subject:',
    '          - { name: groups, script_path: ./groups.lua }',
    '    obligation_targets:',
    '      lua:',
    '        actions:',
    '          - { type: lua, name: note, script_path: ./note.lua }',
    ...policyLines.map((l) => `    ${l}`),
    ...extra,
  );
}

const POLICIES = [
  'registry_scripts: [./registry.lua]',
  'sets:',
  '  networks:',
  '    blocked: [10.9.0.0/16, "2001:db8:9::/48"]',
  'attribute_exports:',
  '  - { name: department, attribute: department, type: string }',
  'checks:',
  '  - { name: geo_check, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.geo }',
  'policies:',
  '  - name: deny_blocked_networks',
  '    stage: pre_auth',
  '    if: { attribute: request.client.ip, cidr_contains: "@network.blocked" }',
  '    then: { decision: deny, reason: blocked network }',
  '  - name: geo_trigger',
  '    stage: pre_auth',
  '    require_checks: [geo_check]',
  '    if: { attribute: auth.lua.environment.geo.triggered, is: true }',
  '    then:',
  '      decision: deny',
  '      response_message: { from: attribute_detail, attribute: custom.geo.country, detail: message, fallback: Blocked }',
  '      obligations:',
  '        - { id: auth.obligation.lua_action.dispatch, args: { action: lua, environment: geo } }',
  '  - name: country_xx_tempfail',
  '    stage: pre_auth',
  '    if: { attribute: custom.geo.country, eq: XX }',
  '    then: { decision: tempfail }',
  '  - name: subject_rejected',
  '    stage: auth_decision',
  '    if: { attribute: auth.lua.subject.groups.rejected, is: true }',
  '    then: { decision: deny, response_message: { from: literal, text: Not in the mail group } }',
  '  - name: sales_imap_only',
  '    stage: auth_decision',
  '    if:',
  '      all:',
  '        - { attribute: auth.subject.attribute.department, detail: value, eq: sales }',
  '        - { attribute: request.protocol, ne: imap }',
  '    then: { decision: deny }',
  '  - name: locked_accounts',
  '    stage: auth_decision',
  '    if: { attribute: custom.account.locked, is: true }',
  '    then: { decision: deny }',
  '  - name: permit_authenticated',
  '    stage: auth_decision',
  '    if: { attribute: auth.authenticated, is: true }',
  '    then: { decision: permit }',
];

async function withEngine<T>(text: string, fn: (fx: EngineFixture, logs: string[]) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const dir = workspace({ 'authstudio.yml': text, ...SCRIPTS });
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml'), logger, env });
  try {
    return await fn(fx, logs);
  } finally {
    await fx.close();
  }
}

async function login(fx: EngineFixture, fields: Record<string, string>): Promise<{ status: number; authStatus: unknown; trace: TraceStage[]; policy?: TraceStage }> {
  const res = await jsonLogin(fx.app, { protocol: 'imap', ...fields });
  const trace = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))?.trace ?? [];
  return { status: res.statusCode, authStatus: res.headers['auth-status'], trace, policy: trace.find((t) => t.stage === 'policy') };
}

test('Nauthilus 3.0: configured policies decide per rule in enforce mode (pre_auth and auth_decision)', async () => {
  await withEngine(config(POLICIES), async (fx) => {
    const ok = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1' });
    assert.equal(ok.status, 200);
    assert.equal(ok.policy?.name, 'permit_authenticated');
    assert.equal(ok.policy?.policy?.stage, 'auth_decision');
    assert.equal(ok.policy?.policy?.enforced, true);
    const attrs = ok.policy!.policy!.attributes;
    assert.equal(attrs['auth.authenticated'], true);
    assert.equal(attrs['custom.geo.country'], 'DE', 'the attribute the environment source emitted');
    assert.equal(attrs['auth.lua.environment.geo.triggered'], false);
    assert.equal(attrs['auth.subject.attribute.department'], true);
    assert.equal(attrs['request.client.ip'], '192.0.2.1');
    assert.equal(attrs['request.operation'], 'authenticate');

    const wrong = await login(fx, { username: 'alice', password: 'nope', client_ip: '192.0.2.1' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.policy?.name, 'custom_default_deny', 'no policy matched: the configured default deny');

    const geo = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '203.0.113.5' });
    assert.equal(geo.status, 403);
    assert.equal(geo.policy?.name, 'geo_trigger');
    assert.equal(geo.authStatus, 'Logins from this network are blocked', 'response_message from an attribute detail');
    assert.equal(geo.policy?.policy?.stage, 'pre_auth');
    assert.deepEqual(geo.policy?.policy?.obligations, ['auth.obligation.lua_action.dispatch']);
    const action = geo.trace.find((t) => t.stage === 'action');
    assert.equal(action?.name, 'note', 'the obligation ran the lua action');
    assert.equal(action?.logs.action_for, 'geo');
    assert.match(action?.logs.emit_in_action ?? '', /emitter is not available in this Lua runtime/);
    assert.ok(!geo.trace.some((t) => t.stage === 'backend'), 'a pre_auth deny ends the request before the backend');

    const xx = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '198.51.100.7' });
    assert.notEqual(xx.status, 200);
    assert.equal(xx.policy?.name, 'country_xx_tempfail');
    assert.equal(xx.policy?.result, 'tempfail');

    const net = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '10.9.3.4' });
    assert.equal(net.status, 403);
    assert.equal(net.policy?.name, 'deny_blocked_networks');
    assert.equal(net.policy?.policy?.reason, 'blocked network');

    const bob = await login(fx, { username: 'bob', password: 'bob-pw', client_ip: '192.0.2.1' });
    assert.equal(bob.status, 403);
    assert.equal(bob.policy?.name, 'subject_rejected');
    assert.equal(bob.authStatus, 'Not in the mail group');

    const carolPop = await login(fx, { username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1', protocol: 'pop3' });
    assert.equal(carolPop.status, 403);
    assert.equal(carolPop.policy?.name, 'sales_imap_only');
    const dave = await login(fx, { username: 'dave', password: 'dave-pw', client_ip: '192.0.2.1' });
    assert.equal(dave.status, 403);
    assert.equal(dave.policy?.name, 'locked_accounts', 'the attribute the Lua backend emitted');
    const carolImap = await login(fx, { username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' });
    assert.equal(carolImap.status, 200);
    assert.equal(carolImap.policy?.name, 'permit_authenticated');
  });
});

test('Nauthilus 3.0: observe mode logs what the policies would have decided and enforces the standard decision', async () => {
  await withEngine(config(['mode: observe', ...POLICIES]), async (fx, logs) => {
    const carolPop = await login(fx, { username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1', protocol: 'pop3' });
    assert.equal(carolPop.status, 200, 'standard_auth decides: authenticated');
    assert.equal(carolPop.policy?.name, 'sales_imap_only');
    assert.equal(carolPop.policy?.policy?.enforced, false);
    assert.equal(carolPop.policy?.result, 'observe: would deny (enforced: ok)');

    const geo = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '203.0.113.5' });
    assert.equal(geo.status, 403, 'the environment source triggers: the standard rules deny');
    assert.equal(geo.trace.find((t) => t.stage === 'action')?.logs.action_for, 'lua', 'the standard lua action, not the obligation');
    assert.equal(geo.policy?.name, 'geo_trigger');

    const xx = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '198.51.100.7' });
    assert.equal(xx.status, 200);
    assert.equal(xx.policy?.result, 'observe: would tempfail (enforced: ok)');

    const lines = logs.filter((l) => l.includes('"policy observe"')).map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => [l.policy, l.decision, l.production, l.mismatch]), [
      ['sales_imap_only', 'deny', 'ok', true], ['geo_trigger', 'deny', 'fail', false], ['country_xx_tempfail', 'tempfail', 'ok', true],
    ]);
  });
});

test('Nauthilus 3.0: emitting an attribute no registry script declared is a Lua error: a temporary failure', async () => {
  await withEngine(config([]), async (fx) => {
    const r = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1' });
    assert.equal(r.status, 500);
    assert.match(r.trace.find((t) => t.stage === 'feature')?.error ?? '', /policy attribute "custom\.geo\.country" is not registered/);
  });
});

test('Nauthilus 3.0: without configured policies the built-in default policy (standard_auth) decides', async () => {
  await withEngine(config(['default_policy: standard_auth', 'registry_scripts: [./registry.lua]']), async (fx) => {
    const geo = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '203.0.113.5' });
    assert.equal(geo.status, 403);
    assert.equal(geo.policy, undefined, 'no policy record: the standard rules decided');
    const bob = await login(fx, { username: 'bob', password: 'bob-pw', client_ip: '192.0.2.1' });
    assert.equal(bob.status, 403, 'the subject source rejects');
    const ok = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1' });
    assert.equal(ok.status, 200);
  });
});

test('Nauthilus 3.0: auth.policy errors carry their 3.x key paths', async () => {
  const msgs = (lines: string[]) => errorsOf(config(lines)).map((e) => `${e.path}: ${e.message}`);
  assert.ok(msgs(['default_policy: strict']).some((m) => m.includes('auth.policy.default_policy references unknown built-in policy set "strict"')));
  assert.ok(msgs(['policies:', '  - { name: p, stage: pre_auth, if: { always: true }, then: { decision: permit } }'])
    .some((m) => m.includes('auth.policy.policies[0].then.decision is not allowed in pre_auth')));
  assert.ok(msgs(['policies:', '  - { name: p, stage: auth_decision, require_checks: [nope], if: { always: true }, then: { decision: deny } }'])
    .some((m) => m.includes('auth.policy.policies[0].require_checks[0] references unknown check "nope"')));
  assert.ok(msgs(['policies:', '  - { name: p, stage: auth_decision, if: { attribute: auth.authenticated, is: true, eq: false }, then: { decision: deny } }'])
    .some((m) => m.includes('auth.policy.policies[0].if must contain exactly one operator')));
  assert.ok(msgs(['mode: shadow']).some((m) => m.startsWith('auth.policy.mode:')));
  // attribute names are known once registry scripts ran: the engine refuses to start
  await assert.rejects(
    withEngine(config(['policies:', '  - { name: p, stage: auth_decision, if: { attribute: custom.nope, is: true }, then: { decision: deny } }']), async () => undefined),
    /auth\.policy\.policies\[0\]\.if\.attribute references unknown attribute "custom\.nope"/,
  );
  await assert.rejects(
    withEngine(config(['policies:', '  - { name: p, stage: pre_auth, if: { attribute: auth.authenticated, is: true }, then: { decision: deny } }']), async () => undefined),
    /references a future-stage attribute/,
  );
});

test('Nauthilus 3.0: check runs the registry scripts and reports a rule naming an unknown attribute', async () => {
  const { checkWorkspace } = await import('../../engine/check');
  const good = workspace({ 'authstudio.yml': config(POLICIES), ...SCRIPTS });
  assert.deepEqual((await checkWorkspace(path.join(good, 'authstudio.yml'))).filter((e) => e.severity !== 'warning').map((e) => e.message), []);
  const bad = workspace({
    'authstudio.yml': config(['registry_scripts: [./registry.lua]', 'policies:', '  - { name: p, stage: pre_auth, if: { attribute: custom.geo.country, gt: 3 }, then: { decision: deny } }']),
    ...SCRIPTS,
  });
  const problems = await checkWorkspace(path.join(bad, 'authstudio.yml'));
  const policy = problems.find((e) => e.code === 'AS_ERR_POLICY_CONFIG');
  assert.equal(policy?.message, 'auth.policy.policies[0].if.gt is only supported for number and datetime attributes');
});

test('Nauthilus 3.0: policies decide the same in pipeline worker threads, with the policy record in the trace', async () => {
  const { loadConfigFile } = await import('../../engine/config/load');
  const { AuthEngine } = await import('../../engine/engine');
  const { buildHttpApp } = await import('../../engine/http/app');
  const dir = workspace({ 'authstudio.yml': config(POLICIES), ...SCRIPTS });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml'), { env: {} }), { logger: pino({ level: 'silent' }), workers: 1, env: {} });
  const app = await buildHttpApp(engine);
  try {
    const fx = { engine, app } as unknown as EngineFixture;
    const carolPop = await login(fx, { username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1', protocol: 'pop3' });
    assert.equal(carolPop.status, 403);
    assert.equal(carolPop.policy?.name, 'sales_imap_only');
    assert.equal(carolPop.policy?.policy?.attributes['auth.subject.attribute.department'], true);
    const geo = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '203.0.113.5' });
    assert.equal(geo.status, 403);
    assert.equal(geo.policy?.name, 'geo_trigger');
    assert.equal(geo.trace.find((t) => t.stage === 'action')?.logs.action_for, 'geo');
  } finally {
    await app.close();
    await engine.close();
  }
});

test('Nauthilus 3.1: string sets (sets.strings, in: "@string.<name>"); a 3.0 workspace refuses them', async () => {
  const lines = [
    'registry_scripts: [./registry.lua]',
    'sets:',
    '  strings:',
    '    mail_protocols: [imap, smtp]',
    'policies:',
    '  - { name: other_protocols, stage: auth_decision, if: { attribute: request.protocol, not_in: "@string.mail_protocols" }, then: { decision: deny } }',
    '  - { name: permit_authenticated, stage: auth_decision, if: { attribute: auth.authenticated, is: true }, then: { decision: permit } }',
  ];
  await withEngine('nauthilus: "3.1"\n' + config(lines), async (fx) => {
    assert.equal((await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1', protocol: 'smtp' })).policy?.name, 'permit_authenticated');
    const pop = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1', protocol: 'pop3' });
    assert.equal(pop.status, 403);
    assert.equal(pop.policy?.name, 'other_protocols');
  });
  const errs = errorsOf(config(lines)).map((e) => `${e.path}: ${e.message}`);
  assert.ok(errs.some((m) => m.includes('auth.policy.sets.strings is a Nauthilus 3.1 key')), errs.join('\n'));
  assert.ok(errorsOf('nauthilus: "3.1"\n' + config([...lines.slice(0, 5), '  - { name: p, stage: auth_decision, if: { attribute: request.protocol, in: "@string.nope" }, then: { decision: deny } }']))
    .some((e) => e.message.includes('references unknown string set "nope"')));
});

test('Nauthilus 3.0: with pre_auth policies a blocked brute-force bucket is a fact; the policy decides and dispatches the action', async () => {
  const redis = await startRedisServer();
  try {
    const text = config([
      'registry_scripts: [./registry.lua]',
      'policies:',
      '  - name: brute_force_outside_office',
      '    stage: pre_auth',
      '    if:',
      '      all:',
      '        - { attribute: auth.brute_force.triggered, is: true }',
      '        - not: { attribute: request.client.ip, cidr_contains: 198.51.100.0/24 }',
      '    then:',
      '      decision: deny',
      '      obligations: [{ id: auth.obligation.lua_action.dispatch, args: { action: brute_force } }]',
      '  - { name: permit_authenticated, stage: auth_decision, if: { attribute: auth.authenticated, is: true }, then: { decision: permit } }',
    ], [
      '  storage_placeholder: ~',
    ]).replace('  storage_placeholder: ~\n', '')
      .replace("    enabled: [lua]\n", "    enabled: [brute_force, lua]\n    brute_force:\n      protocols: [imap]\n      buckets:\n        - { name: b16, period: 1h, cidr: 16, ipv4: true, failed_requests: 2 }\n")
      .replace('auth:\n', 'storage:\n  redis:\n    primary:\n      address: ${REDIS_ADDRESS}\n    prefix: "pol:"\nauth:\n')
      .replace("          - { type: lua, name: note, script_path: ./note.lua }\n", "          - { type: lua, name: note, script_path: ./note.lua }\n          - { type: brute_force, name: bf-note, script_path: ./note.lua }\n");
    await withEngine(text, async (fx) => {
      // two different wrong passwords (the same one again only counts once)
      for (const [ip, pw] of [['198.51.7.1', 'wrong-1'], ['198.51.7.2', 'wrong-2']]) assert.equal((await login(fx, { username: 'alice', password: pw, client_ip: ip })).status, 403);
      const blocked = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '198.51.8.1' });
      assert.equal(blocked.status, 403);
      assert.equal(blocked.policy?.name, 'brute_force_outside_office');
      assert.equal(blocked.policy?.policy?.attributes['auth.brute_force.triggered'], true);
      assert.match(blocked.trace.find((t) => t.stage === 'brute_force')?.result ?? '', /blocked \(fact for the pre_auth policies\)/);
      assert.equal(blocked.trace.find((t) => t.stage === 'action')?.name, 'bf-note', 'the obligation ran the brute_force actions');
      const office = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '198.51.100.9' });
      assert.equal(office.status, 200, 'the same bucket blocks, but no policy denies the office network');
      assert.equal(office.policy?.name, 'permit_authenticated');
      assert.equal(office.policy?.policy?.attributes['auth.brute_force.triggered'], true);
    }, { REDIS_ADDRESS: redis.address });
  } finally {
    await redis.stop();
  }
});

test('Nauthilus 3.0: export and import see auth.policy.registry_scripts as script paths', async () => {
  const { parseDocument } = await import('yaml');
  const { pathNodes } = await import('../../engine/studio/config-paths');
  const nodes = pathNodes(parseDocument(config(POLICIES))).map((n) => `${n.at.join('.')}=${n.written}`);
  assert.ok(nodes.includes('auth.policy.registry_scripts.0=./registry.lua'), nodes.join('\n'));
  assert.ok(nodes.includes('auth.policy.attribute_sources.lua.environment.0.script_path=./geo.lua'));
});

test('Nauthilus 3.0: authstudio simulate prints which policy decided and the policy attributes', async () => {
  const { spawnSync } = await import('node:child_process');
  const { ROOT } = await import('../helpers/spawn-serve');
  const dir = workspace({ 'authstudio.yml': config(POLICIES), ...SCRIPTS });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'simulate', '--config', path.join(dir, 'authstudio.yml'), '--user', 'carol', '--password', 'carol-pw', '--protocol', 'pop3', '--client-ip', '192.0.2.1'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^decision: fail \(HTTP 403/);
  assert.match(r.stdout, /policy\s+sales_imap_only .*deny/);
  assert.match(r.stdout, /policy sales_imap_only \(auth_decision, enforce\): deny/);
  assert.match(r.stdout, /auth\.subject\.attribute\.department = true/);
  assert.match(r.stdout, /request\.protocol = "pop3"/);
});

test('Nauthilus 3.0: RBL and relay-domain facts (score, lists, domain) decide pre_auth policies below the RBL threshold', async () => {
  const { startDnsServer } = await import('../helpers/dns-server');
  const dns = await startDnsServer({ '4.4.8.8.rbl.test': { A: ['127.0.0.2'] } });
  try {
    const text = config([
      'registry_scripts: [./registry.lua]',
      'policies:',
      '  - { name: rbl_listed_at_all, stage: pre_auth, if: { attribute: auth.rbl.score, gte: 5 }, then: { decision: deny } }',
      '  - name: unknown_domain',
      '    stage: pre_auth',
      '    if: { all: [{ attribute: auth.relay_domain.present, is: true }, { attribute: auth.relay_domain.known, is: false }] }',
      '    then: { decision: deny }',
      '  - { name: permit_authenticated, stage: auth_decision, if: { attribute: auth.authenticated, is: true }, then: { decision: permit } }',
    ])
      .replace('    enabled: [lua]\n', [
        '    enabled: [rbl, relay_domains, lua]',
        '    rbl:',
        '      threshold: 10',
        '      lists:',
        '        - { name: testlist, rbl: rbl.test, ipv4: true, return_code: 127.0.0.2, weight: 5 }',
        '    relay_domains:',
        '      static: [example.test]',
        '',
      ].join('\n'))
      .replace('runtime:\n', `runtime:\n  clients:\n    dns:\n      resolver: ${dns.address}\n      timeout: 1s\n`);
    await withEngine(text, async (fx) => {
      const listed = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '8.8.4.4' });
      assert.equal(listed.status, 403);
      assert.equal(listed.policy?.name, 'rbl_listed_at_all');
      const a = listed.policy!.policy!.attributes;
      assert.deepEqual([a['auth.rbl.score'], a['auth.rbl.threshold'], a['auth.rbl.threshold_reached'], a['auth.rbl.matched_lists']], [5, 10, false, ['testlist']]);
      const domain = await login(fx, { username: 'alice@elsewhere.test', password: 'alice-pw', client_ip: '192.0.2.1' });
      assert.equal(domain.policy?.name, 'unknown_domain');
      assert.equal(domain.policy?.policy?.attributes['auth.relay_domain.value'], 'elsewhere.test');
      const plain = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1' });
      assert.equal(plain.status, 200);
      assert.equal(plain.policy?.policy?.attributes['auth.relay_domain.present'], false);
    });
  } finally {
    await dns.stop();
  }
});

test('Nauthilus 3.0: once a lua.environment (lua.subject) check is configured, only the sources a check names run (policy/collection/scripts.go scriptPlan)', async () => {
  const source = (entry: string, ret: string) => yml(`function ${entry}(request)`, '  nauthilus_builtin.custom_log_add("ran", "yes")', `  return ${ret}`, 'end');
  const env = source('nauthilus_call_environment', 'nauthilus_builtin.ENVIRONMENT_TRIGGER_NO, nauthilus_builtin.ENVIRONMENT_ABORT_NO, nauthilus_builtin.ENVIRONMENT_RESULT_OK');
  const sub = source('nauthilus_call_subject', 'nauthilus_builtin.SUBJECT_ACCEPT, nauthilus_builtin.SUBJECT_RESULT_OK');
  const text = (checks: string[]) => yml(
    'auth:',
    '  backends: { order: [lua], lua: { backend: { default: { backend_script_path: ./backend.lua } } } }',
    '  policy:',
    '    attribute_sources:',
    '      lua:',
    '        environment: [{ name: env_a, script_path: ./env_a.lua }, { name: env_b, script_path: ./env_b.lua }]',
    '        subject: [{ name: sub_a, script_path: ./sub_a.lua }, { name: sub_b, script_path: ./sub_b.lua }]',
    ...(checks.length ? ['    checks:', ...checks.map((c) => `      - ${c}`)] : []),
  );
  const ran = async (checks: string[]) => {
    const backend = yml('function nauthilus_backend_verify_password(request)', '  local b = nauthilus_backend_result.new()',
      '  b:user_found(true):authenticated(request.password == "alice-pw")', '  return nauthilus_builtin.BACKEND_RESULT_OK, b', 'end');
    const dir = workspace({ 'authstudio.yml': text(checks), 'backend.lua': backend, 'env_a.lua': env, 'env_b.lua': env, 'sub_a.lua': sub, 'sub_b.lua': sub });
    const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
    try {
      const r = await login(fx, { username: 'alice', password: 'alice-pw', client_ip: '192.0.2.1' });
      assert.equal(r.status, 200);
      return r.trace.filter((t) => t.logs.ran === 'yes').map((t) => t.name);
    } finally {
      await fx.close();
    }
  };
  assert.deepEqual(await ran([]), ['env_a', 'env_b', 'sub_a', 'sub_b'], 'without checks every source runs');
  // one check by config_ref, one by its name (lua_subject_<name>): the other source of each family does not run
  assert.deepEqual(await ran([
    '{ name: b_check, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.env_b }',
    '{ name: lua_subject_sub_a, type: lua.subject, stage: subject_analysis }',
  ]), ['env_b', 'sub_a']);
  // a check of one family leaves the other family's sources all running
  assert.deepEqual(await ran(['{ name: a_check, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.env_a }']), ['env_a', 'sub_a', 'sub_b']);
});

for (const workers of [0, 1]) {
test(`Nauthilus 3.0: an i18n response message is rendered from the catalogs init scripts registered, in response_language, else Accept-Language (Content-Language set)${workers ? ', in a pipeline worker thread' : ''}`, async () => {
  const policies = [
    ...POLICIES.slice(0, POLICIES.indexOf('policies:') + 1),
    '  - name: sales_imap_only',
    '    stage: auth_decision',
    '    if: { attribute: request.protocol, ne: imap }',
    '    then: { decision: deny, response_message: { from: i18n, i18n_key: auth.imap_only, fallback: IMAP only } }',
    '  - name: locked_accounts',
    '    stage: auth_decision',
    '    if: { attribute: custom.account.locked, is: true }',
    '    then:',
    '      decision: deny',
    '      response_message: { from: i18n, i18n_key: auth.locked, fallback: Account locked }',
    '      response_language: { from: attribute, attribute: custom.geo.country, fallback: en }',
    '  - name: permit_authenticated',
    '    stage: auth_decision',
    '    if: { attribute: auth.authenticated, is: true }',
    '    then: { decision: permit }',
  ];
  const init = yml(
    'local i18n = require("nauthilus_i18n")',
    'function nauthilus_run_hook()',
    '  i18n.register_catalog({ language = "de", namespace = "test", entries = { ["auth.locked"] = "Konto gesperrt", ["auth.imap_only"] = "Nur IMAP" } })',
    '  i18n.register_catalog({ language = "en", namespace = "test", entries = { ["auth.imap_only"] = "Only IMAP, please" } })',
    'end',
  );
  const text = config(policies).replace('          backend_script_path: ./backend.lua', '          backend_script_path: ./backend.lua\n          init_script_path: ./init.lua');
  const dir = workspace({ 'authstudio.yml': text, ...SCRIPTS, 'init.lua': init });
  const { loadConfigFile } = await import('../../engine/config/load');
  const { AuthEngine } = await import('../../engine/engine');
  const { buildHttpApp } = await import('../../engine/http/app');
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml'), { env: {} }), { logger: pino({ level: 'silent' }), workers, env: {} });
  const fx = { engine, app: await buildHttpApp(engine), close: async () => { await fx.app.close(); await engine.close(); } };
  try {
    // dave is locked: the geo source says DE, so response_language (from the attribute) is de
    const locked = await jsonLogin(fx.app, { protocol: 'imap', username: 'dave', password: 'dave-pw', client_ip: '192.0.2.1' });
    assert.equal(locked.statusCode, 403);
    assert.equal(locked.headers['auth-status'], 'Konto gesperrt');
    assert.equal(locked.headers['content-language'], 'de');
    assert.equal(locked.json().status_message, 'Konto gesperrt');
    // no response_language: the client's Accept-Language picks among the catalog's languages
    const asFr = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'accept-language': 'fr;q=0.9, en;q=0.5' },
      payload: { protocol: 'pop3', username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' } });
    assert.equal(asFr.headers['auth-status'], 'Only IMAP, please');
    assert.equal(asFr.headers['content-language'], 'en');
    const asDe = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'accept-language': 'de-CH' },
      payload: { protocol: 'pop3', username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' } });
    assert.equal(asDe.headers['auth-status'], 'Nur IMAP');
    // no Accept-Language: the default language, en
    const none = await jsonLogin(fx.app, { protocol: 'pop3', username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' });
    assert.equal(none.headers['auth-status'], 'Only IMAP, please');
  } finally {
    await fx.close();
  }
});
}

test('Nauthilus 3.0: response_language is checked as Nauthilus compiles it (from, a BCP 47 tag, a registered string attribute)', () => {
  const msgs = (then: string) => errorsOf(config(['policies:', `  - { name: p, stage: auth_decision, if: { always: true }, then: ${then} }`])).map((e) => e.message).join('\n');
  assert.match(msgs('{ decision: deny, response_language: { language: de } }'), /response_language must set from when language fields are configured/);
  assert.match(msgs('{ decision: deny, response_language: { from: literal, language: "not a tag!" } }'), /response_language.language must be a valid BCP 47 language tag/);
  assert.match(msgs('{ decision: deny, response_language: { from: attribute, attribute: x, language: de } }'), /response_language.attribute must contain attribute and optional fallback/);
  assert.match(msgs('{ decision: deny, response_language: { from: header } }'), /response_language.from is invalid/);
});

test('Nauthilus 3.1: auth.policy.localization.catalogs declare messages in the config, over what init scripts register; 3.0 refuses the key', async () => {
  const policies = [
    ...POLICIES.slice(0, POLICIES.indexOf('policies:')),
    'localization:',
    '  catalogs:',
    '    - { language: de, namespace: ops, entries: { auth.imap_only: "Nur IMAP (Betrieb)" } }',
    '    - { language: EN, namespace: ops, entries: { auth.imap_only: "IMAP only (ops)" } }',
    'policies:',
    '  - name: sales_imap_only',
    '    stage: auth_decision',
    '    if: { attribute: request.protocol, ne: imap }',
    '    then: { decision: deny, response_message: { from: i18n, i18n_key: auth.imap_only, fallback: IMAP only } }',
    '  - name: permit_authenticated',
    '    stage: auth_decision',
    '    if: { attribute: auth.authenticated, is: true }',
    '    then: { decision: permit }',
  ];
  const init = yml('function nauthilus_run_hook()',
    '  require("nauthilus_i18n").register_catalog({ language = "de", namespace = "lua", entries = { ["auth.imap_only"] = "Nur IMAP (Lua)" } })', 'end');
  const text = 'nauthilus: "3.1"\n' + config(policies).replace('          backend_script_path: ./backend.lua', '          backend_script_path: ./backend.lua\n          init_script_path: ./init.lua');
  const dir = workspace({ 'authstudio.yml': text, ...SCRIPTS, 'init.lua': init });
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml'), logger: pino({ level: 'silent' }) });
  try {
    const de = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'accept-language': 'de' },
      payload: { protocol: 'pop3', username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' } });
    assert.equal(de.headers['auth-status'], 'Nur IMAP (Betrieb)', 'the config\'s catalog wins over the init script\'s');
    const en = await jsonLogin(fx.app, { protocol: 'pop3', username: 'carol', password: 'carol-pw', client_ip: '192.0.2.1' });
    assert.equal(en.headers['auth-status'], 'IMAP only (ops)');
  } finally {
    await fx.close();
  }
  const v30 = errorsOf(config(['localization: { catalogs: [{ language: de, namespace: ops, entries: { a: b } }] }'])).map((e) => e.message);
  assert.ok(v30.some((m) => /auth.policy.localization is a Nauthilus 3.1 key/.test(m)), v30.join('\n'));
  const bad = errorsOf('nauthilus: "3.1"\n' + config(['localization:', '  catalogs:', '    - { language: "not a tag!", namespace: ops, entries: { a: b } }',
    '    - { language: de, namespace: ops, entries: { a: "  " } }', '    - { language: de, namespace: ops, entries: { a: b } }'])).map((e) => e.message);
  assert.ok(bad.some((m) => /catalogs\[0\]\.language must be a valid BCP 47 language tag/.test(m)), bad.join('\n'));
  assert.ok(bad.some((m) => /catalogs\[1\]\.entries\.a: message must not be blank/.test(m)), bad.join('\n'));
});
