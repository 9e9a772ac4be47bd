// The Nauthilus 3.x declarative policy layer (auth.policy) as plain, serializable data: what the config says and
// the attributes rules may test. Names follow Nauthilus v3.0.1 (server/policy/types.go, server/config/schema_v2.go).

import type { CatalogOverlay } from '../lua/i18n-catalog';

export const STAGES = ['pre_auth', 'auth_backend', 'subject_analysis', 'account_provider', 'auth_decision'] as const;
export type PolicyStage = (typeof STAGES)[number];
export const OPERATIONS = ['authenticate', 'lookup_identity', 'list_accounts'] as const;
export type PolicyOperation = (typeof OPERATIONS)[number];
export const DECISIONS = ['permit', 'deny', 'tempfail', 'neutral'] as const;
export type PolicyDecisionKind = (typeof DECISIONS)[number];
export const ATTRIBUTE_TYPES = ['bool', 'string', 'string_list', 'number', 'ip', 'cidr', 'datetime'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
export const OPERATORS = ['is', 'eq', 'ne', 'in', 'not_in', 'matches', 'exists', 'contains', 'contains_any', 'contains_all', 'contains_none', 'gt', 'gte', 'lt', 'lte', 'cidr_contains', 'within_time_window'] as const;
export type Operator = (typeof OPERATORS)[number];

/** The only built-in policy set (policy.BuiltinDefaultSet). */
export const BUILTIN_DEFAULT_SET = 'standard_auth';

/** Check types (policy.CheckType*) and the stage each belongs to. */
export const CHECK_TYPES: Record<string, PolicyStage> = {
  'builtin.brute_force': 'pre_auth',
  'builtin.tls_encryption': 'pre_auth',
  'builtin.relay_domains': 'pre_auth',
  'builtin.rbl': 'pre_auth',
  'lua.environment': 'pre_auth',
  'backend.ldap': 'auth_backend',
  'backend.lua': 'auth_backend',
  'lua.subject': 'subject_analysis',
  'backend.account_provider': 'account_provider',
};

/** The operations a check type runs for when its `operations` are not written (compiler/definitions.go). */
export const CHECK_TYPE_OPERATIONS: Record<string, PolicyOperation[]> = {
  'builtin.brute_force': ['authenticate'],
  'builtin.tls_encryption': ['authenticate', 'lookup_identity'],
  'builtin.relay_domains': ['authenticate'],
  'builtin.rbl': ['authenticate', 'lookup_identity'],
  'lua.environment': ['authenticate'],
  'backend.ldap': ['authenticate', 'lookup_identity'],
  'backend.lua': ['authenticate', 'lookup_identity'],
  'lua.subject': ['authenticate'],
  'backend.account_provider': ['list_accounts'],
};

/** What a check's config_ref must start with, per type (compiler/definitions.go ConfigRefPrefix). */
export const CHECK_TYPE_CONFIG_REF: Record<string, string> = {
  'builtin.brute_force': 'auth.controls.brute_force',
  'builtin.tls_encryption': 'auth.controls.tls_encryption',
  'builtin.relay_domains': 'auth.controls.relay_domains',
  'builtin.rbl': 'auth.controls.rbl',
  'lua.environment': 'auth.policy.attribute_sources.lua.environment.',
  'backend.ldap': 'auth.backends.ldap',
  'backend.lua': 'auth.backends.lua.backend',
  'lua.subject': 'auth.policy.attribute_sources.lua.subject.',
  'backend.account_provider': 'auth.backends',
};

/** Registered obligations (policy.Obligation*) and the actions lua_action.dispatch may name. */
export const OBLIGATIONS = ['auth.obligation.brute_force.update', 'auth.obligation.lua_action.dispatch', 'auth.obligation.lua_post_action.enqueue'] as const;
export const LUA_DISPATCH_ACTIONS = ['brute_force', 'lua', 'tls_encryption', 'relay_domains', 'rbl'] as const;

/** One condition node, with the key path it was written at (for errors found after loading). */
export type Condition =
  | { kind: 'always'; path: string }
  | { kind: 'all' | 'any'; children: Condition[]; path: string }
  | { kind: 'not'; child: Condition; path: string }
  | { kind: 'attribute'; attribute: string; detail?: string; op: Operator; value: unknown; path: string };

export interface Effect { id: string; args: Record<string, unknown> }

export interface PolicyRule {
  name: string;
  stage: PolicyStage;
  operations: PolicyOperation[];
  requireChecks: string[];
  when: Condition;
  decision: PolicyDecisionKind;
  reason?: string;
  /** then.response_message: where the client-visible message comes from (default: the standard text). */
  responseMessage?: { from: 'literal' | 'attribute_detail' | 'i18n'; text?: string; i18nKey?: string; attribute?: string; detail?: string; fallback?: string };
  /** then.response_language: the language an i18n response message is rendered in (a tag, or a string attribute's value). */
  responseLanguage?: { from: 'literal' | 'attribute'; language?: string; attribute?: string; fallback?: string };
  /** then.response_marker: auth.response.tempfail.no_tls answers with the TLS message (core/policy_authority.go). */
  responseMarker?: string;
  obligations: Effect[];
  advice: Effect[];
  skipRemainingStageChecks: boolean;
  path: string;
}

/** run_if.auth_state: whether the backend must have authenticated the request for the check to run. */
export type RunIfAuthState = 'any' | 'authenticated' | 'unauthenticated';

export interface PolicyCheck {
  name: string;
  type: string;
  stage: PolicyStage;
  operations: PolicyOperation[];
  configRef?: string;
  observeSafe?: boolean;
  runIf: RunIfAuthState;
  /** Checks of the same plan that run first. */
  after: string[];
  /** Scheduler guards: when one matches, the check does not run. */
  skipIf: string[];
  path: string;
}

/** auth.policy.scheduler_guards.<name>: a request-only condition that skips the checks naming it in skip_if. */
export interface SchedulerGuard { name: string; when: Condition; path: string }

export interface AttributeExport { id: string; attribute: string; type: 'bool' | 'string' | 'string_list' | 'number' }

export interface RequestHeaderAttribute { header: string; attribute: string; trim: boolean; case?: 'lower' | 'upper'; maxLength: number }

/** auth.policy as AuthStudio evaluates it. */
export interface PolicyConfig {
  mode: 'enforce' | 'observe';
  defaultPolicy: string;
  networks: Record<string, string[]>;
  /** sets.time_windows, for `within_time_window: "@time_window.<name>"`: IANA zone, weekdays (0 = Sunday), [start, end) minutes. */
  timeWindows: Record<string, { timezone: string; days: number[]; intervals: Array<[number, number]> }>;
  /** Nauthilus 3.1 sets.strings, for `in: "@string.<name>"`. */
  strings: Record<string, string[]>;
  registryScripts: Array<{ path: string; displayPath: string }>;
  attributeExports: AttributeExport[];
  requestHeaders: RequestHeaderAttribute[];
  checks: PolicyCheck[];
  schedulerGuards: Record<string, SchedulerGuard>;
  policies: PolicyRule[];
  /** Names of the Lua environment and subject attribute sources (their generated attributes). */
  environmentSources: string[];
  subjectSources: string[];
  /** A 3.1 file with a `plugins:` section: attributes AuthStudio does not know are taken as the plugins' (never set). */
  pluginAttributes: boolean;
  /** Nauthilus 3.1 localization.catalogs: the operator's message catalogs, over the init scripts' ones. */
  catalogs: CatalogOverlay[];
}

/** One attribute a rule may test. */
export interface AttributeDefinition {
  id: string;
  type: AttributeType;
  stage: PolicyStage;
  details?: Record<string, AttributeType>;
  /** Who may emit it: built-in facts, or Lua through nauthilus_policy.emit_attribute. */
  source: 'builtin' | 'lua';
  operations?: PolicyOperation[];
}

/**
 * The name segment of a Lua source's attributes (auth.lua.environment.<name>.triggered): the name as written, trimmed
 * (Nauthilus 3.0.1 collection.go scriptAttributeID and compiler normalizeIdentifierFromConfigRef; no IdentifierSegment).
 */
export function luaSourceSegment(name: string): string {
  return name.trim();
}

/** policy.IdentifierSegment: lower case, runs of other characters become one "_", trimmed; a leading digit gets "b_". */
export function identifierSegment(input: string): string {
  let out = '';
  let prevUnderscore = false;
  for (const ch of input.trim()) {
    const c = /[a-z0-9_]/.test(ch) ? ch : /[A-Z]/.test(ch) ? ch.toLowerCase() : '_';
    if (c === '_') {
      // a run of separators is one "_", none at the start
      if (out.length > 0 && !prevUnderscore) out += c;
      prevUnderscore = true;
      continue;
    }
    prevUnderscore = false;
    out += c;
  }
  let result = out.replace(/^_+|_+$/g, '');
  if (result === '') result = 'bucket';
  if (/^[0-9]/.test(result)) result = 'b_' + result;
  return result;
}
