// Which Lua attribute sources a request runs when auth.policy.checks selects them (Nauthilus 3.0
// policy/collection/scripts.go scriptPlan): once the stage has one check of a family's type, only the sources
// such checks name run; without one, every configured source runs.
import type { PolicyConfig } from './types';

/** A family of Lua attribute sources: its check type, the stage its checks sit in, how a check names a source. */
const FAMILIES = {
  environment: { type: 'lua.environment', stage: 'pre_auth', configRef: 'auth.policy.attribute_sources.lua.environment.', checkName: 'lua_environment_' },
  subject: { type: 'lua.subject', stage: 'subject_analysis', configRef: 'auth.policy.attribute_sources.lua.subject.', checkName: 'lua_subject_' },
} as const;

/**
 * The sources of `kind` that run, in the order configured. A check names its source by `config_ref`
 * (`auth.policy.attribute_sources.lua.environment.<name>`), else by its own name (`lua_environment_<name>`).
 * `run_if` and `operations` of a check are not evaluated (see docs/nauthilus-3-config.md).
 *
 * @example scheduledSources('environment', config.lua.features, config.policy)
 */
export function scheduledSources<T extends { name: string }>(kind: keyof typeof FAMILIES, sources: T[], policy: PolicyConfig | undefined): T[] {
  const f = FAMILIES[kind];
  const checks = (policy?.checks ?? []).filter((c) => c.type === f.type && c.stage === f.stage);
  if (!checks.length) return sources;
  const named = new Set<string>();
  for (const c of checks) {
    const ref = c.configRef?.startsWith(f.configRef) ? c.configRef.slice(f.configRef.length).trim() : '';
    const name = ref || (c.name.startsWith(f.checkName) ? c.name.slice(f.checkName.length).trim() : '');
    if (name) named.add(name);
  }
  return sources.filter((s) => named.has(s.name));
}
