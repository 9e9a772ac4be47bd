// Nauthilus 3.0's scheduling of configured checks (auth.policy.checks run_if / after / skip_if and
// auth.policy.scheduler_guards) through the engine, with our own 3.x configs and scripts. The behaviour follows
// Nauthilus v3.0.1 server/policy/collection (collection.go, scripts.go) and server/policy/compiler/scheduler_guards.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml, errorsOf, FILE, v3LuaBackendHead } from '../helpers/config-text';
import { parseConfigText } from '../../engine/config/load';
import type { TraceStage } from '../../engine/api/contract-types';
import { checkWorkspace } from '../../engine/check';

const SCRIPTS: Record<string, string> = {
  'backend.lua': yml(
    'function nauthilus_backend_verify_password(request)',
    '  local b = nauthilus_backend_result.new()',
    '  if request.username ~= "alice" then return nauthilus_builtin.BACKEND_RESULT_OK, b end',
    '  b:user_found(true)',
    '  b:account_field("account")',
    '  b:attributes({ account = "alice" })',
    '  b:authenticated(request.password == "alice-pw")',
    '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
    'end',
  ),
  // environment sources that only say they ran
  ...Object.fromEntries(['first', 'second', 'unplanned'].map((n) => [`${n}.lua`, yml(
    'function nauthilus_call_feature(request)',
    `  nauthilus_builtin.custom_log_add("ran", "${n}")`,
    '  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK',
    'end',
  )])),
  // subject source: rejects everybody
  'groups.lua': yml(
    'function nauthilus_call_filter(request)',
    '  return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK',
    'end',
  ),
};

function config(policy: string[], controls = '[lua, tls_encryption]'): string {
  return yml(
    ...v3LuaBackendHead(controls),
    '  policy:',
    '    attribute_sources:',
    '      lua:',
    '        environment:',
    '          - { name: first, script_path: ./first.lua }',
    '          - { name: second, script_path: ./second.lua }',
    '          - { name: unplanned, script_path: ./unplanned.lua }',
    '        subject:',
    '          - { name: groups, script_path: ./groups.lua }',
    ...policy.map((l) => `    ${l}`),
  );
}

const GUARDED = [
  'sets:',
  '  networks:',
  '    pre_auth_exempt_sources: [127.0.0.0/8, "::1"]',
  'scheduler_guards:',
  '  pre_auth_exempt_source:',
  '    on_missing_attribute: run',
  '    if:',
  '      all:',
  '        - { attribute: request.client.ip.present, is: true }',
  '        - { attribute: request.client.ip.trusted, is: true }',
  '        - { attribute: request.client.ip, cidr_contains: "@network.pre_auth_exempt_sources" }',
  '  pop3_clients:',
  '    if: { attribute: request.protocol, eq: pop3 }',
  'checks:',
  '  - { name: tls, type: builtin.tls_encryption, stage: pre_auth, config_ref: auth.controls.tls_encryption, skip_if: [pre_auth_exempt_source] }',
  // written before the source it runs after
  '  - { name: lua_environment_second, type: lua.environment, stage: pre_auth, after: [env_first], skip_if: [pop3_clients] }',
  '  - { name: env_first, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.first }',
  '  - { name: groups_check, type: lua.subject, stage: subject_analysis, config_ref: auth.policy.attribute_sources.lua.subject.groups, run_if: { auth_state: authenticated }, skip_if: [pop3_clients] }',
];

async function withEngine<T>(text: string, fn: (fx: EngineFixture) => Promise<T>): Promise<T> {
  const dir = workspace({ 'authstudio.yml': text, ...SCRIPTS });
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  try {
    return await fn(fx);
  } finally {
    await fx.close();
  }
}

async function login(fx: EngineFixture, fields: Record<string, string>): Promise<{ status: number; trace: TraceStage[] }> {
  const res = await jsonLogin(fx.app, { protocol: 'imap', username: 'alice', password: 'alice-pw', ...fields });
  return { status: res.statusCode, trace: fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))?.trace ?? [] };
}

const rows = (trace: TraceStage[], stage: string) => trace.filter((t) => t.stage === stage).map((t) => `${t.name}: ${t.result}`);

test('Nauthilus 3.0: a scheduler guard skips the TLS check for a trusted loopback client only; the trace says why', async () => {
  await withEngine(config(GUARDED), async (fx) => {
    // the test client connects from 127.0.0.1: a client_ip equal to the peer is trusted (direct_peer)
    const local = await login(fx, { client_ip: '127.0.0.1', protocol: 'pop3' });
    assert.equal(local.status, 200, 'no TLS needed: the guard matched');
    assert.deepEqual(rows(local.trace, 'tls_encryption'), ['tls_encryption: skipped (scheduler_guard:pre_auth_exempt_source; check tls)']);

    // an address sent in the body that is not the peer is metadata: untrusted, the guard does not match
    const remote = await login(fx, { client_ip: '192.0.2.7', protocol: 'pop3' });
    assert.equal(remote.status, 500, 'the TLS check ran: a temporary failure without TLS');
    assert.deepEqual(rows(remote.trace, 'tls_encryption'), ['tls_encryption: tls_required']);
    const spoofed = await login(fx, { client_ip: '127.0.0.2', protocol: 'pop3' });
    assert.equal(spoofed.status, 500, 'a loopback address the peer did not connect from is not trusted');
  });
});

test('Nauthilus 3.0: planned environment sources run in `after` order, unplanned ones not; a guard skips one', async () => {
  await withEngine(config(GUARDED), async (fx) => {
    const imap = await login(fx, { client_ip: '127.0.0.1' });
    assert.deepEqual(rows(imap.trace, 'feature'), ['first: ok', 'second: ok'], 'second runs after first, "unplanned" is in no check');
    const pop3 = await login(fx, { client_ip: '127.0.0.1', protocol: 'pop3' });
    assert.deepEqual(rows(pop3.trace, 'feature'), ['second: skipped (scheduler_guard:pop3_clients; check lua_environment_second)', 'first: ok']);
  });
  // without checks of its type every source runs, in the order written; Nauthilus 3.0 has no loopback exemption
  await withEngine(config([]), async (fx) => {
    const r = await login(fx, { client_ip: '127.0.0.1', ssl: 'on' });
    assert.deepEqual(rows(r.trace, 'feature'), ['first: ok', 'second: ok', 'unplanned: ok']);
  });
});

test('Nauthilus 3.0: run_if.auth_state and guards skip subject sources; a rule requiring a skipped check does not apply', async () => {
  const policies = [
    ...GUARDED,
    'policies:',
    '  - name: groups_reject',
    '    stage: auth_decision',
    '    require_checks: [groups_check]',
    '    if: { attribute: auth.lua.subject.groups.rejected, is: true }',
    '    then: { decision: deny }',
    '  - name: permit_authenticated',
    '    stage: auth_decision',
    '    if: { attribute: auth.authenticated, is: true }',
    '    then: { decision: permit }',
  ];
  await withEngine(config(policies), async (fx) => {
    const imap = await login(fx, { client_ip: '127.0.0.1' });
    assert.equal(imap.status, 403, 'the subject source ran and rejected');
    const decided = imap.trace.find((t) => t.stage === 'policy');
    assert.equal(decided?.name, 'groups_reject');
    assert.deepEqual(decided?.policy?.checks?.map((c) => `${c.name}: ${c.status}${c.reason ? ` (${c.reason})` : ''}`), [
      'env_first: ran', 'lua_environment_second: ran', 'tls: skipped (scheduler_guard:pre_auth_exempt_source)', 'groups_check: ran',
    ]);

    const attrs = decided!.policy!.attributes;
    assert.deepEqual([attrs['request.client.ip.source'], attrs['request.client.ip.trusted'], attrs['request.caller.ip']], ['direct_peer', true, '127.0.0.1']);

    const pop3 = await login(fx, { client_ip: '127.0.0.1', protocol: 'pop3' });
    assert.equal(pop3.status, 200, 'groups_check skipped by the guard: groups_reject does not apply, the next rule permits');
    const facts = pop3.trace.find((t) => t.stage === 'policy')!.policy!.attributes;
    assert.deepEqual([facts['request.client.ip.source'], facts['request.client.ip.trusted']], ['direct_peer', true]);
    // core/policy_request_context_facts.go: the Client-IP header of a trusted proxy (the test client's 127.0.0.1)
    const viaHeader = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/header', headers: { 'auth-user': 'alice', 'auth-pass': 'alice-pw', 'auth-protocol': 'pop3', 'client-ip': '192.0.2.8', 'x-ssl': 'on' } });
    const headerTrace = fx.engine.lastTrace(String(viaHeader.headers['x-nauthilus-session']))?.trace ?? [];
    const h = headerTrace.find((t) => t.stage === 'policy')!.policy!.attributes;
    assert.deepEqual([h['request.client.ip'], h['request.client.ip.source'], h['request.client.ip.trusted']], ['192.0.2.8', 'trusted_proxy_header', true]);
    const metadata = await login(fx, { client_ip: '192.0.2.8', protocol: 'pop3', ssl: 'on' });
    const m = metadata.trace.find((t) => t.stage === 'policy')!.policy!.attributes;
    assert.deepEqual([m['request.client.ip.source'], m['request.client.ip.trusted']], ['metadata', false], 'an address in the JSON body is metadata');
    assert.deepEqual(rows(pop3.trace, 'filter'), ['groups: skipped (scheduler_guard:pop3_clients; check groups_check)']);
    assert.equal(pop3.trace.find((t) => t.stage === 'policy')?.name, 'permit_authenticated');

    const wrong = await login(fx, { client_ip: '127.0.0.1', password: 'nope' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(rows(wrong.trace, 'filter'), ['groups: skipped (run_if; check groups_check)'], 'runs only once the backend authenticated');
    assert.equal(wrong.trace.find((t) => t.stage === 'policy')?.name, 'custom_default_deny');
  });
});

test('Nauthilus 3.0: scheduler guards and check scheduling are checked when the config is read, naming the key', () => {
  const lines = (policy: string[]) => errorsOf(config(policy)).map((e) => `${e.path}: ${e.message}`);
  const guard = (cond: string) => ['scheduler_guards:', `  g: { if: ${cond} }`, 'checks:', '  - { name: tls, type: builtin.tls_encryption, stage: pre_auth, skip_if: [g] }'];
  assert.deepEqual(lines(['checks:', '  - { name: tls, type: builtin.tls_encryption, stage: pre_auth, skip_if: [nope] }']), [
    'auth.policy.checks[0].skip_if[0]: auth.policy.checks[0].skip_if[0] references unknown scheduler guard "nope"',
  ]);
  assert.match(lines(guard('{ attribute: auth.tls.secure, is: true }'))[0], /g\.if\.attribute must reference a request attribute \("auth\.tls\.secure" is produced by a check\)/);
  assert.match(lines(guard('{ attribute: auth.lua.environment.first.triggered, is: true }'))[0], /must not reference Lua-produced attributes/);
  assert.match(lines(guard('{ attribute: request.local.port, eq: "143" }'))[0], /g\.if must combine user-controlled request values with a server-derived scheduler criterion/);
  assert.equal(parseConfigText(config(guard('{ all: [{ attribute: request.local.port, eq: "143" }, { attribute: request.client.ip.trusted, is: true }] }')), FILE, { checkFiles: false, env: {} }).policy?.schedulerGuards.g?.name, 'g',
    'a user-controlled value beside a server-derived one');
  assert.match(lines(guard('{ attribute: request.protocol, matches: "^pop" }'))[0], /g\.if\.matches is not supported for scheduler guards/);
  assert.match(lines(['scheduler_guards:', '  g: { on_missing_attribute: skip, if: { always: true } }'])[0], /g\.on_missing_attribute must be run/);
  assert.match(lines(['scheduler_guards:', '  Bad-Name: { if: { always: true } }'])[0], /must be a simple scheduler guard name/);
  const checks = (...c: string[]) => lines(['scheduler_guards:', '  g: { if: { attribute: request.protocol, eq: pop3 } }', 'checks:', ...c.map((x) => `  - ${x}`)]);
  assert.deepEqual(checks('{ name: a, type: lua.environment, stage: pre_auth, after: [zz] }'), ['auth.policy.checks[0].after[0]: auth.policy.checks[0].after[0] references unknown check "zz"']);
  assert.match(checks('{ name: a, type: lua.environment, stage: pre_auth }', '{ name: b, type: lua.subject, stage: subject_analysis, after: [a] }')[0],
    /checks\[1\]\.after\[0\] is not scheduler-compatible: "a" runs in pre_auth, "b" in subject_analysis/);
  assert.match(checks('{ name: a, type: lua.environment, stage: pre_auth, after: [b] }', '{ name: b, type: lua.environment, stage: pre_auth, after: [a] }')[0],
    /auth\.policy\.checks contains cyclic after dependencies \(a -> b -> a\)/);
  assert.match(checks('{ name: a, type: lua.environment, stage: pre_auth, skip_if: [g] }', '{ name: b, type: lua.environment, stage: pre_auth, after: [a] }')[0],
    /checks\[1\]\.after\[0\] .*must include scheduler guards used by the dependency: "a" is skipped by "g"/);
  assert.match(checks('{ name: a, type: builtin.rbl, stage: pre_auth, observe_safe: true }')[0], /checks\[0\]\.observe_safe cannot be asserted for this check type/);
  assert.deepEqual(checks('{ name: a, type: builtin.rbl, stage: pre_auth, config_ref: auth.controls.tls_encryption }'),
    ['auth.policy.checks[0].config_ref: auth.policy.checks[0].config_ref does not match the check type (builtin.rbl: auth.controls.rbl)']);
  // Nauthilus 3.0 matches a control to its check by the exact config_ref: without it the guard is never asked
  const c = parseConfigText(config(['scheduler_guards:', '  g: { if: { attribute: request.protocol, eq: pop3 } }', 'checks:', '  - { name: tls, type: builtin.tls_encryption, stage: pre_auth, skip_if: [g] }']), FILE, { checkFiles: false, env: {} });
  assert.deepEqual(c.warnings?.map((w) => [w.path, w.location?.line]), [['auth.policy.checks[0]', 26]]);
  assert.match(c.warnings![0].message, /\(tls\): its run_if and skip_if never apply: the tls_encryption control finds its check by config_ref "auth\.controls\.tls_encryption"/);
});

test('Nauthilus 3.0: a guard testing an attribute of the wrong type is refused by check, naming the key', async () => {
  const dir = workspace({
    'authstudio.yml': config(['scheduler_guards:', '  g: { if: { attribute: request.time.now, eq: "2026-01-01T00:00:00Z" } }', 'checks:', '  - { name: a, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.first, skip_if: [g] }']),
    ...SCRIPTS,
  });
  const problems = (await checkWorkspace(path.join(dir, 'authstudio.yml'))).filter((p) => p.severity !== 'warning');
  assert.equal(problems.length, 1);
  assert.equal(problems[0].path, 'auth.policy.scheduler_guards.g.if.eq');
  assert.match(problems[0].message, /requires a boolean or string scheduler guard attribute/);
});

test('Nauthilus 3.0: brute force skipped by a guard still counts the failed logins it let through', async () => {
  const text = yml(
    ...v3LuaBackendHead('[brute_force]'),
    '    brute_force:',
    '      protocols: [imap, pop3]',
    '      buckets: [{ name: b24, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }]',
    '  policy:',
    '    scheduler_guards:',
    '      pop3_clients: { if: { attribute: request.protocol, eq: pop3 } }',
    '    checks:',
    '      - { name: bf, type: builtin.brute_force, stage: pre_auth, config_ref: auth.controls.brute_force, skip_if: [pop3_clients] }',
  );
  await withEngine(text, async (fx) => {
    for (let i = 0; i < 2; i++) {
      const r = await login(fx, { client_ip: '192.0.2.9', protocol: 'pop3', password: `wrong-${i}` });
      assert.equal(r.status, 403);
      assert.deepEqual(rows(r.trace, 'brute_force'), ['brute_force: skipped (scheduler_guard:pop3_clients; check bf)']);
    }
    const pop3 = await login(fx, { client_ip: '192.0.2.9', protocol: 'pop3' });
    assert.equal(pop3.status, 200, 'the guard keeps the bucket from being asked');
    const imap = await login(fx, { client_ip: '192.0.2.9', protocol: 'imap' });
    assert.equal(imap.status, 403, 'the two pop3 failures filled the bucket');
    assert.deepEqual(rows(imap.trace, 'brute_force'), ['brute_force: blocked']);
  });
});
