// The auth.policy a converted 1.x file gets: one check per control, Lua source and backend, and the policies that
// decide as 1.x did (Nauthilus 3.0.1's converter writes the same: its standard_auth rules, spelled out).
//
//   pre_auth:       brute force -> Lua environment sources -> TLS -> relay domains -> RBL   (deny / tempfail)
//   auth_decision:  backend tempfail, empty user/password -> Lua subject sources -> authenticated? -> identity found?
//                   -> list accounts -> standard_default_deny

type Json = Record<string, unknown>;

const AUTHENTICATE = 'authenticate';
const LOOKUP = 'lookup_identity';
const LIST = 'list_accounts';

/** What the planner reads from the converted document. */
export interface PlanInput {
  /** auth.controls.enabled, names only, in order. */
  controls: string[];
  /** Controls that had `when_no_auth: true` in server.features. */
  noAuthControls: Set<string>;
  environment: Json[];
  subject: Json[];
  backendOrder: string[];
  hasLdap: boolean;
  hasLuaBackend: boolean;
  hasAccountProvider: boolean;
}

interface Check { name: string; type: string; stage: string; operations: string[]; after?: string[]; runIf?: string; configRef: string; script?: string }

const ops = (noAuth: unknown): string[] => (noAuth === true ? [AUTHENTICATE, LOOKUP] : [AUTHENTICATE]);

function checkConfig(c: Check): Json {
  const out: Json = { name: c.name, type: c.type, stage: c.stage };
  if (c.operations.length) out.operations = [...new Set(c.operations)];
  if (c.runIf) out.run_if = { auth_state: c.runIf };
  if (c.after?.length) out.after = [...new Set(c.after)];
  out.config_ref = c.configRef;
  out.output = `checks.${c.name}`;
  return out;
}

function runIf(script: Json): string | undefined {
  const a = script.when_authenticated === true;
  const u = script.when_unauthenticated === true;
  return a && !u ? 'authenticated' : u && !a ? 'unauthenticated' : undefined;
}

function luaChecks(scripts: Json[], prefix: string, type: string, stage: string, ref: string): Check[] {
  return scripts.flatMap((s) => {
    const name = s.name;
    if (typeof name !== 'string' || !name) return [];
    const deps = Array.isArray(s.depends_on) ? s.depends_on.filter((d): d is string => typeof d === 'string' && d !== '') : [];
    return [{ name: `${prefix}_${name}`, type, stage, operations: ops(s.when_no_auth), after: deps.map((d) => `${prefix}_${d}`), runIf: runIf(s), configRef: `${ref}.${name}`, script: name }];
  });
}

function rule(name: string, stage: string, cond: Json, then: Json, opts: { require?: string[]; operations?: string[] } = {}): Json {
  const r: Json = { name, stage };
  if (opts.operations && !(opts.operations.length === 1 && opts.operations[0] === AUTHENTICATE)) r.operations = [...new Set(opts.operations)];
  if (opts.require?.length) r.require_checks = opts.require;
  r.if = cond;
  r.then = then;
  return r;
}

const is = (attribute: string, value: boolean): Json => ({ attribute, is: value });

function then(decision: string, outcome: string, fsm: string, response?: string, extra: Json = {}): Json {
  const t: Json = { decision, outcome_marker: outcome, fsm_event_marker: fsm };
  if (response) t.response_marker = response;
  return { ...t, ...extra };
}

const statusMessage = (attribute: string): Json => ({ response_message: { from: 'attribute_detail', attribute, detail: 'status_message', fallback: 'Invalid login or password' } });
const PRE_TEMPFAIL = 'auth.fsm.event.pre_auth_tempfail';
const PRE_DENY = 'auth.fsm.event.pre_auth_deny';

/** The generated checks and policies. */
export function standardPolicy(input: PlanInput): { checks: Json[]; policies: Json[] } {
  const controls = new Set(input.controls);
  const checks: Check[] = [];
  const builtin = (name: string, type: string, stage: string, configRef: string, operations: string[]): Check => ({ name, type, stage, configRef, operations });
  if (controls.has('brute_force')) checks.push(builtin('brute_force', 'builtin.brute_force', 'pre_auth', 'auth.controls.brute_force', [AUTHENTICATE]));
  const env = luaChecks(input.environment, 'lua_environment', 'lua.environment', 'pre_auth', 'auth.policy.attribute_sources.lua.environment');
  checks.push(...env);
  if (controls.has('tls_encryption')) checks.push(builtin('tls_encryption', 'builtin.tls_encryption', 'pre_auth', 'auth.controls.tls_encryption', ops(input.noAuthControls.has('tls_encryption'))));
  if (controls.has('relay_domains')) checks.push(builtin('relay_domains', 'builtin.relay_domains', 'pre_auth', 'auth.controls.relay_domains', [AUTHENTICATE]));
  if (controls.has('rbl')) checks.push(builtin('rbl', 'builtin.rbl', 'pre_auth', 'auth.controls.rbl', ops(input.noAuthControls.has('rbl'))));
  const backends: Check[] = [];
  if (input.backendOrder.includes('ldap') || input.hasLdap) backends.push(builtin('ldap_backend', 'backend.ldap', 'auth_backend', 'auth.backends.ldap', [AUTHENTICATE, LOOKUP]));
  if (input.backendOrder.includes('lua') || input.hasLuaBackend) backends.push(builtin('lua_backend', 'backend.lua', 'auth_backend', 'auth.backends.lua.backend', [AUTHENTICATE, LOOKUP]));
  checks.push(...backends);
  const subject = luaChecks(input.subject, 'lua_subject', 'lua.subject', 'subject_analysis', 'auth.policy.attribute_sources.lua.subject');
  checks.push(...subject);
  const accounts = input.hasAccountProvider ? builtin('account_provider', 'backend.account_provider', 'account_provider', 'auth.backends', [LIST]) : undefined;
  if (accounts) checks.push(accounts);

  const byName = new Map(checks.map((c) => [c.name, c]));
  const policies: Json[] = [];
  if (byName.has('brute_force')) {
    policies.push(
      rule('standard_brute_force_error_tempfail', 'pre_auth', is('auth.brute_force.error', true), then('tempfail', 'auth.outcome.brute_force_error', PRE_TEMPFAIL, 'auth.response.tempfail'), { require: ['brute_force'] }),
      rule('standard_brute_force_deny', 'pre_auth', is('auth.brute_force.triggered', true), then('deny', 'auth.outcome.brute_force_reject', PRE_DENY, 'auth.response.fail', {
        obligations: [{ id: 'auth.obligation.brute_force.update' }, { id: 'auth.obligation.lua_post_action.enqueue', args: { action: 'brute_force' } }],
      }), { require: ['brute_force'] }),
    );
  }
  const tls = byName.get('tls_encryption');
  if (tls) policies.push(rule('standard_tls_enforcement', 'pre_auth', is('auth.tls.secure', false), then('tempfail', 'auth.outcome.tls_required', PRE_TEMPFAIL, 'auth.response.tempfail.no_tls'), { require: ['tls_encryption'], operations: tls.operations }));
  if (byName.has('relay_domains')) {
    policies.push(
      rule('standard_relay_domain_error_tempfail', 'pre_auth', is('auth.relay_domain.error', true), then('tempfail', 'auth.outcome.relay_domain_error', PRE_TEMPFAIL, 'auth.response.tempfail'), { require: ['relay_domains'] }),
      rule('standard_relay_domain_reject', 'pre_auth', { all: [is('auth.relay_domain.present', true), is('auth.relay_domain.known', false)] }, then('deny', 'auth.outcome.relay_domain_reject', PRE_DENY, 'auth.response.fail'), { require: ['relay_domains'] }),
    );
  }
  const rbl = byName.get('rbl');
  if (rbl) {
    policies.push(
      rule('standard_rbl_error_tempfail', 'pre_auth', is('auth.rbl.error', true), then('tempfail', 'auth.outcome.rbl_error', PRE_TEMPFAIL, 'auth.response.tempfail'), { require: ['rbl'], operations: rbl.operations }),
      rule('standard_rbl_reject', 'pre_auth', is('auth.rbl.threshold_reached', true), then('deny', 'auth.outcome.rbl_reject', PRE_DENY, 'auth.response.fail'), { require: ['rbl'], operations: rbl.operations }),
    );
  }
  for (const c of env) {
    const at = `auth.lua.environment.${c.script}`;
    const o = { require: [c.name], operations: c.operations };
    policies.push(
      rule(`standard_lua_environment_${c.script}_error`, 'pre_auth', is(`${at}.error`, true), then('tempfail', `auth.outcome.lua_environment.${c.script}.error`, PRE_TEMPFAIL, 'auth.response.tempfail'), o),
      rule(`standard_lua_environment_${c.script}_trigger`, 'pre_auth', is(`${at}.triggered`, true), then('deny', `auth.outcome.lua_environment.${c.script}.reject`, PRE_DENY, 'auth.response.fail', statusMessage(`${at}.triggered`)), o),
      rule(`standard_lua_environment_${c.script}_abort`, 'pre_auth', is(`${at}.abort`, true), then('neutral', 'auth.outcome.pre_auth_ok', 'auth.fsm.event.pre_auth_ok', undefined, { control: { skip_remaining_stage_checks: true } }), o),
    );
  }
  const both = [AUTHENTICATE, LOOKUP];
  if (backends.length) {
    policies.push(
      rule('standard_backend_tempfail', 'auth_decision', is('auth.backend.tempfail', true), then('tempfail', 'auth.outcome.backend_tempfail', 'auth.fsm.event.auth_tempfail', 'auth.response.tempfail'), { operations: both }),
      rule('standard_empty_username', 'auth_decision', is('auth.backend.empty_username', true), then('tempfail', 'auth.outcome.empty_username', 'auth.fsm.event.auth_empty_user', 'auth.response.tempfail'), { operations: both }),
      rule('standard_empty_password', 'auth_decision', is('auth.backend.empty_password', true), then('deny', 'auth.outcome.empty_password', 'auth.fsm.event.auth_empty_pass', 'auth.response.fail')),
    );
  }
  for (const c of subject) {
    const at = `auth.lua.subject.${c.script}`;
    const o = { require: [c.name], operations: c.operations };
    policies.push(
      rule(`standard_lua_subject_${c.script}_error`, 'auth_decision', is(`${at}.error`, true), then('tempfail', `auth.outcome.lua_subject.${c.script}.error`, 'auth.fsm.event.auth_tempfail', 'auth.response.tempfail'), o),
      rule(`standard_lua_subject_${c.script}_reject`, 'auth_decision', is(`${at}.rejected`, true), then('deny', `auth.outcome.lua_subject.${c.script}.reject`, 'auth.fsm.event.auth_deny', 'auth.response.fail', statusMessage(`${at}.rejected`)), o),
    );
  }
  if (backends.length) {
    policies.push(
      rule('standard_auth_success', 'auth_decision', is('auth.authenticated', true), then('permit', 'auth.outcome.auth_success', 'auth.fsm.event.auth_permit', 'auth.response.ok')),
      rule('standard_auth_failure', 'auth_decision', is('auth.authenticated', false), then('deny', 'auth.outcome.auth_failure', 'auth.fsm.event.auth_deny', 'auth.response.fail')),
      rule('standard_lookup_identity_success', 'auth_decision', is('auth.identity.found', true), then('permit', 'auth.outcome.lookup_identity_success', 'auth.fsm.event.auth_permit', 'auth.response.ok'), { operations: [LOOKUP] }),
      rule('standard_lookup_identity_failure', 'auth_decision', is('auth.identity.found', false), then('deny', 'auth.outcome.lookup_identity_failure', 'auth.fsm.event.auth_deny', 'auth.response.fail'), { operations: [LOOKUP] }),
    );
  }
  if (accounts) {
    const o = { require: ['account_provider'], operations: [LIST] };
    policies.push(
      rule('standard_list_accounts_tempfail', 'auth_decision', is('auth.account_provider.tempfail', true), then('tempfail', 'auth.outcome.list_accounts_tempfail', 'auth.fsm.event.auth_tempfail', 'auth.response.tempfail'), o),
      rule('standard_list_accounts_success', 'auth_decision', is('auth.account_provider.completed', true), then('permit', 'auth.outcome.list_accounts_success', 'auth.fsm.event.auth_permit', 'auth.response.list_accounts.ok'), o),
      rule('standard_list_accounts_failure', 'auth_decision', is('auth.account_provider.completed', false), then('deny', 'auth.outcome.list_accounts_failure', 'auth.fsm.event.auth_deny', 'auth.response.fail'), o),
    );
  }
  policies.push(rule('standard_default_deny', 'auth_decision', { always: true }, then('deny', 'auth.outcome.default_deny', 'auth.fsm.event.auth_deny', 'auth.response.fail'), { operations: [AUTHENTICATE, LOOKUP, LIST] }));
  return { checks: checks.map(checkConfig), policies };
}

/** Names of the generated policies: a 3.x file whose policies are all of these decides as 1.x does. */
export function isGeneratedPolicyName(name: unknown): boolean {
  return typeof name === 'string' && /^standard_/.test(name);
}
