// The policy layer's condition operators on facts (Nauthilus v3.0.1 server/policy/evaluation/observe.go exprMatches),
// through the config reader so the conditions are written as in a 3.x file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../engine/config/load';
import { PolicyFacts, matches, selectAuthDecision, selectInStage, selectObserved } from '../../engine/policy/evaluate';
import { identifierSegment, type PolicyConfig } from '../../engine/policy/types';
import { yml } from '../helpers/config-text';

function policyOf(lines: string[]): PolicyConfig {
  const c = parseConfigText(yml('auth:', '  policy:', ...lines.map((l) => `    ${l}`)), 'authstudio.yml', { checkFiles: false, env: {} });
  assert.ok(c.policy);
  return c.policy;
}

function facts(values: Record<string, unknown>, details: Record<string, Record<string, unknown>> = {}): PolicyFacts {
  const f = new PolicyFacts('authenticate');
  for (const [k, v] of Object.entries(values)) f.set(k, v, details[k]);
  return f;
}

/** Whether the condition written as YAML flow text matches the facts. */
function when(cond: string, f: PolicyFacts, sets: string[] = []): boolean {
  const p = policyOf([...sets, 'policies:', `  - { name: p, stage: auth_decision, if: ${cond}, then: { decision: deny } }`]);
  return matches(p.policies[0].when, f, p);
}

test('Nauthilus 3.0: policy operators compare facts as Nauthilus does', () => {
  const f = facts({
    'request.protocol': 'imap', 'auth.rbl.score': 7, 'auth.authenticated': true, 'request.client.ip': '2001:db8:1::5',
    'auth.rbl.matched_lists': ['a', 'b'], 'request.time.now': new Date('2026-01-02T03:04:05Z'),
  }, { 'auth.authenticated': { backend: 'lua' } });
  assert.equal(when('{ attribute: request.protocol, eq: imap }', f), true);
  assert.equal(when('{ attribute: request.protocol, ne: imap }', f), false);
  assert.equal(when('{ attribute: request.protocol, in: [pop3, imap] }', f), true);
  assert.equal(when('{ attribute: request.protocol, not_in: [pop3, imap] }', f), false);
  assert.equal(when('{ attribute: request.protocol, matches: "^im" }', f), true);
  assert.equal(when('{ attribute: auth.rbl.score, gte: 7 }', f), true);
  assert.equal(when('{ attribute: auth.rbl.score, gt: 7 }', f), false);
  assert.equal(when('{ attribute: auth.rbl.score, lt: 10 }', f), true);
  assert.equal(when('{ attribute: request.time.now, lt: "2026-06-01T00:00:00Z" }', f), true);
  assert.equal(when('{ attribute: auth.rbl.matched_lists, contains: b }', f), true);
  assert.equal(when('{ attribute: auth.rbl.matched_lists, contains_all: [a, b] }', f), true);
  assert.equal(when('{ attribute: auth.rbl.matched_lists, contains_any: [c, a] }', f), true);
  assert.equal(when('{ attribute: auth.rbl.matched_lists, contains_none: [c, d] }', f), true);
  assert.equal(when('{ attribute: request.client.ip, cidr_contains: "2001:db8::/32" }', f), true);
  assert.equal(when('{ attribute: request.client.ip, cidr_contains: "@network.v6" }', f, ['sets:', '  networks:', '    v6: ["2001:db8:2::/48"]']), false);
  assert.equal(when('{ attribute: auth.authenticated, detail: backend, eq: lua }', f), true);
  // a missing fact matches nothing but `exists: false` (and its negation)
  assert.equal(when('{ attribute: auth.tls.secure, is: false }', f), false);
  assert.equal(when('{ attribute: auth.tls.secure, exists: false }', f), true);
  assert.equal(when('{ not: { attribute: auth.tls.secure, is: true } }', f), true);
  assert.equal(when('{ any: [{ attribute: auth.tls.secure, is: true }, { attribute: auth.authenticated, is: true }] }', f), true);
  assert.equal(when('{ all: [{ always: true }, { attribute: auth.authenticated, is: false }] }', f), false);
});

test('Nauthilus 3.0: the first matching policy of a stage is selected; a neutral one does not end auth_decision', () => {
  const p = policyOf([
    'policies:',
    '  - { name: note, stage: auth_decision, if: { always: true }, then: { decision: neutral } }',
    '  - { name: ok, stage: auth_decision, if: { attribute: auth.authenticated, is: true }, then: { decision: permit } }',
    '  - { name: also-ok, stage: auth_decision, if: { attribute: auth.authenticated, is: true }, then: { decision: deny } }',
    '  - { name: pre, stage: pre_auth, if: { attribute: auth.tls.secure, is: false }, then: { decision: tempfail } }',
  ]);
  assert.equal(selectInStage(p, 'auth_decision', facts({ 'auth.authenticated': true }))?.policy, 'note');
  assert.equal(selectAuthDecision(p, facts({ 'auth.authenticated': true })).policy, 'ok');
  assert.equal(selectAuthDecision(p, facts({ 'auth.authenticated': false })).policy, 'custom_default_deny');
  // observe: pre_auth first, then the auth decision
  assert.equal(selectObserved(p, facts({ 'auth.tls.secure': false, 'auth.authenticated': true })).policy, 'pre');
  assert.equal(selectObserved(p, facts({ 'auth.tls.secure': true, 'auth.authenticated': true })).policy, 'ok');
});

test('Nauthilus 3.0: source names become attribute segments as policy.IdentifierSegment does', () => {
  assert.deepEqual(['no-pop3-for-bob', ' Geo IP ', '9lives', '---'].map(identifierSegment), ['no_pop3_for_bob', 'geo_ip', 'b_9lives', 'bucket']);
});

test('Nauthilus 3.0: a permit that never tests auth.authenticated loads with a warning', () => {
  const load = (cond: string) => parseConfigText(yml('auth:', '  policy:', '    policies:', `      - { name: p, stage: auth_decision, if: ${cond}, then: { decision: permit } }`), 'authstudio.yml', { checkFiles: false, env: {} });
  const w = load('{ always: true }').warnings ?? [];
  assert.deepEqual(w.map((x) => `${x.location?.line}: ${x.message}`), ['4: auth.policy.policies[0] (p): permits without testing auth.authenticated: a wrong password matching it logs in']);
  assert.deepEqual(load('{ all: [{ attribute: auth.authenticated, is: true }, { attribute: request.protocol, eq: imap }] }').warnings ?? [], []);
});

test('Nauthilus 3.0: within_time_window tests request.time.now in the window\'s zone, weekdays and [start, end) minutes', () => {
  const sets = ['sets:', '  time_windows:', '    office: { timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], intervals: [{ start: "08:00", end: "18:00" }] }'];
  const at = (iso: string) => facts({ 'request.time.now': new Date(iso) });
  const cond = '{ attribute: request.time.now, within_time_window: "@time_window.office" }';
  assert.equal(when(cond, at('2026-01-05T08:30:00Z'), sets), true, 'Monday 09:30 in Berlin');
  assert.equal(when(cond, at('2026-01-05T06:59:00Z'), sets), false, 'Monday 07:59 in Berlin');
  assert.equal(when(cond, at('2026-01-05T17:00:00Z'), sets), false, '18:00 is the end: not inside');
  assert.equal(when(cond, at('2026-01-10T10:00:00Z'), sets), false, 'a Saturday');
  const errs = (lines: string[]) => {
    try {
      policyOf(lines);
      return [];
    } catch (e) {
      return (e as { errors: Array<{ message: string }> }).errors.map((x) => x.message);
    }
  };
  assert.deepEqual(errs(['sets:', '  time_windows:', '    w: { days: [monday] }']), ['auth.policy.sets.time_windows.w.days[0] must be one of mon, tue, wed, thu, fri, sat, or sun']);
  assert.deepEqual(errs(['sets:', '  time_windows:', '    w: { intervals: [{ start: "22:00", end: "02:00" }] }']), ['auth.policy.sets.time_windows.w.intervals[0] must not cross midnight']);
  assert.deepEqual(errs(['sets:', '  time_windows:', '    w: { timezone: Mars/Base }']), ['auth.policy.sets.time_windows.w.timezone must be an IANA timezone name']);
});

test('Nauthilus 3.1: Go plugin check types and obligations load with a warning (plugins are not served); 3.0 refuses them', () => {
  const text = (head: string) => yml(head, 'auth:', '  policy:', '    checks:', '      - { name: geo, type: plugin.environment, stage: pre_auth }', '    policies:',
    '      - { name: p, stage: auth_decision, if: { attribute: plugin.geo.country, eq: DE }, then: { decision: deny, obligations: [{ id: geo.post_action }] } }');
  const c = parseConfigText(text('plugins: { allowed_dirs: [/x] }'), 'authstudio.yml', { checkFiles: false, env: {} });
  assert.equal(c.profile, '3.1');
  assert.deepEqual(c.warnings?.filter((w) => w.path?.startsWith('auth.policy')).map((w) => w.message), [
    'auth.policy.checks[0]: check type plugin.environment belongs to a Go plugin: Nauthilus 3.1 Go plugins are not served by AuthStudio, it never runs',
    'auth.policy.policies[0].then.obligations[0]: obligation "geo.post_action" is not built in (a Go plugin\'s): Nauthilus 3.1 Go plugins are not served by AuthStudio, it never runs',
  ]);
  assert.equal(c.policy?.pluginAttributes, true, 'attributes AuthStudio does not know are the plugins\': never set');
  assert.throws(() => parseConfigText(text('nauthilus: "3.0"'), 'authstudio.yml', { checkFiles: false, env: {} }), /auth\.policy\.checks\[0\]\.type is invalid/);
});

test('Nauthilus 3.0: a check named lua_environment_<source> is met when that source ran (scripts.go records it so)', () => {
  const p = policyOf([
    'attribute_sources: { lua: { environment: [{ name: geo, script_path: ./geo.lua }] } }',
    'checks:',
    '  - { name: lua_environment_geo, type: lua.environment, stage: pre_auth }',
    'policies:',
    '  - { name: needs_geo, stage: pre_auth, require_checks: [lua_environment_geo], if: { always: true }, then: { decision: deny } }',
  ]);
  const f = facts({});
  assert.equal(selectInStage(p, 'pre_auth', f), undefined, 'the source has not run: the rule does not apply');
  f.ran.add('lua.environment:geo');
  assert.equal(selectInStage(p, 'pre_auth', f)?.policy, 'needs_geo');
});

test('Nauthilus 3.0: a built-in check is met by its control only with config_ref auth.controls.<name> or that name', () => {
  const p = policyOf([
    'checks:',
    '  - { name: rbl_by_ref, type: builtin.rbl, stage: pre_auth, config_ref: auth.controls.rbl }',
    '  - { name: rbl, type: builtin.rbl, stage: pre_auth }',
    '  - { name: my_rbl, type: builtin.rbl, stage: pre_auth }',
    'policies:',
    '  - { name: by_other_name, stage: pre_auth, require_checks: [my_rbl], if: { always: true }, then: { decision: deny } }',
    '  - { name: by_ref, stage: pre_auth, require_checks: [rbl_by_ref, rbl], if: { always: true }, then: { decision: tempfail } }',
  ]);
  const f = facts({});
  f.ran.add('builtin.rbl');
  assert.equal(selectInStage(p, 'pre_auth', f)?.policy, 'by_ref', 'my_rbl is never recorded: by_other_name does not apply');
  const c = parseConfigText(yml('auth:', '  policy:', '    checks:', '      - { name: my_rbl, type: builtin.rbl, stage: pre_auth }', '    policies:',
    '      - { name: by_other_name, stage: pre_auth, require_checks: [my_rbl], if: { always: true }, then: { decision: deny } }'), 'authstudio.yml', { checkFiles: false, env: {} });
  assert.deepEqual(c.warnings?.map((w) => w.path), ['auth.policy.checks[0]']);
  assert.match(c.warnings![0].message, /\(my_rbl\): require_checks naming it are never met \(rules by_other_name never apply\): set config_ref: auth\.controls\.rbl or name it "rbl"/);
});
