// The Nauthilus 3.x policy layer in the pipeline (3.x configs with auth.policy only; 1.x configs never get here).
//
//   request -> [facts: request.*] -> brute force, environment sources, tls/relay/rbl [facts: auth.*]
//           -> pre_auth policies (enforce: a deny/tempfail ends the request, its obligations run the actions)
//           -> backend [auth.authenticated, auth.subject.attribute.*] -> subject sources [auth.lua.subject.*]
//           -> auth_decision policies (enforce: the first permit/deny/tempfail decides, else custom_default_deny)
//
// With policies of a stage configured in enforce mode, the standard rules of that stage no longer decide: a check or
// source that would have failed the request only records its fact (Nauthilus 3.0 evaluation/enforce.go: configured
// stages replace standard_auth's). In observe mode the standard decision stands; what the configured policies would
// have decided is logged and traced. Any script error or backend failure stays a temporary failure: never a success.
import { catalogsOf } from '../lua/modules/i18n';
import type { Logger } from 'pino';
import type { AuthOutcome, AuthPipeline, StageState } from './pipeline';
import type { BackendOutcome, BuiltinCheck, CheckResult } from './extensions';
import { roundMs, type StageRecord } from './trace';
import type { PolicySnapshot } from '../policy/registry';
import { PolicyFacts, configuredStage, selectAuthDecision, selectInStage, selectObserved, type PolicyDecision } from '../policy/evaluate';
import { luaSourceSegment, type PolicyOperation } from '../policy/types';
import { TLS_REQUIRED_MESSAGE } from '../protection/tls-check';
import { CheckScheduler, type AuthState } from '../policy/scheduler';

const RESULT: Record<string, AuthOutcome['decision']> = { permit: 'ok', deny: 'fail', tempfail: 'tempfail' };

/** One request's policy state. */
export class PolicyRun {
  readonly facts: PolicyFacts;
  /** Enforce mode with pre_auth policies: checks and sources only record facts. */
  readonly collectPreAuth: boolean;
  /** Set once the pre-auth part let the request go on to the backends. */
  passedPreAuth = false;
  /** Which configured checks run for this request (run_if, skip_if, after). */
  readonly scheduler: CheckScheduler;

  /** realtime_blackhole_lists.threshold, for auth.rbl.threshold. */
  private readonly threshold: number | undefined;

  constructor(readonly snapshot: PolicySnapshot, state: StageState) {
    const { req } = state;
    this.threshold = state.config.rbl?.threshold;
    const op: PolicyOperation = req.mode === 'list-accounts' ? 'list_accounts' : req.mode === 'no-auth' ? 'lookup_identity' : 'authenticate';
    this.facts = new PolicyFacts(op);
    this.collectPreAuth = configuredStage(snapshot.config, 'pre_auth', op);
    state.call.policy = { definitions: snapshot.definitions, facts: this.facts };
    this.scheduler = new CheckScheduler(snapshot.config, this.facts);
    const f = req.fields;
    const set = (id: string, v: unknown) => this.facts.set(id, v);
    set('request.operation', op);
    set('request.time.now', new Date());
    set('request.protocol', f.protocol);
    set('request.transport.kind', 'http');
    set('request.listener.name', 'http');
    set('request.initiator.kind', 'external_user');
    set('request.connection.tls', f.ssl !== '' && f.ssl !== undefined);
    set('request.client.ip.present', !!f.client_ip);
    if (f.client_ip) set('request.client.ip', f.client_ip);
    const client = clientIpTrust(req.fields.client_ip, req.peer, req.http?.headers['client-ip']?.[0]);
    set('request.client.ip.source', client.source);
    set('request.client.ip.trusted', client.trusted);
    set('request.caller.ip.present', !!req.peer?.ip);
    if (req.peer?.ip) set('request.caller.ip', req.peer.ip);
    set('request.caller.ip.source', 'direct_peer');
    set('request.local.ip.present', !!f.local_ip);
    if (f.local_ip) set('request.local.ip', f.local_ip);
    set('request.local.port.present', !!f.local_port);
    if (f.local_port) set('request.local.port', f.local_port);
    if (req.http?.path) set('request.http.route', req.http.path);
    for (const h of snapshot.config.requestHeaders) {
      let v = req.http?.headers[h.header]?.[0];
      if (v === undefined) continue;
      if (h.trim) v = v.trim();
      if (h.case === 'lower') v = v.toLowerCase();
      if (h.case === 'upper') v = v.toUpperCase();
      if (h.maxLength > 0) v = v.slice(0, h.maxLength);
      set(h.attribute, v);
    }
  }

  /** A built-in check ran (or did not apply: r undefined). */
  recordCheck(check: BuiltinCheck, r: CheckResult | undefined, username = ''): void {
    const set = (id: string, v: unknown) => this.facts.set(id, v);
    this.facts.ran.add(`builtin.${check.name}`);
    if (check.name === 'relay_domains') {
      // the domain part of an e-mail login name (none: the check does not apply)
      const at = username.lastIndexOf('@');
      set('auth.relay_domain.present', at >= 0);
      if (at >= 0) set('auth.relay_domain.value', username.slice(at + 1).toLowerCase());
    }
    if (!r) return;
    const failed = r.decision === 'fail';
    const error = r.decision === 'tempfail';
    if (check.name === 'brute_force') {
      set('auth.brute_force.triggered', failed);
      set('auth.brute_force.error', error);
      if (typeof r.luaFields?.repeating === 'boolean') set('auth.brute_force.repeating', r.luaFields.repeating);
    } else if (check.name === 'tls_encryption') {
      set('auth.tls.secure', !r.decision);
    } else if (check.name === 'relay_domains') {
      set('auth.relay_domain.known', !failed);
      set('auth.relay_domain.static_match', r.result === 'served');
      set('auth.relay_domain.rejected', failed);
      set('auth.relay_domain.soft_allowlisted', r.result === 'soft whitelisted');
      set('auth.relay_domain.error', error);
    } else if (check.name === 'rbl') {
      set('auth.rbl.threshold_reached', failed);
      // the check's result names the lists that matched and the score: "listed (a, b; score 20)"
      const m = /\((.*); score (\d+)\)$/.exec(r.result);
      set('auth.rbl.matched_lists', m ? m[1].split(', ') : []);
      set('auth.rbl.matched_count', m ? m[1].split(', ').length : 0);
      set('auth.rbl.score', m ? Number(m[2]) : 0);
      if (this.threshold !== undefined) set('auth.rbl.threshold', this.threshold);
      set('auth.rbl.ip_allowlisted', r.result === 'allowlisted');
      set('auth.rbl.error', error);
    }
  }

  /** `statusMessage`: what the script set with nauthilus_builtin.status_message_set (collection/scripts.go statusMessageDetails). */
  recordFeature(name: string, triggered: boolean, abort: boolean, error = false, statusMessage?: string): void {
    const p = `auth.lua.environment.${luaSourceSegment(name)}`;
    this.facts.ran.add(`lua.environment:${luaSourceSegment(name)}`);
    this.facts.set(`${p}.triggered`, triggered, statusMessage ? { status_message: statusMessage } : undefined);
    this.facts.set(`${p}.abort`, abort);
    this.facts.set(`${p}.error`, error);
  }

  recordBackend(result: BackendOutcome | undefined, noAuth: boolean): void {
    this.facts.ran.add('backend.lua');
    if (!result) {
      this.facts.set('auth.backend.tempfail', true);
      return;
    }
    this.facts.set('auth.backend.tempfail', false);
    this.facts.set('auth.authenticated', noAuth ? result.user_found : result.authenticated);
    this.facts.set('auth.identity.found', result.user_found);
    // subject_attribute_registry.go: true when the backend returned the attribute; its value(s) as a detail
    for (const x of this.snapshot.config.attributeExports) {
      const raw = result.attributes?.[x.attribute];
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
      const details: Record<string, unknown> = { attribute: x.attribute, count: values.length };
      if (x.type === 'string_list') details.values = values;
      else if (values.length) details.value = x.type === 'number' ? Number(values[0]) : x.type === 'bool' ? /^(true|1|yes)$/i.test(values[0]) : values[0];
      this.facts.set(x.id, values.length > 0, details);
    }
  }

  recordEmptyPassword(): void {
    this.facts.set('auth.backend.empty_password', true);
    this.facts.set('auth.authenticated', false);
  }

  recordFilter(name: string, rejected: boolean, error = false, statusMessage?: string): void {
    const p = `auth.lua.subject.${luaSourceSegment(name)}`;
    this.facts.ran.add(`lua.subject:${luaSourceSegment(name)}`);
    this.facts.set(`${p}.rejected`, rejected, statusMessage ? { status_message: statusMessage } : undefined);
    this.facts.set(`${p}.error`, error);
  }
}

/**
 * core/policy_request_context_facts.go requestClientIPTrust (HTTP): the client address is trusted when it is the
 * peer itself, or came in the Client-IP header from a trusted proxy; one sent in a request body is metadata.
 */
function clientIpTrust(ip: string, peer: { ip: string; trustedProxy: boolean } | undefined, header: string | undefined): { source: string; trusted: boolean } {
  if (!ip) return { source: 'unknown', trusted: false };
  if (header !== undefined && header.split(',').some((h) => h.trim() === ip)) {
    return peer?.trustedProxy ? { source: 'trusted_proxy_header', trusted: true } : { source: 'metadata', trusted: false };
  }
  if (peer && peer.ip === ip) return { source: 'direct_peer', trusted: true };
  return { source: 'metadata', trusted: false };
}

/** run_if.auth_state of the request so far. */
export function authStateOf(state: StageState): AuthState {
  return state.base.authenticated === true ? 'authenticated' : 'unauthenticated';
}

/** The trace record of a policy decision (stage "policy"). */
function record(run: PolicyRun, d: PolicyDecision, enforced: boolean, result: string, t0: number): StageRecord {
  return {
    stage: 'policy', name: d.policy, duration_ms: roundMs(performance.now() - t0), result, logs: {},
    policy: {
      mode: run.snapshot.config.mode, stage: d.stage, policy: d.policy, decision: d.decision, enforced,
      ...(d.reason ? { reason: d.reason } : {}),
      obligations: d.obligations.map((o) => o.id), advice: d.advice.map((a) => a.id),
      attributes: run.facts.snapshot(),
      checks: [...run.scheduler.report.values()],
    },
  };
}

/** Apply a decision and run its obligations (Lua actions). */
async function enforce(pipeline: AuthPipeline, state: StageState, d: PolicyDecision): Promise<void> {
  const out = state.out;
  out.decision = RESULT[d.decision];
  // a deny after a right password is the policy's refusal; after a wrong one the password decided
  if (out.decision === 'fail' && state.base.authenticated === true) out.refusedBy = 'policy';
  if (out.decision === 'fail' && d.responseMessage) {
    out.statusMessage = d.responseMessage;
    if (d.responseI18nKey) {
      // core/policy_authority.go applyPolicyResponseMessage, core/response.go renderResponseStatusMessage: the message
      // in the catalogs of this thread's init scripts, in response_language, else the client's Accept-Language, else en
      const header = state.req.http?.headers['accept-language']?.join(', ');
      const r = catalogsOf(pipeline).active.resolve(d.responseI18nKey, d.responseMessage, { policy: d.responseLanguage, header });
      out.statusMessage = r.message || d.responseMessage;
      if (r.language) out.contentLanguage = r.language;
    }
  }
  if (out.decision === 'tempfail') {
    out.error = `policy ${d.policy}${d.reason ? `: ${d.reason}` : ''}`;
    // core/policy_authority.go tempFailReasonFromPolicy: the no_tls marker answers as the TLS rule does, else the message
    out.statusMessage = d.responseMarker === 'auth.response.tempfail.no_tls' ? TLS_REQUIRED_MESSAGE : d.responseMessage ?? out.statusMessage;
  }
  if (out.decision !== 'ok') state.base.authenticated = false;
  for (const o of d.obligations) {
    if (o.id !== 'auth.obligation.lua_action.dispatch') continue;
    const action = String(o.args.action);
    // core/features.go: actions see what decided (the environment source named by the obligation, or the control)
    state.base.feature = state.base.environment = typeof o.args.environment === 'string' ? o.args.environment : action;
    await pipeline.runActions(action, state);
  }
}

/** Before the backends. Returns true when a pre_auth policy decided the request. */
export async function policyPreAuth(pipeline: AuthPipeline, state: StageState): Promise<boolean> {
  const run = state.policy!;
  if (run.collectPreAuth) {
    const t0 = performance.now();
    const d = selectInStage(run.snapshot.config, 'pre_auth', run.facts);
    if (d) {
      const terminal = d.decision === 'deny' || d.decision === 'tempfail';
      state.out.trace.push(record(run, d, true, terminal ? d.decision : 'neutral (goes on)', t0));
      if (terminal) {
        await enforce(pipeline, state, d);
        return true;
      }
    }
  }
  run.passedPreAuth = true;
  return false;
}

/** After the standard decision: the auth_decision policies (enforce) or the observe comparison. */
export async function policyAfterDecide(pipeline: AuthPipeline, state: StageState, logger: Logger): Promise<void> {
  const run = state.policy!;
  const cfg = run.snapshot.config;
  const t0 = performance.now();
  if (cfg.mode === 'observe') {
    if (!cfg.policies.some((p) => p.operations.includes(run.facts.operation))) return;
    const d = selectObserved(cfg, run.facts);
    const would = RESULT[d.decision] ?? 'fail';
    const mismatch = would !== state.out.decision;
    state.out.trace.push(record(run, d, false, `observe: would ${d.decision} (enforced: ${state.out.decision})`, t0));
    logger.info({ session: state.req.session, policy: d.policy, stage: d.stage, decision: d.decision, production: state.out.decision, mismatch }, 'policy observe');
    return;
  }
  // a failure of a script or backend stays a temporary failure
  if (!run.passedPreAuth || state.out.decision === 'tempfail' || !configuredStage(cfg, 'auth_decision', run.facts.operation)) return;
  const d = selectAuthDecision(cfg, run.facts);
  state.out.trace.push(record(run, d, true, d.decision, t0));
  await enforce(pipeline, state, d);
}
