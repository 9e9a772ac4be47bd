// One auth request through the pipeline, in Nauthilus 1.x order:
//
//   request -> brute force -> features (all run; any trigger: `lua` actions, fail; any abort: skip the next line)
//           -> built-in checks (tls_encryption, relay_domains, rbl) -> backends (cache, lua)
//           -> filters (those whose `when_*` matches; any reject turns success into failure)
//           -> counters/cache -> response -> `post` actions in the background
//
// Features (Lua and built-in) do not run for no-auth requests nor, with Nauthilus 1.x, for client addresses "",
// 127.0.0.1, ::1 (Nauthilus 3.x has no such exemption).
//
// Nauthilus 3.x configs with auth.policy add the policy layer's facts and decisions (see policy-stage.ts), and their
// auth.policy.checks say which controls and Lua sources run, in which order (see policy/scheduler.ts).
//
// Any Lua error, timeout or backend failure is a temporary failure: never a success.
import type { AuthStudioConfig } from '../config/types';
import type { EngineServices } from '../lua/services';
import { CallContext, emptyHttpRequest } from '../lua/call-context';
import type { ScriptPool } from '../lua/script-pool';
import { chunkName } from '../lua/chunk-name';
import type { AuthRequest } from './auth-request';
import { networkOf } from './auth-request';
import { CLIENT_FIELDS_NOT_IN_LUA, DERIVED_FIELD_DEFAULTS, V3_FIELD_DEFAULTS, encodeLuaRequest, type LuaRequestFields, scriptRedisPrefix, shapeLuaRequest, type ShapedLuaRequest } from './lua-request';
import { isNauthilus3 } from '../lua/services';
import { runLuaStage, StageStatus } from './lua-stages';
import { roundMs, type StageRecord } from './trace';
import type { BuiltinCheck, BackendOutcome, PasswordCache } from './extensions';
import { applyFilterBackend, filterBackendState } from './filter-backend';
import type { PolicySnapshot } from '../policy/registry';
import { PolicyRun, authStateOf, policyAfterDecide, policyPreAuth } from './policy-stage';
import { authWaitSeconds } from './auth-wait';
import { TestBackend } from './test-backend';
import { startRequestSpan } from '../tracing/request-span';
import type { WorkspaceTracer } from '../tracing/workspace-tracer';

export type Decision = 'ok' | 'fail' | 'tempfail';

export interface AuthOutcome {
  decision: Decision;
  session: string;
  /** The account name (attributes[account_field]) on success. */
  account?: string;
  accountField?: string;
  totpSecretField?: string;
  attributes: Record<string, string | string[]>;
  /** Which backend answered: "lua" / the optional backend's name / "cache". */
  backend?: string;
  /** Auth-Status text on failure (the scripts' status message or the default). */
  statusMessage?: string;
  /** Nauthilus 3.0: the language a policy's i18n response message was rendered in (the Content-Language header). */
  contentLanguage?: string;
  /** Temporary failure reason (for logs and the trace, not for the client). */
  error?: string;
  /**
   * What refused the login before or regardless of its password: a built-in check's stage (brute_force, rbl,
   * relay_domains, tls_encryption), "feature" (a triggered Lua feature), "filter" or "policy". Unset when the
   * password decided (or the login succeeded).
   */
  refusedBy?: string;
  fromCache: boolean;
  /** Accounts for mode=list-accounts. */
  accounts?: string[];
  trace: StageRecord[];
  customLogs: Array<[string, string]>;
  latencyMs: number;
  /** Resolves when the post actions finished, with their trace records. */
  postActions: Promise<StageRecord[]>;
  /** For the protocol-specific failure responses (nginx SMTP codes). */
  protocol: string;
  /** Auth-Wait seconds to send with a failure (undefined = no header; see auth-wait.ts). */
  authWaitSec?: number;
  /** Headers scripts added to the answer (nauthilus_http_response), lower-case names; refused names never get here. */
  responseHeaders?: Record<string, string[]>;
  /** The backend server a filter selected (nauthilus_backend.select_backend_server): nginx's Auth-Server/Auth-Port. */
  backendServer?: { host: string; port: number };
}

export interface LuaPools {
  features?: ScriptPool;
  filters?: ScriptPool;
  actions?: ScriptPool;
  hooks?: ScriptPool;
  /** "default" is lua.config.backend_script_path; others are optional_lua_backends. */
  backends: Map<string, ScriptPool>;
}

/** The config and the pools built from it: swapped as one on reload; a request keeps the one it started with. */
export interface Generation {
  config: AuthStudioConfig;
  pools: LuaPools;
  /** Built-in checks, in pipeline order (brute force, TLS, relay domains, RBL). */
  checks: BuiltinCheck[];
  passwordCache?: PasswordCache;
  /** Nauthilus 3.x auth.policy, built (registry scripts run) for this generation. */
  policy?: PolicySnapshot;
  /** With tracing on: the tracer provider requests and scripts make spans with. */
  tracer?: WorkspaceTracer;
}

export interface PipelineDeps {
  services: EngineServices;
  current: () => Generation;
}

export const DEFAULT_FAIL_MESSAGE = 'Invalid login or password';
export const TEMPFAIL_MESSAGE = 'Temporary server problem, try again later';

export class AuthPipeline {
  private readonly deps: PipelineDeps;
  /** Post actions running in the background, with the call each runs in (to abort it when abandoned). */
  private readonly inFlightPost = new Map<Promise<unknown>, CallContext>();
  /** Set when shutdown abandoned post actions: those still queued do not start. */
  private postAbandoned = false;
  /** Nauthilus 3.x's in-memory `test` backend: its users outlive config reloads. */
  readonly testBackend = new TestBackend();

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  /** The engine services of the thread this pipeline runs on. */
  get services(): EngineServices {
    return this.deps.services;
  }

  /**
   * Wait for background post actions (graceful shutdown), at most until `deadline` (a performance.now() time).
   * Returns how many were still running at the deadline: they are abandoned (their VMs close with the pools).
   */
  async drain(deadline = Infinity): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const expired = deadline === Infinity ? new Promise<never>(() => undefined)
      : new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - performance.now()))));
    try {
      while (this.inFlightPost.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.inFlightPost.keys()]), expired])) === 'deadline') {
          // what they wait for (a timer, an HTTP call, Redis) ends now, so it cannot keep the process alive
          this.postAbandoned = true;
          for (const call of this.inFlightPost.values()) call.abortSignal?.abort();
          return this.inFlightPost.size;
        }
      }
      return 0;
    } finally {
      clearTimeout(timer);
    }
  }

  async run(req: AuthRequest, opts: { recordEvents?: boolean } = {}): Promise<AuthOutcome> {
    const gen = this.deps.current();
    const { config, pools } = gen;
    const t0 = performance.now();
    const call = new CallContext(req.session, { recordEvents: opts.recordEvents });
    const timeout = config.server.luaScriptTimeoutMs;
    const f = req.fields;
    const out: AuthOutcome = {
      decision: 'fail', session: req.session, attributes: {}, fromCache: false, trace: [], customLogs: call.customLogs,
      latencyMs: 0, postActions: Promise.resolve([]), protocol: f.protocol,
    };
    // scripts read the request the auth call came as and add headers to its answer (Nauthilus 1.10)
    call.httpRequest = req.http ?? emptyHttpRequest();
    call.httpResponse = { headers: (out.responseHeaders = {}) };
    if (gen.tracer) call.tracing = startRequestSpan(gen.tracer, req);

    const v3 = isNauthilus3(config);
    // one object literal with every field (spreads included): V8 keeps it in fast properties, which the four stages'
    // walks over its ~50 fields depend on (fields added one by one, or deleted, turn it into a slow dictionary)
    const base: LuaRequestFields = {
      ...DERIVED_FIELD_DEFAULTS,
      debug: config.server.logLevel === 'debug',
      log_format: config.server.logFormat,
      log_level: config.server.logLevel,
      redis_prefix: scriptRedisPrefix(config),
      no_auth: req.mode !== 'auth',
      service: req.endpoint,
      session: req.session,
      client_net: f.client_ip ? networkOf(f.client_ip, clientCidr(config, f.client_ip)) : '',
      repeating: false,
      brute_force_counter: 0,
      authenticated: false,
      user_found: false,
      // every client field is a string, "" when not sent (as Nauthilus builds its request table): an empty
      // password is "", never nil, so `request.password == <nil from a failed lookup>` cannot match
      ...f,
      // Nauthilus 3.x: its added fields
      ...(v3 ? V3_FIELD_DEFAULTS : undefined),
    };
    // client fields Nauthilus does not put in the request table: undefined is left out of it (set, not deleted)
    for (const k of CLIENT_FIELDS_NOT_IN_LUA) base[k] = undefined;
    if (v3) {
      // the client's method; the prefix (the defaults' empty one replaced); auth_login_attempt a number (3.1)
      base.method = f.method ?? '';
      base.redis_prefix = scriptRedisPrefix(config);
      if (config.profile === '3.1') base.auth_login_attempt = f.auth_login_attempt ? Number(f.auth_login_attempt) : 0;
    } else if (config.profile === '1.12') {
      // Nauthilus 1.12 (lualib/request.go): method, latency, http_status and redis_prefix join the request table
      base.method = f.method ?? '';
      base.http_status = 0;
      base.latency = 0;
    }
    const state: StageState = { call, base, out, timeout, pools, req, config, checks: gen.checks, passwordCache: gen.passwordCache };
    if (gen.policy && req.mode !== 'list-accounts') state.policy = new PolicyRun(gen.policy, state);

    try {
      if (req.mode === 'list-accounts') {
        await this.listAccounts(state);
        return this.finish(state, t0);
      }
      await this.decide(state);
      if (state.policy) await policyAfterDecide(this, state, this.deps.services.logger);
      // checks learn every decision (brute force keeps or gives back the slot it took)
      for (const check of state.checks) if (check.afterDecision) await check.afterDecision(state.out, state);
      return this.finish(state, t0);
    } catch (e) {
      out.decision = 'tempfail';
      out.error = (e as Error)?.message ?? String(e);
      for (const check of state.checks) if (check.afterDecision) await check.afterDecision(state.out, state).catch(() => undefined);
      return this.finish(state, t0);
    }
  }

  /** Steps 2-7; the first stage that decides ends it. */
  private async decide(state: StageState): Promise<void> {
    // 2-4: built-in checks before features (brute force) and after (tls, relay, rbl) share one list
    for (const check of state.checks.filter((c) => c.phase === 'before_features')) {
      if (await this.runCheck(check, state)) return;
    }
    // Nauthilus 1.10 (core/rest.go ProcessFeatures, core/features.go isLocalOrEmptyIP): features, Lua and built-in,
    // are skipped for no-auth requests and for an empty or local client address. Nauthilus 3.0 dropped the address
    // rule (a deployment says which checks a local client skips with scheduler guards); no-auth still skips them.
    const builtin = state.checks.filter((c) => c.phase === 'after_features');
    if (state.req.mode === 'auth' && (isNauthilus3(state.config) || !isLocalOrEmptyIp(state.req.fields.client_ip))) {
      const features = await this.runFeatures(state);
      if (features === 'decided') return;
      // core/features.go HandleFeatures: an abort without a trigger skips the built-in features
      if (features === 'go') {
        for (const check of builtin) {
          if (await this.runCheck(check, state)) return;
        }
      }
    } else if (state.req.mode === 'auth') {
      // core/features.go logAddLocalhost: the log line says which features a local client skipped
      const skipped = [...(state.config.lua.features.length ? ['lua'] : []), ...builtin.map((c) => c.name)];
      for (const name of skipped) state.call.customLogs.push([`feature_${name}`, 'localhost']);
    }
    if (state.policy && (await policyPreAuth(this, state))) return;
    if (state.req.mode === 'auth' && state.req.fields.password === '') return this.refuseEmptyPassword(state);
    if (!(await this.runBackends(state))) return;
    await this.runFilters(state);
  }

  /**
   * An empty password never authenticates and no backend sees it (Nauthilus answers it as a failed login
   * before its backends: AuthResultEmptyPassword). It counts as a wrong password for brute force.
   */
  private refuseEmptyPassword(state: StageState): void {
    state.out.trace.push({ stage: 'backend', name: 'empty_password', duration_ms: 0, result: 'fail (empty password)', logs: {} });
    state.out.decision = 'fail';
    state.passwordJudged = true;
    state.policy?.recordEmptyPassword();
  }

  private finish(state: StageState, t0: number): AuthOutcome {
    const { out, call } = state;
    call.backend = undefined; // nauthilus_backend is the filters' alone: post actions do not get it
    out.latencyMs = roundMs(performance.now() - t0);
    if (out.decision === 'fail' && out.statusMessage === undefined) out.statusMessage = call.statusMessage ?? DEFAULT_FAIL_MESSAGE;
    // a built-in check may name the reason (TLS required); otherwise the generic text, never script details
    if (out.decision === 'tempfail') out.statusMessage ??= TEMPFAIL_MESSAGE;
    if (out.decision === 'fail') out.authWaitSec = authWaitSeconds(state.config.server, state.config.profile, state.req);
    // the answer is decided: the request span ends (post actions' spans still nest under it, as in Nauthilus)
    call.tracing?.end();
    out.postActions = this.schedulePostActions(state);
    return out;
  }

  /** Returns true when the check decided the request. */
  private async runCheck(check: BuiltinCheck, state: StageState): Promise<boolean> {
    const t0 = performance.now();
    // Nauthilus 3.0 (core/policy_collection.go policyCheckScheduled): the check configured for this control may be
    // skipped by its run_if or a scheduler guard; then it neither runs nor records a fact
    const scheduled = state.policy && state.req.mode === 'auth' ? state.policy.scheduler.builtin(check.name, authStateOf(state)) : undefined;
    if (scheduled && !scheduled.run) {
      state.out.trace.push({ stage: check.stage, name: check.name, duration_ms: 0, result: `skipped (${scheduled.check.reason}; check ${scheduled.check.name})`, logs: {} });
      check.skipped?.(state);
      return false;
    }
    const r = await check.run(state);
    state.policy?.recordCheck(check, r, state.req.fields.username);
    if (!r) return false;
    const record: StageRecord = { stage: check.stage, name: check.name, duration_ms: 0, result: r.result, logs: {} };
    if (r.statusMessage) record.status_message = r.statusMessage;
    if (r.error) record.error = r.error;
    state.out.trace.push(record);
    if (r.luaFields) Object.assign(state.base, r.luaFields);
    // Nauthilus 3.0: with pre_auth policies configured, the check only records its fact
    if (r.decision && state.policy?.collectPreAuth) record.result += ' (fact for the pre_auth policies)';
    else if (r.decision) {
      // Nauthilus 1.10 (core/features.go processFeatureAction): actions see which feature decided
      if (check.actionType) state.base.feature = state.base.environment = check.name;
      // Nauthilus 3.0 (core/auth.go): a reject by brute force expects neither stage, by another check no subjects
      if (check.actionType && isNauthilus3(state.config)) {
        Object.assign(state.base, { environment_rejected: true, subject_stage_expected: false, environment_stage_expected: check.name !== 'brute_force' });
      }
      state.out.decision = r.decision;
      state.out.statusMessage = r.statusMessage;
      if (r.decision === 'fail') state.out.refusedBy = check.stage;
      if (r.decision === 'tempfail') state.out.error = r.error ?? r.statusMessage;
      record.duration_ms = roundMs(performance.now() - t0);
      if (check.actionType) await this.runActions(check.actionType, state);
      return true;
    }
    record.duration_ms = roundMs(performance.now() - t0);
    return false;
  }

  /**
   * The Lua features. Nauthilus 1.10 (lualib/feature/feature.go executeScripts, core/features.go HandleFeatures)
   * runs every feature and then decides: an error is a temporary failure; any trigger fails the login and runs the
   * `lua` actions (with `request.feature` "lua"); otherwise any abort skips the built-in features.
   * FEATURE_RESULT_FAIL is only logged. Here they run one after another, in the configured order; as there, the
   * first feature that set a status message keeps it.
   */
  private async runFeatures(state: StageState): Promise<'go' | 'abort' | 'decided'> {
    const pool = state.pools.features;
    if (!pool) return 'go';
    let triggered = false;
    let abort = false;
    const status = new StageStatus(state.call);
    for (const feature of this.scheduledSources('environment', state.config.lua.features, 'feature', state)) {
      const r = await runLuaStage(pool, 'feature', feature.name, chunkName(feature.script), 'feature', stageRequest(state), state.call, state.timeout);
      state.out.trace.push(r.record);
      status.settle(r.record);
      if (r.error) {
        state.policy?.recordFeature(feature.name, false, false, true);
        return this.tempfail(state, r.error.format()) && 'decided';
      }
      const [t, a, result, skipped] = r.values as [boolean, boolean, number, boolean | undefined];
      if (skipped) {
        r.record.result = 'skipped (no nauthilus_call_feature)';
        continue;
      }
      r.record.triggered = t;
      r.record.abort = a;
      r.record.result = [t ? 'triggered' : result === 0 ? 'ok' : '', result === 0 ? '' : resultText(result)].filter(Boolean).join(', ');
      if (result !== 0) this.deps.services.logger.debug({ session: state.req.session, feature: feature.name, result: resultText(result) }, 'Lua feature finished');
      triggered ||= t;
      abort ||= a;
      state.policy?.recordFeature(feature.name, t, a, false, r.record.status_message);
    }
    if (state.policy?.collectPreAuth) return 'go';
    if (triggered) {
      state.base.feature = state.base.environment = 'lua';
      if (isNauthilus3(state.config)) Object.assign(state.base, { environment_rejected: true, subject_stage_expected: false });
      state.out.decision = 'fail';
      state.out.refusedBy = 'feature';
      await this.runActions('lua', state);
      // core/features.go checkLuaFeature: after an abort the request no longer names the feature
      if (abort) state.base.feature = state.base.environment = '';
      return 'decided';
    }
    return abort ? 'abort' : 'go';
  }

  private tempfail(state: StageState, error: string): true {
    state.out.decision = 'tempfail';
    state.out.error = error;
    return true;
  }

  /** Backends in server.backends order. Returns true when the request goes on to the filters. */
  private async runBackends(state: StageState): Promise<boolean> {
    const { config } = state;
    const proto = state.req.fields.protocol;
    const search = config.lua.search.find((s) => s.protocols.includes(proto)) ?? config.lua.search.find((s) => s.protocols.includes('default'));
    const backendName = search?.backendName ?? 'default';
    const cacheName = search?.cacheName ?? '__default__';
    let result: BackendOutcome | undefined;
    for (const kind of config.server.backends) {
      if (kind === 'cache') {
        if (!state.passwordCache || state.req.mode !== 'auth') continue;
        const t0 = performance.now();
        const hit = await state.passwordCache.lookup(cacheName, state.req);
        const record: StageRecord = { stage: 'cache', name: cacheName, duration_ms: 0, result: hit ? 'hit' : 'miss', logs: {} };
        record.duration_ms = roundMs(performance.now() - t0);
        state.out.trace.push(record);
        if (hit) {
          result = hit;
          state.out.fromCache = true;
          break;
        }
        continue;
      }
      if (kind === 'test') {
        // Nauthilus 3.0 core/test_backend.go: every name is found, the first password it logs in with sticks
        result = this.testBackend.passDb('default', state.req.fields.username, state.req.fields.password, state.req.mode === 'no-auth');
        result.backend = 'test';
        state.out.trace.push({ stage: 'backend', name: 'test', duration_ms: 0, result: result.authenticated ? 'authenticated' : result.user_found ? 'not_authenticated' : 'user_not_found', logs: {} });
        break;
      }
      const pool = state.pools.backends.get(backendName);
      // optional Lua backends are further worker pools running the same backend script
      const script = config.lua.config.backendScript;
      if (!pool || !script) return this.tempfail(state, `no Lua backend "${backendName}" is configured`) && false;
      const r = await runLuaStage(pool, 'backend', backendName === 'default' ? 'lua' : backendName, chunkName(script), 'verify', stageRequest(state), state.call, state.timeout);
      state.out.trace.push(r.record);
      if (r.error) {
        state.policy?.recordBackend(undefined, false);
        return this.tempfail(state, r.error.format()) && false;
      }
      const [code, br] = r.values as [number, BackendOutcome | null];
      if (code !== 0 || !br) {
        state.policy?.recordBackend(undefined, false);
        r.record.result = 'fail';
        return this.tempfail(state, `backend ${backendName} returned BACKEND_RESULT_FAIL`) && false;
      }
      br.backend = backendName === 'default' ? 'lua' : backendName;
      result = br;
      r.record.result = br.authenticated ? 'authenticated' : br.user_found ? 'not_authenticated' : 'user_not_found';
      if (br.authenticated && state.req.mode === 'auth' && state.passwordCache) {
        await state.passwordCache.store(cacheName, state.req, br).catch((e: Error) => {
          this.deps.services.logger.warn({ session: state.req.session, err: e.message }, 'password cache write failed');
        });
      }
      break;
    }
    if (!result) return this.tempfail(state, 'no backend answered') && false;
    state.policy?.recordBackend(result, state.req.mode === 'no-auth');
    state.passwordJudged = true;
    const attributes = result.attributes ?? {};
    const accountField = result.account_field ?? undefined;
    const account = accountField ? attributes[accountField] : undefined;
    state.out.attributes = attributes;
    state.out.accountField = accountField;
    state.out.totpSecretField = result.totp_secret_field ?? undefined;
    state.out.backend = result.backend;
    state.out.account = Array.isArray(account) ? account[0] : account;
    const ok = state.req.mode === 'no-auth' ? result.user_found : result.authenticated;
    state.out.decision = ok ? 'ok' : 'fail';
    // Nauthilus 1.10 (core/auth.go verifyPassword): in no-auth mode a found user counts as authenticated;
    // unknown values stay "" (lualib/request.go SetupRequest has no totp_secret)
    Object.assign(state.base, {
      authenticated: state.req.mode === 'no-auth' ? result.user_found : result.authenticated,
      user_found: result.user_found,
      account: state.out.account ?? '',
      account_field: accountField ?? '',
      unique_user_id: (result.unique_user_id_field ? strAttr(attributes[result.unique_user_id_field]) : undefined) ?? '',
      display_name: (result.display_name_field ? strAttr(attributes[result.display_name_field]) : undefined) ?? '',
    });
    return true;
  }

  /**
   * The Lua filters whose `when_*` key matches the request (Nauthilus 1.10 lualib/filter/filter.go CallFilterLua:
   * no-auth, else authenticated, else unauthenticated). All of them run; any reject fails the login; an error is
   * a temporary failure; FILTER_RESULT_FAIL is only logged.
   */
  private async runFilters(state: StageState): Promise<void> {
    const pool = state.pools.filters;
    if (!pool) return;
    // nauthilus_backend: the servers alive now; what the filters select or change is applied after them
    const backend = (state.call.backend = filterBackendState(this.deps.services.aliveBackendServers, {
      authenticated: state.base.authenticated === true, userFound: state.base.user_found === true,
      accountField: state.out.accountField, totpSecretField: state.out.totpSecretField, attributes: state.out.attributes,
    }));
    const noAuth = state.req.mode === 'no-auth';
    const authenticated = state.base.authenticated === true;
    const byWhen = state.config.lua.filters.filter((f) => (noAuth ? f.whenNoAuth : authenticated ? f.whenAuthenticated : f.whenUnauthenticated));
    const filters = this.scheduledSources('subject', byWhen, 'filter', state, state.config.lua.filters);
    let rejected = false;
    const status = new StageStatus(state.call);
    for (const filter of filters) {
      const r = await runLuaStage(pool, 'filter', filter.name, chunkName(filter.script), 'filter', stageRequest(state), state.call, state.timeout);
      state.out.trace.push(r.record);
      status.settle(r.record);
      if (r.error) {
        state.policy?.recordFilter(filter.name, false, true);
        this.tempfail(state, r.error.format());
        return;
      }
      const [reject, result, skipped] = r.values as [boolean, number, boolean | undefined];
      if (skipped) {
        r.record.result = 'skipped (no nauthilus_call_filter)';
        continue;
      }
      r.record.reject = reject;
      r.record.result = [reject ? 'reject' : result === 0 ? 'accept' : '', result === 0 ? '' : resultText(result)].filter(Boolean).join(', ');
      if (result !== 0) this.deps.services.logger.debug({ session: state.req.session, filter: filter.name, result: resultText(result) }, 'Lua filter finished');
      rejected ||= reject;
      state.policy?.recordFilter(filter.name, reject, false, r.record.status_message);
    }
    if (rejected && state.out.decision === 'ok') {
      state.out.decision = 'fail';
      state.out.refusedBy = 'filter';
      state.base.authenticated = false;
    }
    applyFilterBackend(backend, state.out, !rejected);
  }

  /**
   * The Lua sources of a kind to run. Nauthilus 3.0 (policy/collection/scripts.go ScriptPlan): once a check of their
   * type is in the request's plan, the sources its checks name run, in `after` order, whatever the request mode
   * (`all`: every configured source); skipped ones get a trace record saying why. Otherwise `fallback` as before.
   */
  private scheduledSources<T extends { name: string }>(kind: 'environment' | 'subject', fallback: T[], stage: 'feature' | 'filter', state: StageState, all: T[] = fallback): T[] {
    const plan = state.policy?.scheduler.scripts(kind, authStateOf(state));
    if (!plan) return fallback;
    for (const s of plan.skipped) {
      state.out.trace.push({ stage, name: s.source ?? s.name, duration_ms: 0, result: `skipped (${s.reason}; check ${s.name})`, logs: {} });
    }
    return plan.run.map((name) => all.find((x) => x.name === name)).filter((x): x is T => x !== undefined);
  }

  /** Run every action of a type in order; their results never change the decision. */
  async runActions(type: string, state: StageState, stage: 'action' | 'post_action' = 'action', into = state.out.trace): Promise<void> {
    const pool = state.pools.actions;
    if (!pool) return;
    for (const action of state.config.lua.actions) {
      if (action.type !== type) continue;
      if (stage === 'post_action' && this.postAbandoned) break;
      const r = await runLuaStage(pool, stage, action.name, chunkName(action.script), 'action', stageRequest(state), state.call, state.timeout);
      if (!r.error) r.record.result = r.values[1] === true ? 'skipped (no nauthilus_call_action)' : (r.values[0] as number) === 0 ? 'ok' : 'fail';
      if (r.error) this.deps.services.logger.warn({ session: state.req.session, action: action.name, err: r.record.error }, 'action failed');
      into.push(r.record);
    }
  }

  private schedulePostActions(state: StageState): Promise<StageRecord[]> {
    const hasPost = state.config.lua.actions.some((a) => a.type === 'post') && state.pools.actions;
    if (!hasPost || state.req.mode === 'list-accounts') return Promise.resolve([]);
    // post actions see the final decision
    state.base.authenticated = state.out.decision === 'ok' ? state.base.authenticated : false;
    if (state.config.profile === '1.12' || isNauthilus3(state.config)) {
      // Nauthilus 1.12/3.x (core/auth.go FillCommonRequest): whole milliseconds so far, and the status code of the
      // decision — 200 when authenticated, else the endpoint's failure code (403; nginx 200), a temporary failure too
      state.base.latency = Math.floor(state.out.latencyMs);
      state.base.http_status = state.base.authenticated === true ? 200 : state.req.endpoint === 'nginx' ? 200 : 403;
    }
    const records: StageRecord[] = [];
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.runActions('post', state, 'post_action', records))
      .then(() => records, () => records);
    this.inFlightPost.set(p, state.call);
    p.finally(() => this.inFlightPost.delete(p));
    return p;
  }

  private async listAccounts(state: StageState): Promise<void> {
    if (state.config.server.backends.find((k) => k !== 'cache') === 'test') {
      state.out.accounts = this.testBackend.accounts('default');
      state.out.trace.push({ stage: 'backend', name: 'test', duration_ms: 0, result: `${state.out.accounts.length} accounts`, logs: {} });
      state.out.decision = 'ok';
      return;
    }
    const pool = state.pools.backends.get('default');
    const script = state.config.lua.config.backendScript;
    if (!pool || !script) {
      this.tempfail(state, 'no Lua backend is configured');
      return;
    }
    // Nauthilus 1.10 (backend/lua.go setLuaRequestParameters): this request has only `debug` and `session`
    const request = encodeLuaRequest({ debug: state.base.debug, session: state.base.session });
    const r = await runLuaStage(pool, 'backend', 'lua', chunkName(script), 'list_accounts', request, state.call, state.timeout);
    state.out.trace.push(r.record);
    if (r.error) {
      this.tempfail(state, r.error.format());
      return;
    }
    const [code, accounts] = r.values as [number, string[] | null];
    if (code !== 0) {
      this.tempfail(state, 'backend returned BACKEND_RESULT_FAIL for list-accounts');
      return;
    }
    state.out.accounts = Array.isArray(accounts) ? accounts.map(String) : [];
    r.record.result = `${state.out.accounts.length} accounts`;
    state.out.decision = 'ok';
  }
}

/** The network size brute-force rules see a client in (first bucket of its family; /24 and /64 without buckets). */
function clientCidr(config: AuthStudioConfig, ip: string): number {
  const v6 = ip.includes(':');
  const bucket = config.bruteForce?.buckets.find((b) => (v6 ? b.ipv6 : b.ipv4));
  return bucket ? bucket.cidr : v6 ? 64 : 24;
}

/** Nauthilus 1.10 (core/features.go isLocalOrEmptyIP): no features for these client addresses. */
export function isLocalOrEmptyIp(ip: string): boolean {
  return ip === '' || ip === '127.0.0.1' || ip === '::1';
}

/** A stage's request table: the shared fields and the status message as a script set it so far ("" before). */
function stageRequest(state: StageState): ShapedLuaRequest | string {
  state.base.status_message = state.call.statusMessage ?? '';
  return shapeLuaRequest(state.base);
}

/** How Nauthilus logs a feature's or filter's result code (ok, fail, unknown(n)). */
function resultText(result: number): string {
  return result === 0 ? 'ok' : result === 1 ? 'fail' : `unknown(${result})`;
}

function strAttr(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** What stages of one request share. */
export interface StageState {
  call: CallContext;
  base: LuaRequestFields;
  out: AuthOutcome;
  timeout: number;
  pools: LuaPools;
  req: AuthRequest;
  config: AuthStudioConfig;
  checks: BuiltinCheck[];
  passwordCache?: PasswordCache;
  /** Set once a backend (or the empty-password rule) judged the password: a failure then counts for brute force. */
  passwordJudged?: boolean;
  /** Nauthilus 3.x policy layer of this request (3.x configs with auth.policy). */
  policy?: PolicyRun;
}
