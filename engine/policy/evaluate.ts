// Evaluates configured policies on one request's facts, as Nauthilus 3.0 does (server/policy/evaluation/enforce.go,
// observe.go, v3.0.1):
//   - per stage, the policies of that stage and operation in written order; the first whose required checks ran and
//     whose condition matches is selected;
//   - pre_auth: a selected deny/tempfail ends the request; a neutral one (or none) lets it go on;
//   - auth_decision: the first selected permit/deny/tempfail decides; without one, "custom_default_deny" denies;
//   - observe mode: the same over every stage in order (pre_auth, auth_backend, subject_analysis, auth_decision),
//     compared with what the standard decision was, and only logged.
import { canonicalTag } from '../lua/i18n-catalog';
import { CHECK_TYPE_CONFIG_REF, CHECK_TYPES, luaSourceSegment, type Condition, type PolicyCheck, type PolicyConfig, type PolicyDecisionKind, type PolicyOperation, type PolicyRule, type PolicyStage } from './types';
import { parseCidr, parseIp } from './config';

export interface FactValue { value: unknown; details?: Record<string, unknown> }

/** The attributes and check results collected for one request. */
export class PolicyFacts {
  readonly attributes = new Map<string, FactValue>();
  /** Check types (and Lua source names) that ran: "builtin.rbl", "lua.environment:geoip", ... */
  readonly ran = new Set<string>();
  constructor(readonly operation: PolicyOperation) {}

  set(id: string, value: unknown, details?: Record<string, unknown>): void {
    this.attributes.set(id, details ? { value, details } : { value });
  }

  /** The attributes as plain data, for the trace (dates as ISO text). */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of [...this.attributes].sort(([a], [b]) => a.localeCompare(b))) {
      out[k] = v.value instanceof Date ? v.value.toISOString() : v.value;
    }
    return out;
  }
}

/** What a selected policy decided. */
export interface PolicyDecision {
  policy: string;
  stage: PolicyStage;
  decision: PolicyDecisionKind;
  reason?: string;
  responseMessage?: string;
  responseMarker?: string;
  /** The message's i18n key (response_message from: i18n), rendered in the response's language. */
  responseI18nKey?: string;
  /** response_language: the language the i18n message is rendered in (a BCP 47 tag). */
  responseLanguage?: string;
  obligations: PolicyRule['obligations'];
  advice: PolicyRule['advice'];
  skipRemainingStageChecks: boolean;
}

/** observe.go configuredDefaultDenyDecision. */
export const CUSTOM_DEFAULT_DENY: PolicyDecision = {
  policy: 'custom_default_deny', stage: 'auth_decision', decision: 'deny', obligations: [], advice: [], skipRemainingStageChecks: false,
};

const ORDERED: PolicyStage[] = ['pre_auth', 'auth_backend', 'subject_analysis', 'auth_decision'];

export function stagePolicies(cfg: PolicyConfig, stage: PolicyStage, op: PolicyOperation): PolicyRule[] {
  return cfg.policies.filter((p) => p.stage === stage && p.operations.includes(op));
}

/** enforce.go configuredStageEnabled: configured policies decide this stage (instead of standard_auth's rules). */
export function configuredStage(cfg: PolicyConfig, stage: PolicyStage, op: PolicyOperation): boolean {
  return cfg.mode === 'enforce' && stagePolicies(cfg, stage, op).length > 0;
}

/** The first selected policy of one stage, or undefined. */
export function selectInStage(cfg: PolicyConfig, stage: PolicyStage, facts: PolicyFacts): PolicyDecision | undefined {
  for (const rule of stagePolicies(cfg, stage, facts.operation)) {
    if (!rule.requireChecks.every((name) => checkRan(cfg.checks.find((c) => c.name === name), facts))) continue;
    if (!matches(rule.when, facts, cfg)) continue;
    const message = responseMessage(rule, facts);
    const i18n = message && rule.responseMessage?.from === 'i18n' ? responseLanguage(rule, facts) : undefined;
    return {
      policy: rule.name, stage, decision: rule.decision, reason: rule.reason, responseMessage: message, responseMarker: rule.responseMarker,
      ...(i18n ? { responseI18nKey: rule.responseMessage!.i18nKey, ...(i18n.language ? { responseLanguage: i18n.language } : {}) } : {}),
      obligations: rule.obligations, advice: rule.advice, skipRemainingStageChecks: rule.skipRemainingStageChecks,
    };
  }
  return undefined;
}

/** enforce.go selectConfiguredAuth: the first terminal selection, else the custom default deny. */
export function selectAuthDecision(cfg: PolicyConfig, facts: PolicyFacts): PolicyDecision {
  for (const rule of stagePolicies(cfg, 'auth_decision', facts.operation)) {
    const one = selectInStage({ ...cfg, policies: [rule] }, 'auth_decision', facts);
    if (one && one.decision !== 'neutral') return one;
  }
  return CUSTOM_DEFAULT_DENY;
}

/** observe.go evaluateConfiguredPolicySet: what the configured policies would have decided. */
export function selectObserved(cfg: PolicyConfig, facts: PolicyFacts): PolicyDecision {
  for (const stage of ORDERED) {
    if (stage === 'auth_decision') return stagePolicies(cfg, stage, facts.operation).length ? selectAuthDecision(cfg, facts) : CUSTOM_DEFAULT_DENY;
    const d = selectInStage(cfg, stage, facts);
    if (d && stage === 'pre_auth' && (d.decision === 'deny' || d.decision === 'tempfail')) return d;
  }
  return CUSTOM_DEFAULT_DENY;
}

/** observe.go responseMessageFromPlan: the message text, at most 256 characters; undefined for the standard text. */
function responseMessage(rule: PolicyRule, facts: PolicyFacts): string | undefined {
  const m = rule.responseMessage;
  if (!m) return undefined;
  let text: string | undefined;
  if (m.from === 'literal') text = m.text;
  else if (m.from === 'i18n') text = m.fallback;
  else {
    const v = facts.attributes.get(m.attribute!)?.details?.[m.detail!];
    text = typeof v === 'string' && v.trim() !== '' ? v : m.fallback;
  }
  return text ? [...text].slice(0, 256).join('') : undefined;
}

/** observe.go responseLanguageFromPlan: the literal tag, the attribute's value when it is a tag, else the fallback. */
function responseLanguage(rule: PolicyRule, facts: PolicyFacts): { language?: string } {
  const l = rule.responseLanguage;
  if (!l) return {};
  if (l.from === 'literal') return { language: l.language };
  const v = facts.attributes.get(l.attribute!)?.value;
  const tag = typeof v === 'string' ? canonicalTag(v) : undefined;
  return { language: tag ?? l.fallback };
}

function checkRan(check: PolicyCheck | undefined, facts: PolicyFacts): boolean {
  if (!check || !CHECK_TYPES[check.type]) return false;
  if (check.type === 'lua.environment' || check.type === 'lua.subject') {
    // checks.go normalizeIdentifierFromConfigRef: the source named by config_ref, else the check's own name; a
    // check named lua_<kind>_<source> is the one a source's result is recorded under (scripts.go selector)
    const kind = check.type === 'lua.environment' ? 'environment' : 'subject';
    const prefix = `auth.policy.attribute_sources.lua.${kind}.`;
    const byName = check.name.startsWith(`lua_${kind}_`) ? check.name.slice(kind.length + 5) : check.name;
    const name = check.configRef?.startsWith(prefix) ? check.configRef.slice(prefix.length) : byName;
    return facts.ran.has(`${check.type}:${luaSourceSegment(name)}`);
  }
  // collection.go BeginCheck: a control's result is recorded under its check when config_ref is
  // auth.controls.<name>, else under the control's own name
  if (check.type.startsWith('builtin.') && check.configRef !== CHECK_TYPE_CONFIG_REF[check.type] && check.name !== check.type.slice(8)) return false;
  return facts.ran.has(check.type);
}

/** observe.go exprMatches. */
export function matches(c: Condition, facts: PolicyFacts, cfg: Pick<PolicyConfig, 'networks' | 'strings' | 'timeWindows'>): boolean {
  switch (c.kind) {
    case 'always':
      return true;
    case 'all':
      return c.children.every((x) => matches(x, facts, cfg));
    case 'any':
      return c.children.some((x) => matches(x, facts, cfg));
    case 'not':
      return !matches(c.child, facts, cfg);
    case 'attribute': {
      const fact = facts.attributes.get(c.attribute);
      const present = fact !== undefined && (c.detail === undefined || (fact.details !== undefined && c.detail in fact.details));
      if (c.op === 'exists') return present === c.value;
      if (!present) return false;
      const actual = c.detail === undefined ? fact.value : fact.details![c.detail];
      return operator(c.op, actual, c.value, cfg);
    }
  }
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date) return typeof b === 'string' && a.getTime() === Date.parse(b);
  return a === b;
}

function operator(op: string, actual: unknown, expected: unknown, cfg: Pick<PolicyConfig, 'networks' | 'strings' | 'timeWindows'>): boolean {
  const list = Array.isArray(expected) ? expected : typeof expected === 'string' && expected.startsWith('@string.') ? cfg.strings[expected.slice(8)] ?? [] : [];
  const strings = Array.isArray(actual) ? actual.map(String) : undefined;
  switch (op) {
    case 'is':
    case 'eq':
      return same(actual, expected);
    case 'ne':
      return !same(actual, expected);
    case 'in':
      return list.some((x) => same(actual, x));
    case 'not_in':
      return !list.some((x) => same(actual, x));
    case 'matches':
      return typeof actual === 'string' && new RegExp(String(expected)).test(actual);
    case 'contains':
      return strings !== undefined && strings.includes(String(expected));
    case 'contains_any':
      return strings !== undefined && list.some((x) => strings.includes(String(x)));
    case 'contains_all':
      return strings !== undefined && list.every((x) => strings.includes(String(x)));
    case 'contains_none':
      return !(strings !== undefined && list.some((x) => strings.includes(String(x))));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = actual instanceof Date ? actual.getTime() : typeof actual === 'number' ? actual : NaN;
      const b = actual instanceof Date ? Date.parse(String(expected)) : typeof expected === 'number' ? expected : NaN;
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
    case 'cidr_contains': {
      const ip = typeof actual === 'string' ? parseIp(actual) : undefined;
      if (!ip) return false;
      const text = String(expected);
      const nets = text.startsWith('@network.') ? cfg.networks[text.slice(9)] ?? [] : [text];
      return nets.some((n) => inNet(ip, n));
    }
    case 'within_time_window': {
      const w = cfg.timeWindows[String(expected).slice(13)];
      return actual instanceof Date && w !== undefined && withinTimeWindow(actual, w);
    }
    default:
      return false;
  }
}

const DAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** observe.go withinTimeWindow: the local weekday is listed and the local minute is in [start, end) of an interval. */
function withinTimeWindow(t: Date, w: PolicyConfig['timeWindows'][string]): boolean {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: w.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(t);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  if (!w.days.includes(DAY_INDEX[part('weekday')])) return false;
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  return w.intervals.some(([start, end]) => minute >= start && minute < end);
}

function inNet(ip: number[], net: string): boolean {
  const n = parseCidr(net);
  if (!n || n.bytes.length !== ip.length) return false;
  for (let bit = 0; bit < n.bits; bit++) {
    const i = bit >> 3;
    const m = 0x80 >> (bit & 7);
    if ((ip[i] & m) !== (n.bytes[i] & m)) return false;
  }
  return true;
}
