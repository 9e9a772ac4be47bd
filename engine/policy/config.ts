// Reads `auth.policy` of a Nauthilus 3.x config into PolicyConfig, reporting problems at their 3.x key paths the way
// Nauthilus 3.0's policy compiler words them (server/policy/compiler/*.go, v3.0.1): "auth.policy.policies[0].stage
// is invalid" becomes an AS_ERR_CONFIG_TYPE at that key. Attribute names are checked once registry scripts ran
// (validate.ts); everything else is checked here.
import { canonicalTag } from '../lua/i18n-catalog';
import { parsePolicyCatalogs } from './localization';
import { bool, def, list, oneOf, opt, str, struct } from '../config/schema';
import { scriptPath } from '../config/script-paths';
import type { Val } from '../config/yaml-source';
import { AuthStudioError } from '../errors/registry';
import { checkDependencies, parseSchedulerGuards } from './schedule-config';
import {
  BUILTIN_DEFAULT_SET, CHECK_TYPE_CONFIG_REF, CHECK_TYPE_OPERATIONS, CHECK_TYPES, DECISIONS, LUA_DISPATCH_ACTIONS, OBLIGATIONS, OPERATIONS, OPERATORS, STAGES, identifierSegment,
  type Condition, type Effect, type Operator, type PolicyCheck, type PolicyConfig, type PolicyOperation, type PolicyRule,
} from './types';

const CONDITION_KEYS = ['not', 'always', 'attribute', 'detail', 'all', 'any', ...OPERATORS];

/**
 * Parses auth.policy (the map under `auth.policy`); undefined after reporting a problem. `v31`: the workspace targets
 * Nauthilus 3.1, which adds string sets (`sets.strings`, `in: "@string.<name>"`).
 */
export function parsePolicy(v: Val, opts: { v31?: boolean; plugins?: boolean; warnings?: AuthStudioError[] } = {}): PolicyConfig | undefined {
  const plugin = (at: Val, what: string) => opts.warnings?.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${at.path}: ${what}: Nauthilus 3.1 Go plugins are not served by AuthStudio, it never runs`, {
    path: at.path, location: at.location, severity: 'warning',
  }));
  const before = v.ctx.errors.length;
  const out: PolicyConfig = {
    mode: 'enforce', defaultPolicy: BUILTIN_DEFAULT_SET, networks: {}, timeWindows: {}, strings: {}, registryScripts: [], attributeExports: [], requestHeaders: [],
    checks: [], schedulerGuards: {}, policies: [], environmentSources: [], subjectSources: [], pluginAttributes: opts.plugins ?? false, catalogs: [],
  };
  const localization = v.child('localization');
  if (localization && !localization.isNull) {
    if (!opts.v31) localization.failAtKey('AS_ERR_CONFIG_CONFLICT', `${localization.path} is a Nauthilus 3.1 key (policy translation catalogs): set nauthilus: "3.1" to use it`);
    else out.catalogs = parsePolicyCatalogs(localization);
  }
  const lua = v.child('attribute_sources')?.child('lua');
  for (const [key, into] of [['environment', out.environmentSources], ['subject', out.subjectSources]] as const) {
    for (const item of lua?.child(key)?.items() ?? []) {
      const name = item.child('name')?.scalar;
      if (typeof name === 'string') into.push(name);
    }
  }
  const mode = v.child('mode');
  if (mode && !mode.isNull) out.mode = oneOf(['enforce', 'observe'] as const)(mode) ?? 'enforce';
  const dp = v.child('default_policy');
  if (dp && !dp.isNull) {
    const name = str()(dp);
    // compiler.go: the only built-in policy set is standard_auth
    if (name !== undefined && name !== BUILTIN_DEFAULT_SET) dp.fail('AS_ERR_CONFIG_TYPE', `${dp.path} references unknown built-in policy set "${name}" (Nauthilus 3.0 has "${BUILTIN_DEFAULT_SET}")`);
    else if (name) out.defaultPolicy = name;
  }
  const networks = v.child('sets')?.child('networks');
  for (const e of networks?.entries() ?? []) {
    const cidrs = list(str({ minLength: 1 }), { scalarOk: true })(e.val);
    if (cidrs === undefined) continue;
    const bad = cidrs.find((c) => parseCidr(c) === undefined);
    if (bad !== undefined) e.val.fail('AS_ERR_CONFIG_TYPE', `${e.val.path}: "${bad}" is not an IP address or CIDR`);
    else out.networks[e.key] = cidrs;
  }
  for (const e of v.child('sets')?.child('time_windows')?.entries() ?? []) {
    const w = parseTimeWindow(e.key, e.val);
    if (w) out.timeWindows[e.key] = w;
  }
  const strings = v.child('sets')?.child('strings');
  if (strings && !strings.isNull && !opts.v31) strings.failAtKey('AS_ERR_CONFIG_CONFLICT', `${strings.path} is a Nauthilus 3.1 key (string sets): set nauthilus: "3.1" to use it`);
  else {
    for (const e of strings?.entries() ?? []) {
      const values = list(str())(e.val);
      if (values) out.strings[e.key] = values;
    }
  }
  for (const iv of v.child('registry_scripts')?.items() ?? []) {
    const ref = scriptPath(iv);
    if (ref) out.registryScripts.push({ path: ref.path, displayPath: ref.displayPath });
  }
  const exportSpec = struct({ name: opt(str()), attribute: opt(str()), type: opt(oneOf(['bool', 'string', 'string_list', 'number'] as const)), sensitivity: opt(oneOf(['public', 'internal', 'secret'] as const)) });
  const seenExports = new Map<string, string>();
  for (const iv of v.child('attribute_exports')?.items() ?? []) {
    const x = exportSpec(iv);
    if (!x) continue;
    if (!x.name?.trim()) { iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.name must not be empty`); continue; }
    if (!x.attribute?.trim()) { iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.attribute must not be empty`); continue; }
    if (!x.type) { iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.type must be one of bool, string, string_list, number`); continue; }
    const id = identifierSegment(x.name);
    const prev = seenExports.get(id);
    if (prev !== undefined) { iv.child('name')?.fail('AS_ERR_CONFIG_CONFLICT', `${iv.path}.name normalizes to policy identifier "${id}" already used by attribute export "${prev}"`); continue; }
    seenExports.set(id, x.name);
    out.attributeExports.push({ id: `auth.subject.attribute.${id}`, attribute: x.attribute, type: x.type });
  }
  const headerSpec = struct({
    header: opt(str({ minLength: 1 })), attribute: opt(str({ minLength: 1 })), visibility: opt(str()),
    normalize: opt(struct({ trim: def(bool(), false), case: opt(oneOf(['lower', 'upper'] as const)), max_length: def((x: Val) => (typeof x.scalar === 'number' && x.scalar >= 0 ? x.scalar : x.typeError('an integer >= 0')), 0) })),
  });
  for (const iv of v.child('request_headers')?.items() ?? []) {
    const h = headerSpec(iv);
    if (!h) continue;
    if (!h.header || !h.attribute) { iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path} needs header and attribute`); continue; }
    out.requestHeaders.push({ header: h.header.toLowerCase(), attribute: h.attribute, trim: h.normalize?.trim ?? false, case: h.normalize?.case, maxLength: h.normalize?.max_length ?? 0 });
  }
  const checkNames = new Set<string>();
  for (const iv of v.child('checks')?.items() ?? []) {
    const c = parseCheck(iv, opts.v31 ? plugin : undefined);
    if (!c) continue;
    if (checkNames.has(c.name)) { iv.child('name')?.fail('AS_ERR_CONFIG_CONFLICT', `${iv.path}.name must be unique`); continue; }
    checkNames.add(c.name);
    out.checks.push(c);
  }
  if (v.ctx.errors.length === before) checkDependencies(out.checks, v.child('checks')!);
  for (const c of out.checks) {
    // collection.go checkMatchesSelector: a control finds its check by type and exact config_ref
    if (!c.type.startsWith('builtin.') || c.configRef === CHECK_TYPE_CONFIG_REF[c.type] || (c.runIf === 'any' && c.skipIf.length === 0)) continue;
    opts.warnings?.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${c.path} (${c.name}): its run_if and skip_if never apply: the ${c.type.slice(8)} control finds its check by config_ref "${CHECK_TYPE_CONFIG_REF[c.type]}" (Nauthilus 3.0 does the same)`, {
      path: c.path, location: itemAt(v.child('checks'), c.path)?.location, severity: 'warning',
    }));
  }
  const guards = v.child('scheduler_guards');
  if (guards && !guards.isNull) out.schedulerGuards = parseSchedulerGuards(guards, out, opts.v31 ?? false) ?? {};
  for (const c of out.checks) {
    for (const [j, g] of c.skipIf.entries()) {
      const at = itemAt(v.child('checks'), c.path)!.child('skip_if')!.items()[j];
      if (!out.schedulerGuards[g]) at.fail('AS_ERR_CONFIG_TYPE', `${at.path} references unknown scheduler guard "${g}"`);
    }
  }
  if (v.ctx.errors.length === before) checkAfterGuards(out.checks, v.child('checks'));
  const policyNames = new Set<string>();
  for (const iv of v.child('policies')?.items() ?? []) {
    const p = parseRule(iv, out, opts.v31 ?? false, opts.v31 ? plugin : undefined);
    if (!p) continue;
    if (policyNames.has(p.name)) { iv.child('name')?.fail('AS_ERR_CONFIG_CONFLICT', `${iv.path}.name must be unique`); continue; }
    policyNames.add(p.name);
    out.policies.push(p);
    // Nauthilus applies a permit as written: one that never looks at the password lets a wrong one in (listing
    // accounts has no password: a permit there, as the generated standard_list_accounts_success, is no login)
    if (p.stage === 'auth_decision' && p.decision === 'permit' && p.operations.some((op) => op !== 'list_accounts') && !mentions(p.when, ['auth.authenticated', 'auth.identity.found'])) {
      opts.warnings?.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${iv.path} (${p.name}): permits without testing auth.authenticated: a wrong password matching it logs in`, {
        path: iv.path, location: iv.location, severity: 'warning',
      }));
    }
  }
  for (const c of out.checks) {
    // collection.go BeginCheck: without that config_ref a control's result is recorded under the control's name
    if (!c.type.startsWith('builtin.') || c.configRef === CHECK_TYPE_CONFIG_REF[c.type] || c.name === c.type.slice(8)) continue;
    const rules = out.policies.filter((p) => p.requireChecks.includes(c.name)).map((p) => p.name);
    if (rules.length === 0) continue;
    opts.warnings?.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${c.path} (${c.name}): require_checks naming it are never met (rules ${rules.join(', ')} never apply): set config_ref: ${CHECK_TYPE_CONFIG_REF[c.type]} or name it "${c.type.slice(8)}" (Nauthilus 3.0 records the control's result so)`, {
      path: c.path, location: itemAt(v.child('checks'), c.path)?.location, severity: 'warning',
    }));
  }
  return v.ctx.errors.length > before ? undefined : out;
}

/** The item of a list whose path is `path`. */
export function itemAt(list: Val | undefined, path: string): Val | undefined {
  return list?.items().find((x) => x.path === path);
}

function parseOperations(v: Val | undefined, path: string, defaults: PolicyOperation[] = ['authenticate']): PolicyOperation[] | undefined {
  if (v === undefined || v.isNull) return [...defaults];
  const ops = list(oneOf(OPERATIONS))(v);
  if (ops && ops.length === 0) return v.fail('AS_ERR_CONFIG_TYPE', `${path} must not be empty`);
  if (ops && new Set(ops).size !== ops.length) return v.fail('AS_ERR_CONFIG_CONFLICT', `${path} entries must be unique`);
  return ops;
}

/** Check types that are observe-safe or allow observe_safe: true (compiler/definitions.go). */
const OBSERVE_SAFE_TYPES = ['builtin.tls_encryption', 'builtin.relay_domains', 'lua.environment', 'backend.lua', 'lua.subject'];

/** Nauthilus 3.1 check types of Go plugins, and their stages. */
const PLUGIN_CHECK_TYPES: Record<string, PolicyCheck['stage']> = { 'plugin.environment': 'pre_auth', 'backend.plugin': 'auth_backend', 'plugin.subject': 'subject_analysis' };

function parseCheck(iv: Val, plugin?: (at: Val, what: string) => void): PolicyCheck | undefined {
  const c = struct({
    name: opt(str()), type: opt(str()), stage: opt(str()), operations: opt((x: Val) => x), after: opt(list(str())), skip_if: opt(list(str())),
    run_if: opt(struct({ auth_state: opt(oneOf(['authenticated', 'unauthenticated', 'any'] as const)) })), observe_safe: opt(bool()), config_ref: opt(str()), output: opt(str()),
  })(iv);
  if (!c) return undefined;
  if (!c.name?.trim()) return iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.name must not be empty`);
  const pluginStage = plugin && c.type !== undefined ? PLUGIN_CHECK_TYPES[c.type] : undefined;
  if (pluginStage) plugin!(iv, `check type ${c.type} belongs to a Go plugin`);
  const stageOf = c.type === undefined ? undefined : CHECK_TYPES[c.type] ?? pluginStage;
  if (stageOf === undefined) return (iv.child('type') ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.type is invalid (one of ${Object.keys(CHECK_TYPES).join(', ')})`);
  if (!STAGES.includes(c.stage as never)) return (iv.child('stage') ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.stage is invalid (one of ${STAGES.join(', ')})`);
  if (c.stage !== stageOf) return iv.child('stage')?.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.stage does not match the check type (${c.type} runs in ${stageOf})`);
  // checks.go: observe_safe: true only where the type is observe-safe already or allows the assertion
  if (c.observe_safe === true && CHECK_TYPES[c.type!] && !OBSERVE_SAFE_TYPES.includes(c.type!)) return iv.child('observe_safe')!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.observe_safe cannot be asserted for this check type (${OBSERVE_SAFE_TYPES.join(', ')})`);
  const prefix = CHECK_TYPE_CONFIG_REF[c.type!];
  if (prefix && c.config_ref && !c.config_ref.startsWith(prefix)) return iv.child('config_ref')!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.config_ref does not match the check type (${c.type}: ${prefix}${prefix.endsWith('.') ? '<name>' : ''})`);
  // compiler/checks.go compileOperations: absent means the check type's operations
  const operations = parseOperations(iv.child('operations'), `${iv.path}.operations`, CHECK_TYPE_OPERATIONS[c.type!] ?? ['authenticate']);
  if (!operations) return undefined;
  const skipIf = c.skip_if ?? [];
  const skipAt = iv.child('skip_if');
  if (skipAt && !skipAt.isNull && skipIf.length === 0) return skipAt.fail('AS_ERR_CONFIG_TYPE', `${skipAt.path} must not be empty`);
  for (const [j, g] of skipIf.entries()) {
    const at = skipAt!.items()[j];
    if (!/^[a-z][a-z0-9_]*$/.test(g.trim())) return at.fail('AS_ERR_CONFIG_TYPE', `${at.path} must be a scheduler guard name (lower case letters, digits and "_")`);
    if (skipIf.indexOf(g) !== j) return at.fail('AS_ERR_CONFIG_CONFLICT', `${at.path} must be unique`);
  }
  return {
    name: c.name, type: c.type!, stage: stageOf, operations, configRef: c.config_ref, observeSafe: c.observe_safe,
    runIf: c.run_if?.auth_state ?? 'any', after: c.after ?? [], skipIf: skipIf.map((g) => g.trim()), path: iv.path,
  };
}

/** scheduler_guards.go validateAfterSchedulerGuardCompatibility: a check after another shares its guards. */
function checkAfterGuards(checks: PolicyCheck[], v: Val | undefined): void {
  for (const c of checks) {
    for (const [j, dep] of c.after.entries()) {
      const d = checks.find((x) => x.name === dep);
      const missing = d?.skipIf.find((g) => !c.skipIf.includes(g));
      if (!missing) continue;
      const at = itemAt(v, c.path)?.child('after')?.items()[j];
      at?.fail('AS_ERR_CONFIG_TYPE', `${at.path} (auth.policy.checks.${c.name}.after[${j}]) must include scheduler guards used by the dependency: "${dep}" is skipped by "${missing}"`);
    }
  }
}

function parseRule(iv: Val, cfg: PolicyConfig, v31: boolean, plugin?: (at: Val, what: string) => void): PolicyRule | undefined {
  const r = struct({
    name: opt(str()), stage: opt(str()), operations: opt((x: Val) => x), require_checks: opt(list(str())), if: opt((x: Val) => x), then: opt((x: Val) => x),
  })(iv);
  if (!r) return undefined;
  if (!r.name?.trim()) return iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.name must not be empty`);
  if (!STAGES.includes(r.stage as never)) return (iv.child('stage') ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.stage is invalid (one of ${STAGES.join(', ')})`);
  const stage = r.stage as PolicyRule['stage'];
  const operations = parseOperations(iv.child('operations'), `${iv.path}.operations`);
  if (!operations) return undefined;
  const requireChecks = r.require_checks ?? [];
  for (const [i, name] of requireChecks.entries()) {
    const check = cfg.checks.find((c) => c.name === name);
    const at = iv.child('require_checks')?.items()[i] ?? iv;
    if (!check) return at.fail('AS_ERR_CONFIG_TYPE', `${at.path} references unknown check "${name}"`);
    if (STAGES.indexOf(check.stage) > STAGES.indexOf(stage)) return at.fail('AS_ERR_CONFIG_TYPE', `${at.path} references a future-stage check`);
  }
  const ifVal = iv.child('if');
  if (!ifVal || ifVal.isNull) return iv.fail('AS_ERR_CONFIG_MISSING', `${iv.path}.if must contain exactly one expression node`);
  const when = parseCondition(ifVal, cfg, v31);
  const then = iv.child('then');
  if (!when) return undefined;
  if (!then || !then.isMap) return (then ?? iv).fail('AS_ERR_CONFIG_MISSING', `${iv.path}.then.decision is invalid (one of ${DECISIONS.join(', ')})`);
  const t = struct({
    decision: opt(str()), reason: opt(str()), outcome_marker: opt(str()), fsm_event_marker: opt(str()), response_marker: opt(str()),
    response_message: opt(struct({ from: opt(str()), text: opt(str()), i18n_key: opt(str()), attribute: opt(str()), detail: opt(str()), fallback: opt(str()) })),
    response_language: opt(struct({ from: opt(str()), language: opt(str()), attribute: opt(str()), fallback: opt(str()) })), control: opt(struct({ skip_remaining_stage_checks: def(bool(), false) })),
    obligations: opt((x: Val) => x), advice: opt((x: Val) => x),
  })(then);
  if (!t) return undefined;
  if (!DECISIONS.includes(t.decision as never)) return (then.child('decision') ?? then).fail('AS_ERR_CONFIG_TYPE', `${then.path}.decision is invalid (one of ${DECISIONS.join(', ')})`);
  const decision = t.decision as PolicyRule['decision'];
  if (stage === 'pre_auth' && decision === 'permit') return then.child('decision')?.fail('AS_ERR_CONFIG_TYPE', `${then.path}.decision is not allowed in pre_auth`);
  const obligations = parseEffects(then.child('obligations'), true, plugin);
  const advice = parseEffects(then.child('advice'), false);
  if (!obligations || !advice) return undefined;
  const msgVal = then.child('response_message');
  const responseMessage = t.response_message && msgVal ? parseResponseMessage(t.response_message, msgVal) : undefined;
  if (t.response_message && msgVal && responseMessage === null) return undefined;
  const langVal = then.child('response_language');
  const responseLanguage = t.response_language && langVal ? parseResponseLanguage(t.response_language, langVal) : undefined;
  if (responseLanguage === null) return undefined;
  return {
    name: r.name, stage, operations, requireChecks, when, decision, reason: t.reason, obligations, advice, responseMarker: t.response_marker,
    responseMessage: responseMessage ?? undefined, ...(responseLanguage ? { responseLanguage } : {}), skipRemainingStageChecks: t.control?.skip_remaining_stage_checks ?? false, path: iv.path,
  };
}

type MessageFields = { from?: string; text?: string; i18n_key?: string; attribute?: string; detail?: string; fallback?: string };

/** compiler/policies.go compileResponseMessage; null after reporting a problem, undefined for the default message. */
function parseResponseMessage(m: MessageFields, v: Val): PolicyRule['responseMessage'] | null | undefined {
  const from = (m.from ?? '').trim();
  const any = !!(m.text || m.i18n_key || m.attribute || m.detail || m.fallback);
  const bad = (msg: string): null => (v.fail('AS_ERR_CONFIG_TYPE', `${v.path} ${msg}`), null);
  if (from === '') return any ? bad('must set from when message fields are configured') : undefined;
  switch (from) {
    case 'default':
      return any ? bad('must not combine default with message fields') : undefined;
    case 'literal':
      return !m.text || m.i18n_key || m.attribute || m.detail ? bad('must contain only text for literal') : { from, text: m.text };
    case 'attribute_detail':
      if (!m.attribute || !m.detail) return bad('needs attribute and detail for attribute_detail');
      return { from, attribute: m.attribute, detail: m.detail, fallback: m.fallback };
    case 'i18n':
      if (!m.i18n_key) return bad('needs i18n_key for i18n');
      return { from, i18nKey: m.i18n_key.trim(), fallback: m.fallback };
    default:
      return (v.child('from')!.fail('AS_ERR_CONFIG_TYPE', `${v.path}.from is invalid (default, literal, attribute_detail or i18n)`), null);
  }
}

type LanguageFields = { from?: string; language?: string; attribute?: string; fallback?: string };

/** compiler/policies.go compileResponseLanguage (the attribute's registration is checked with the registry). */
function parseResponseLanguage(l: LanguageFields, v: Val): PolicyRule['responseLanguage'] | null | undefined {
  const from = (l.from ?? '').trim();
  const bad = (at: string, msg: string): null => (v.fail('AS_ERR_CONFIG_TYPE', `${v.path}${at} ${msg}`), null);
  if (from === '') return l.language || l.attribute || l.fallback ? bad('', 'must set from when language fields are configured') : undefined;
  switch (from) {
    case 'literal': {
      if (!l.language || l.attribute || l.fallback) return bad('.language', 'must contain only language for literal');
      const tag = canonicalTag(l.language);
      return tag ? { from, language: tag } : bad('.language', 'must be a valid BCP 47 language tag');
    }
    case 'attribute': {
      if (!l.attribute || l.language) return bad('.attribute', 'must contain attribute and optional fallback');
      if (!l.fallback?.trim()) return { from, attribute: l.attribute };
      const tag = canonicalTag(l.fallback);
      return tag ? { from, attribute: l.attribute, fallback: tag } : bad('.fallback', 'must be a valid BCP 47 language tag');
    }
    default:
      return bad('.from', 'is invalid');
  }
}

function parseEffects(v: Val | undefined, registered: boolean, plugin?: (at: Val, what: string) => void): Effect[] | undefined {
  if (v === undefined || v.isNull) return [];
  if (!v.isSeq) return v.typeError('a list');
  const out: Effect[] = [];
  for (const iv of v.items()) {
    const id = iv.child('id');
    const name = id?.scalar;
    if (typeof name !== 'string' || name === '') return (id ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.id references unknown registered effect`);
    // Nauthilus 3.1: Go plugins register further obligations
    if (registered && !OBLIGATIONS.includes(name as never) && plugin) {
      plugin(iv, `obligation "${name}" is not built in (a Go plugin's)`);
      continue;
    }
    if (registered && !OBLIGATIONS.includes(name as never)) return id!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.id references unknown registered effect "${name}" (one of ${OBLIGATIONS.join(', ')})`);
    const args: Record<string, unknown> = {};
    for (const e of iv.child('args')?.entries() ?? []) args[e.key] = e.val.scalar;
    if (name === 'auth.obligation.lua_action.dispatch') {
      const bad = Object.keys(args).find((k) => !['action', 'environment', 'wait'].includes(k));
      if (bad) return iv.child('args')!.child(bad)!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.args.${bad} is not supported`);
      if (typeof args.action !== 'string') return (iv.child('args')?.child('action') ?? iv).fail('AS_ERR_CONFIG_MISSING', `${iv.path}.args.action is required`);
      if (!LUA_DISPATCH_ACTIONS.includes(args.action as never)) return iv.child('args')!.child('action')!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.args.action must be an allowed Lua action (${LUA_DISPATCH_ACTIONS.join(', ')})`);
    }
    out.push({ id: name, args });
  }
  return out;
}

/** Whether a condition tests one of `ids` anywhere (outside a `not`). */
function mentions(c: Condition, ids: string[]): boolean {
  if (c.kind === 'attribute') return ids.includes(c.attribute);
  if (c.kind === 'all') return c.children.some((x) => mentions(x, ids));
  if (c.kind === 'any') return c.children.every((x) => mentions(x, ids));
  return false;
}

/** One condition node: exactly one of attribute/all/any/not/always (compiler/policies.go conditionKind). */
export function parseCondition(v: Val, cfg: Pick<PolicyConfig, 'networks' | 'strings' | 'timeWindows'>, v31 = false): Condition | undefined {
  if (!v.isMap) return v.typeError('a condition map');
  const keys = v.entries().map((e) => e.key);
  const unknown = keys.find((k) => !CONDITION_KEYS.includes(k));
  if (unknown) return v.child(unknown)!.failAtKey('AS_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${unknown}" at ${v.where()}`);
  const nodes = ['attribute', 'all', 'any', 'not', 'always'].filter((k) => keys.includes(k));
  if (keys.includes('detail') && !keys.includes('attribute')) return v.child('detail')!.fail('AS_ERR_CONFIG_TYPE', `${v.path}.detail may only appear with attribute`);
  if (nodes.length !== 1) return v.fail('AS_ERR_CONFIG_TYPE', `${v.path} must contain exactly one expression node`);
  const kind = nodes[0];
  const c = v.child(kind)!;
  if (kind === 'always') return c.scalar === true ? { kind: 'always', path: v.path } : c.fail('AS_ERR_CONFIG_TYPE', `${c.path} must be true`);
  if (kind === 'not') {
    const child = parseCondition(c, cfg, v31);
    return child && { kind: 'not', child, path: v.path };
  }
  if (kind === 'all' || kind === 'any') {
    if (!c.isSeq || c.items().length === 0) return c.fail('AS_ERR_CONFIG_TYPE', `${c.path} must contain at least one child`);
    const children = c.items().map((x) => parseCondition(x, cfg, v31));
    return children.every((x) => x !== undefined) ? { kind, children: children as Condition[], path: v.path } : undefined;
  }
  const attribute = str({ minLength: 1 })(c);
  if (attribute === undefined) return undefined;
  const ops = keys.filter((k) => OPERATORS.includes(k as Operator)) as Operator[];
  if (ops.length !== 1) return v.fail('AS_ERR_CONFIG_TYPE', `${v.path} must contain exactly one operator`);
  const op = ops[0];
  const ov = v.child(op)!;
  const value = ov.isSeq ? ov.items().map((x) => x.scalar) : ov.scalar;
  if (op === 'within_time_window') {
    const s = typeof value === 'string' ? value : '';
    if (!s.startsWith('@time_window.')) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} must reference a time-window set`);
    if (!cfg.timeWindows[s.slice(13)]) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} references unknown time-window set "${s.slice(13)}"`);
  }
  if (op === 'cidr_contains') {
    const s = typeof value === 'string' ? value : '';
    if (s.startsWith('@network.')) {
      if (!cfg.networks[s.slice(9)]) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} references unknown network set "${s.slice(9)}"`);
    } else if (parseCidr(s) === undefined) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} must be an IP address, CIDR, or network set reference`);
  }
  if (op === 'matches') {
    try {
      new RegExp(String(value));
    } catch (e) {
      return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} is not a valid pattern: ${(e as Error).message}`);
    }
  }
  if (op === 'exists' && typeof value !== 'boolean') return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} must be a boolean`);
  if ((op === 'in' || op === 'not_in') && typeof value === 'string' && v31) {
    // Nauthilus 3.1 compileStringSetOperand
    const name = value.startsWith('@string.') ? value.slice(8) : '';
    if (!name) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} must be a list or @string.<name> string set reference`);
    if (!cfg.strings[name]) return ov.fail('AS_ERR_CONFIG_TYPE', `${ov.path} references unknown string set "${name}"`);
  } else if (['in', 'not_in', 'contains_any', 'contains_all', 'contains_none'].includes(op) && !Array.isArray(value)) return ov.typeError('a list');
  const detail = v.child('detail')?.scalar;
  return { kind: 'attribute', attribute, detail: typeof detail === 'string' ? detail : undefined, op, value, path: v.path };
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** compiler/sets.go compileTimeWindowSets: an IANA zone ("" is UTC), weekdays, HH:MM intervals within one day. */
function parseTimeWindow(name: string, v: Val): PolicyConfig['timeWindows'][string] | undefined {
  const w = struct({ timezone: opt(str()), days: opt(list(str())), intervals: opt(list(struct({ start: opt(str()), end: opt(str()) }))) })(v);
  if (!w) return undefined;
  if (!/^[a-z0-9_]+$/.test(name)) return v.failAtKey('AS_ERR_CONFIG_TYPE', `${v.path} must use lowercase letters, digits, and underscores`);
  const timezone = w.timezone?.trim() || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return (v.child('timezone') ?? v).fail('AS_ERR_CONFIG_TYPE', `${v.path}.timezone must be an IANA timezone name`);
  }
  const days: number[] = [];
  for (const [i, d] of (w.days ?? []).entries()) {
    const n = WEEKDAYS.indexOf(d.trim().toLowerCase());
    if (n < 0) return v.child('days')!.items()[i].fail('AS_ERR_CONFIG_TYPE', `${v.path}.days[${i}] must be one of mon, tue, wed, thu, fri, sat, or sun`);
    days.push(n);
  }
  const minute = (t: string | undefined): number | undefined => {
    const m = /^(\d+):(\d+)$/.exec((t ?? '').trim());
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return undefined;
    return Number(m[1]) * 60 + Number(m[2]);
  };
  const intervals: Array<[number, number]> = [];
  for (const [i, iv] of (w.intervals ?? []).entries()) {
    const at = `${v.path}.intervals[${i}]`;
    const start = minute(iv.start);
    const end = minute(iv.end);
    if (start === undefined) return v.fail('AS_ERR_CONFIG_TYPE', `${at}.start must use HH:MM`);
    if (end === undefined) return v.fail('AS_ERR_CONFIG_TYPE', `${at}.end must use HH:MM`);
    if (end <= start) return v.fail('AS_ERR_CONFIG_TYPE', `${at} must not cross midnight`);
    intervals.push([start, end]);
  }
  return { timezone, days, intervals };
}

/** An address or CIDR as [family, bytes, prefix length]; undefined when it is neither. */
export function parseCidr(text: string): { v6: boolean; bytes: number[]; bits: number } | undefined {
  const [addr, len, ...rest] = text.trim().split('/');
  if (rest.length) return undefined;
  const bytes = parseIp(addr);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const bits = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  return { v6: bytes.length === 16, bytes, bits };
}

/** IPv4 or IPv6 text as bytes (an IPv4-mapped IPv6 address as its IPv4 bytes). */
export function parseIp(text: string): number[] | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    const b = text.split('.').map(Number);
    return b.every((x) => x <= 255) ? b : undefined;
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let tail: number[] = [];
  let t = text;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = parseIp(v4[1]);
    if (!b) return undefined;
    tail = b;
    t = t.slice(0, -v4[1].length) + '0:0';
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  const mapped = bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 255 && bytes[11] === 255;
  return mapped ? bytes.slice(12) : bytes;
}
