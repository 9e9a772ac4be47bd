// Builds what a generation evaluates policies with: the attribute definitions (built-in, from the config, and from
// auth.policy.registry_scripts run once, each in its own VM with `nauthilus_policy` as a global, as Nauthilus 3.0's
// compiler/lua_registry.go does), then checks every rule's attribute references against them (compiler/policies.go
// compileAttributeCondition): an unknown attribute or detail, a future-stage attribute or a value of the wrong type
// is a config error at its 3.x key path.
import fs from 'node:fs';
import type { AuthStudioConfig } from '../config/types';
import type { EngineServices } from '../lua/services';
import { LuaVm } from '../lua/vm';
import { AuthStudioError } from '../errors/registry';
import { REGISTRY_RUNS } from '../lua/modules/policy';
import { configAttributes } from './attributes';
import { STAGES, type AttributeDefinition, type Condition, type PolicyConfig, type PolicyRule, type SchedulerGuard } from './types';

/** The policy layer of one generation. */
export interface PolicySnapshot {
  config: PolicyConfig;
  definitions: Map<string, AttributeDefinition>;
}

let runs = 0;

export async function buildPolicySnapshot(config: AuthStudioConfig, services: EngineServices, sources?: Record<string, string>): Promise<PolicySnapshot | undefined> {
  const policy = config.policy;
  if (!policy) return undefined;
  const definitions = configAttributes(policy);
  for (const [i, ref] of policy.registryScripts.entries()) {
    const at = `auth.policy.registry_scripts[${i}]`;
    const poolName = `policy_registry#${++runs}`;
    const found = new Map<string, AttributeDefinition>();
    REGISTRY_RUNS.set(poolName, found);
    const vm = await LuaVm.create({
      poolName, services, memoryLimitBytes: config.server.luaMemoryLimitBytes, allowIo: config.server.luaAllowIo,
      packagePath: config.lua.config.packagePath, scriptTimeoutMs: config.server.luaScriptTimeoutMs,
    });
    try {
      const src = sources?.[ref.path] ?? fs.readFileSync(ref.path, 'utf8');
      // the global Nauthilus sets, on the script's first line so line numbers stay as written
      await vm.loadScript(ref.displayPath, `nauthilus_policy = require("nauthilus_policy"); ${src}`, config.server.luaScriptTimeoutMs);
    } catch (e) {
      const err = e as AuthStudioError;
      throw new AuthStudioError('AS_ERR_POLICY_CONFIG', `${at}: ${err.message}`, { path: at, location: err.location ?? { file: ref.displayPath }, cause: e });
    } finally {
      REGISTRY_RUNS.delete(poolName);
      vm.close();
    }
    for (const [id, d] of found) {
      if (definitions.has(id)) throw new AuthStudioError('AS_ERR_POLICY_CONFIG', `${at}: policy attribute "${id}" is already registered`, { path: at, location: { file: ref.displayPath } });
      definitions.set(id, d);
    }
  }
  for (const rule of policy.policies) checkRule(rule, definitions, policy.pluginAttributes);
  for (const guard of Object.values(policy.schedulerGuards)) checkGuard(guard, definitions);
  return { config: policy, definitions };
}

function fail(path: string, message: string): never {
  throw new AuthStudioError('AS_ERR_POLICY_CONFIG', `${path} ${message}`, { path });
}

function checkRule(rule: PolicyRule, defs: Map<string, AttributeDefinition>, pluginAttributes: boolean): void {
  const visit = (c: Condition): void => {
    if (c.kind === 'all' || c.kind === 'any') c.children.forEach(visit);
    else if (c.kind === 'not') visit(c.child);
    else if (c.kind === 'attribute') {
      const d = defs.get(c.attribute);
      // Nauthilus 3.1 Go plugins register attributes AuthStudio cannot know: such a condition never matches
      if (!d && pluginAttributes) return;
      if (!d) fail(`${c.path}.attribute`, `references unknown attribute "${c.attribute}"`);
      let type = d.type;
      if (c.detail !== undefined) {
        const dt = d.details?.[c.detail];
        if (!dt) fail(`${c.path}.detail`, `references unknown detail "${c.detail}" of "${c.attribute}"`);
        type = dt;
      }
      if (STAGES.indexOf(d.stage) > STAGES.indexOf(rule.stage)) fail(`${c.path}.attribute`, `references a future-stage attribute ("${c.attribute}" is set in ${d.stage}, the policy runs in ${rule.stage})`);
      if (d.operations && !rule.operations.some((op) => d.operations!.includes(op))) fail(`${c.path}.attribute`, 'cannot be emitted for this policy operation');
      checkValue(c, type);
    }
  };
  visit(rule.when);
  const m = rule.responseMessage;
  if (m?.from === 'attribute_detail') {
    const at = `${rule.path}.then.response_message`;
    const d = defs.get(m.attribute!);
    if (!d) fail(`${at}.attribute`, `references unknown attribute "${m.attribute}"`);
    if (d.details?.[m.detail!] !== 'string') fail(`${at}.detail`, `references unknown string detail "${m.detail}" of "${m.attribute}"`);
  }
  const l = rule.responseLanguage;
  if (l?.from === 'attribute') {
    const at = `${rule.path}.then.response_language.attribute`;
    const d = defs.get(l.attribute!);
    if (!d) fail(at, 'references unknown attribute');
    if (d.type !== 'string') fail(at, 'must reference a string attribute');
  }
}

/**
 * scheduler_guards.go: a guard tests attributes known before the pre_auth checks, with operators typed for it
 * (scalar operators on bool/string, cidr_contains on ip/cidr, within_time_window on datetime).
 */
function checkGuard(guard: SchedulerGuard, defs: Map<string, AttributeDefinition>): void {
  const visit = (c: Condition): void => {
    if (c.kind === 'all' || c.kind === 'any') c.children.forEach(visit);
    else if (c.kind === 'not') visit(c.child);
    else if (c.kind === 'attribute') {
      const d = defs.get(c.attribute);
      if (!d) fail(`${c.path}.attribute`, `references unknown attribute "${c.attribute}"`);
      let type = d.type;
      if (c.detail !== undefined) {
        const dt = d.details?.[c.detail];
        if (!dt) fail(`${c.path}.detail`, `references unknown detail "${c.detail}" of "${c.attribute}"`);
        type = dt;
      }
      if (d.stage !== 'pre_auth' || d.source === 'lua') fail(`${c.path}.attribute`, 'must reference a request attribute known before the pre_auth checks');
      const at = `${c.path}.${c.op}`;
      if (['is', 'eq', 'ne', 'in', 'not_in'].includes(c.op) && type !== 'bool' && type !== 'string') fail(at, 'requires a boolean or string scheduler guard attribute');
      if (c.op === 'cidr_contains' && type !== 'ip' && type !== 'cidr') fail(at, 'requires an IP or CIDR scheduler guard attribute');
      if (c.op === 'within_time_window' && type !== 'datetime') fail(at, 'requires a datetime scheduler guard attribute');
      checkValue(c, type);
    }
  };
  visit(guard.when);
}

/** compiler/policies.go compileExpectedValue, for the operators and types AuthStudio evaluates. */
function checkValue(c: Extract<Condition, { kind: 'attribute' }>, type: AttributeDefinition['type']): void {
  const at = `${c.path}.${c.op}`;
  const scalarOk = (x: unknown): boolean => {
    if (type === 'bool') return typeof x === 'boolean';
    if (type === 'number') return typeof x === 'number';
    if (type === 'datetime') return typeof x === 'string' && !Number.isNaN(Date.parse(x));
    return typeof x === 'string';
  };
  switch (c.op) {
    case 'is':
    case 'eq':
    case 'ne':
      if (type === 'string_list' || !scalarOk(c.value)) fail(at, `must be a ${type} value`);
      return;
    case 'in':
    case 'not_in':
      if (typeof c.value === 'string') {
        if (type !== 'string') fail(at, 'requires a string attribute');
      } else if (type === 'string_list' || !(c.value as unknown[]).every(scalarOk)) fail(at, `must be a list of ${type} values`);
      return;
    case 'matches':
      if (type !== 'string') fail(at, 'is only supported for string attributes');
      return;
    case 'contains':
    case 'contains_any':
    case 'contains_all':
    case 'contains_none':
      if (type !== 'string_list') fail(at, 'is only supported for string_list attributes');
      return;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if ((type !== 'number' && type !== 'datetime') || !scalarOk(c.value)) fail(at, 'is only supported for number and datetime attributes');
      return;
    case 'within_time_window':
      if (type !== 'datetime') fail(at, 'is only supported for datetime attributes');
      return;
    case 'cidr_contains':
      if (type !== 'ip') fail(at, 'is only supported for ip attributes');
      return;
    default:
  }
}
