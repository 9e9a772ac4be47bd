// The scheduling part of auth.policy, checked as Nauthilus 3.0's compiler checks it (server/policy/compiler/checks.go
// validateCheckDependencies, scheduler_guards.go, v3.0.1): `after` names a check of the same stage that covers the
// dependent's operations and run_if, without cycles; scheduler guards are request-only conditions.
import type { Val } from '../config/yaml-source';
import { opt, str, struct } from '../config/schema';
import { itemAt, parseCondition } from './config';
import type { Condition, PolicyCheck, PolicyConfig, PolicyOperation, PolicyStage, SchedulerGuard } from './types';

/** Operators a scheduler guard may use (scheduler_guards.go validateSchedulerGuardOperator). */
export const GUARD_OPERATORS = ['exists', 'is', 'eq', 'ne', 'in', 'not_in', 'cidr_contains', 'within_time_window'];

/** Request values the client controls: a guard must combine them with a server-derived fact. */
export function userControlledAttribute(id: string): boolean {
  return id.startsWith('request.header.') || id.startsWith('request.local.') || id.startsWith('request.metadata.') || id === 'request.idp.client_id' || id === 'request.saml.sp_entity_id';
}

/** checks.go validateCheckDependencies: every `after` is known and scheduler-compatible; no cycle in any plan. */
export function checkDependencies(checks: PolicyCheck[], list: Val): void {
  const byName = new Map(checks.map((c) => [c.name, c]));
  for (const c of checks) {
    for (const [i, name] of c.after.entries()) {
      const at = itemAt(list, c.path)?.child('after')?.items()[i];
      if (!at) continue;
      const d = byName.get(name);
      if (!d) {
        at.fail('AS_ERR_CONFIG_TYPE', `${at.path} references unknown check "${name}"`);
        continue;
      }
      const why = d.stage !== c.stage ? `runs in ${d.stage}, "${c.name}" in ${c.stage}`
        : !c.operations.every((op) => d.operations.includes(op)) ? `does not run for every operation of "${c.name}" (${c.operations.join(', ')})`
          : !(d.runIf === 'any' || d.runIf === c.runIf) ? `has run_if.auth_state "${d.runIf}", which does not cover "${c.runIf}"` : undefined;
      if (why) at.fail('AS_ERR_CONFIG_TYPE', `${at.path} is not scheduler-compatible: "${name}" ${why}`);
    }
  }
  const ops = new Set(checks.flatMap((c) => c.operations));
  const stages = new Set(checks.map((c) => c.stage));
  for (const op of ops) {
    for (const stage of stages) {
      const cycle = findCycle(checks.filter((c) => c.stage === stage && c.operations.includes(op)));
      if (cycle) return void list.fail('AS_ERR_CONFIG_TYPE', `${list.path} contains cyclic after dependencies (${cycle.join(' -> ')})`);
    }
  }
}

/** The checks of one plan in run order: each after the checks it names, otherwise as written (plans.go). */
export function orderedChecks(checks: PolicyCheck[]): PolicyCheck[] {
  const byName = new Map(checks.map((c) => [c.name, c]));
  const done = new Set<string>();
  const out: PolicyCheck[] = [];
  const visit = (c: PolicyCheck, path: string[]): void => {
    if (done.has(c.name) || path.includes(c.name)) return;
    for (const dep of c.after) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, c.name]);
    }
    done.add(c.name);
    out.push(c);
  };
  for (const c of checks) visit(c, []);
  return out;
}

/** A dependency cycle among `checks` (names, first repeated at the end), or undefined. */
function findCycle(checks: PolicyCheck[]): string[] | undefined {
  const byName = new Map(checks.map((c) => [c.name, c]));
  const done = new Set<string>();
  const walk = (c: PolicyCheck, path: string[]): string[] | undefined => {
    if (path.includes(c.name)) return [...path.slice(path.indexOf(c.name)), c.name];
    if (done.has(c.name)) return undefined;
    for (const dep of c.after) {
      const d = byName.get(dep);
      const cycle = d && walk(d, [...path, c.name]);
      if (cycle) return cycle;
    }
    done.add(c.name);
    return undefined;
  };
  for (const c of checks) {
    const cycle = walk(c, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The checks of `stage` that run for `op`, in run order. */
export function stagePlan(cfg: Pick<PolicyConfig, 'checks'>, stage: PolicyStage, op: PolicyOperation): PolicyCheck[] {
  return orderedChecks(cfg.checks.filter((c) => c.stage === stage && c.operations.includes(op)));
}

/**
 * auth.policy.scheduler_guards (scheduler_guards.go compileSchedulerGuard): simple names, on_missing_attribute "run"
 * (the default), an `if` over request attributes with the operators a guard may use. Types are checked once the
 * attribute definitions are known (registry.ts). Undefined after reporting a problem.
 */
export function parseSchedulerGuards(v: Val, cfg: Pick<PolicyConfig, 'networks' | 'strings' | 'timeWindows'>, v31: boolean): Record<string, SchedulerGuard> | undefined {
  if (!v.isMap) return v.typeError('a map of scheduler guards');
  const before = v.ctx.errors.length;
  const out: Record<string, SchedulerGuard> = {};
  for (const e of v.entries()) {
    const at = e.val;
    if (!/^[a-z][a-z0-9_]*$/.test(e.key)) {
      at.failAtKey('AS_ERR_CONFIG_TYPE', `${at.path} must be a simple scheduler guard name (lower case letters, digits and "_")`);
      continue;
    }
    const g = struct({ on_missing_attribute: opt(str()), if: opt((x: Val) => x) })(at);
    if (!g) continue;
    const missing = (g.on_missing_attribute ?? '').trim();
    if (missing !== '' && missing !== 'run') {
      at.child('on_missing_attribute')!.fail('AS_ERR_CONFIG_TYPE', `${at.path}.on_missing_attribute must be run`);
      continue;
    }
    const ifVal = at.child('if');
    if (!ifVal || ifVal.isNull) {
      at.fail('AS_ERR_CONFIG_MISSING', `${at.path}.if must contain exactly one expression node`);
      continue;
    }
    const when = parseCondition(ifVal, cfg, v31);
    if (!when || !guardCondition(when, ifVal)) continue;
    out[e.key] = { name: e.key, when, path: at.path };
  }
  return v.ctx.errors.length > before ? undefined : out;
}

/** Request attributes only, guard operators only, no user-controlled value as the only criterion. */
function guardCondition(root: Condition, v: Val): boolean {
  const bad = (c: Condition): string | undefined => {
    if (c.kind === 'all' || c.kind === 'any') return c.children.map(bad).find((x) => x !== undefined);
    if (c.kind === 'not') return bad(c.child);
    if (c.kind !== 'attribute') return undefined;
    if (c.attribute.startsWith('auth.lua.')) return `${c.path}.attribute must not reference Lua-produced attributes`;
    if (!c.attribute.startsWith('request.')) return `${c.path}.attribute must reference a request attribute ("${c.attribute}" is produced by a check)`;
    if (!GUARD_OPERATORS.includes(c.op)) return `${c.path}.${c.op} is not supported for scheduler guards (${GUARD_OPERATORS.join(', ')})`;
    return undefined;
  };
  const problem = bad(root);
  if (problem) return (v.fail('AS_ERR_CONFIG_TYPE', problem), false);
  if (criterionPaths(root).some((p) => p.user && !p.server)) {
    return (v.fail('AS_ERR_CONFIG_TYPE', `${v.path} must combine user-controlled request values with a server-derived scheduler criterion`), false);
  }
  return true;
}

interface CriterionPath { user: boolean; server: boolean }

/** scheduler_guards.go schedulerGuardCriterionPaths: each way the condition can match, and what it rests on. */
function criterionPaths(c: Condition): CriterionPath[] {
  switch (c.kind) {
    case 'attribute':
      return [userControlledAttribute(c.attribute) ? { user: true, server: false } : { user: false, server: true }];
    case 'all':
      return c.children.reduce<CriterionPath[]>((paths, child) => paths.flatMap((l) => criterionPaths(child).map((r) => ({ user: l.user || r.user, server: l.server || r.server }))), [{ user: false, server: false }]);
    case 'any':
      return c.children.flatMap(criterionPaths);
    case 'not':
      return criterionPaths(c.child);
    default:
      return [{ user: false, server: false }];
  }
}
