// Which configured checks run for one request, as Nauthilus 3.0 schedules them (server/policy/collection/
// collection.go and scripts.go, server/lualib/pipeline/planner.go, v3.0.1):
//
//   check of the request's plan (stage + operation) --run_if.auth_state--> --skip_if guards--> runs
//                                                        | no match            | a guard matches
//                                                        v                     v
//                                               skipped "run_if"    skipped "scheduler_guard:<name>"
//
// - built-in controls (brute force, TLS, relay domains, RBL) are matched to the check whose type is theirs and whose
//   config_ref is auth.controls.<name>; without such a check in the plan the control runs as always. In observe mode
//   they always run.
// - Lua environment and subject sources: once a check of their type is in the plan, only the sources the plan's
//   checks name run (config_ref ...lua.environment.<name>, or a check named lua_environment_<name>), in `after`
//   order, for any request mode; without one, every source runs as before.
// - a guard whose condition reads an attribute the request does not have does not match (on_missing_attribute: run).
// A skipped check has not run: `require_checks` naming it are not met, so the rule does not apply.
import { matches, type PolicyFacts } from './evaluate';
import { stagePlan } from './schedule-config';
import type { Condition, PolicyCheck, PolicyConfig, PolicyStage } from './types';

export type AuthState = 'authenticated' | 'unauthenticated';

/** One check of the request's plans, as the trace reports it. */
export interface ScheduledCheck { name: string; type: string; stage: PolicyStage; status: 'ran' | 'skipped'; reason?: string; /** A Lua source's name. */ source?: string }

export type ScriptKind = 'environment' | 'subject';

const SCRIPT_TYPE: Record<ScriptKind, string> = { environment: 'lua.environment', subject: 'lua.subject' };
const SCRIPT_STAGE: Record<ScriptKind, PolicyStage> = { environment: 'pre_auth', subject: 'subject_analysis' };

export class CheckScheduler {
  /** Check name -> what became of it, in the order it was decided. */
  readonly report = new Map<string, ScheduledCheck>();

  constructor(private readonly cfg: PolicyConfig, private readonly facts: PolicyFacts) {}

  /**
   * Whether the built-in control `name` runs (policyCheckScheduled). When not, the skip is recorded and returned.
   */
  builtin(name: string, authState: AuthState): { run: true } | { run: false; check: ScheduledCheck } {
    if (this.cfg.mode === 'observe') return { run: true };
    const check = stagePlan(this.cfg, 'pre_auth', this.facts.operation).find((c) => c.type === `builtin.${name}` && c.configRef === `auth.controls.${name}`);
    if (!check) return { run: true };
    const done = this.report.get(check.name);
    if (done) return done.status === 'skipped' ? { run: false, check: done } : { run: true };
    const reason = this.skipReason(check, authState);
    if (reason === undefined) {
      this.report.set(check.name, { name: check.name, type: check.type, stage: check.stage, status: 'ran' });
      return { run: true };
    }
    return { run: false, check: this.skip(check, reason) };
  }

  /**
   * The Lua sources of `kind` to run, in order (ScriptPlan), or undefined when no check of their type is in the
   * request's plan (then every source runs as before). Skipped sources are recorded and listed in `skipped`.
   */
  scripts(kind: ScriptKind, authState: AuthState): { run: string[]; skipped: ScheduledCheck[] } | undefined {
    const plan = stagePlan(this.cfg, SCRIPT_STAGE[kind], this.facts.operation).filter((c) => c.type === SCRIPT_TYPE[kind]);
    if (plan.length === 0) return undefined;
    const selected: Array<{ name: string; check: PolicyCheck }> = [];
    const skipped: ScheduledCheck[] = [];
    for (const check of plan) {
      const name = scriptName(kind, check);
      if (name === '') continue;
      const reason = this.skipReason(check, authState);
      if (reason !== undefined) {
        skipped.push({ ...this.skip(check, reason), source: name });
        continue;
      }
      this.report.set(check.name, { name: check.name, type: check.type, stage: check.stage, status: 'ran' });
      selected.push({ name, check });
    }
    return { run: levels(selected), skipped };
  }

  /** checkScheduleLocked: "run_if", "scheduler_guard:<name>", or undefined when the check runs. */
  private skipReason(check: PolicyCheck, authState: AuthState): string | undefined {
    if (check.runIf !== 'any' && check.runIf !== authState) return 'run_if';
    for (const name of check.skipIf) {
      const guard = this.cfg.schedulerGuards[name];
      if (!guard || missingAttribute(guard.when, this.facts)) continue;
      if (matches(guard.when, this.facts, this.cfg)) return `scheduler_guard:${name}`;
    }
    return undefined;
  }

  private skip(check: PolicyCheck, reason: string): ScheduledCheck {
    const entry: ScheduledCheck = { name: check.name, type: check.type, stage: check.stage, status: 'skipped', reason };
    this.report.set(check.name, entry);
    return entry;
  }
}

/** scripts.go scriptNameFromCheck: the source named by config_ref, else the check name without lua_<kind>_. */
function scriptName(kind: ScriptKind, check: PolicyCheck): string {
  const prefix = `auth.policy.attribute_sources.lua.${kind}.`;
  if (check.configRef?.startsWith(prefix)) return check.configRef.slice(prefix.length).trim();
  const namePrefix = `lua_${kind}_`;
  return check.name.startsWith(namePrefix) ? check.name.slice(namePrefix.length).trim() : '';
}

/**
 * planner.go buildLevels: sources whose dependencies (`after`, among the selected) ran come in levels, each level in
 * plan order. Nauthilus runs a level's sources side by side; AuthStudio runs them one after another in that order.
 */
function levels(selected: Array<{ name: string; check: PolicyCheck }>): string[] {
  const byCheck = new Map(selected.map((s) => [s.check.name, s.name]));
  const deps = new Map(selected.map((s) => [s.name, new Set(s.check.after.map((a) => byCheck.get(a)).filter((n): n is string => n !== undefined))]));
  const out: string[] = [];
  while (out.length < selected.length) {
    const level = selected.filter((s) => !out.includes(s.name) && [...deps.get(s.name)!].every((d) => out.includes(d))).map((s) => s.name);
    if (level.length === 0) break; // a cycle: refused when the config was read
    out.push(...level);
  }
  return out;
}

/** guardHasMissingAttributeLocked: the condition reads an attribute (or detail) the request does not have. */
function missingAttribute(c: Condition, facts: PolicyFacts): boolean {
  if (c.kind === 'all' || c.kind === 'any') return c.children.some((x) => missingAttribute(x, facts));
  if (c.kind === 'not') return missingAttribute(c.child, facts);
  if (c.kind !== 'attribute') return false;
  const fact = facts.attributes.get(c.attribute);
  if (!fact) return true;
  return c.detail !== undefined && !(fact.details && c.detail in fact.details);
}
