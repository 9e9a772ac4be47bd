// The auth.policy a converted 1.x file gets (Nauthilus 3.0.1's converter: its defaults, the generated checks and
// policies of standard-policy.ts), and the notes on what that changes: the sources' when_* / depends_on keys become
// check scheduling, and synchronous Lua actions run only as policy obligations in Nauthilus 3.

import { Document, isMap, isScalar, isSeq, type Node as YamlNode, YAMLMap } from 'yaml';
import { standardPolicy } from './standard-policy';
import { ensureMap, ensureSeq, getIn, keyOf, nonEmpty, type NoteSink } from './yaml-nodes';

const SCHEDULER_KEYS = ['when_no_auth', 'when_authenticated', 'when_unauthenticated', 'depends_on'];
const ENV_PATH = ['auth', 'policy', 'attribute_sources', 'lua', 'environment'];
const SUBJECT_PATH = ['auth', 'policy', 'attribute_sources', 'lua', 'subject'];

/** auth.policy: Nauthilus's defaults, the generated checks and policies; when_* and depends_on leave the sources. */
export function addPolicy(top: YAMLMap, noAuthControls: Set<string>, note: NoteSink): void {
  const plain = (path: string[]): Array<Record<string, unknown>> => {
    const v = getIn(top, path);
    return isSeq(v) ? v.items.map((i) => (isMap(i) ? (i.toJSON() as Record<string, unknown>) : {})) : [];
  };
  const names = (path: string[]): string[] => {
    const v = getIn(top, path);
    return isSeq(v) ? v.items.flatMap((i) => (isScalar(i) && typeof i.value === 'string' ? [i.value] : [])) : [];
  };
  const protocolsHave = (path: string[], proto: string): boolean => JSON.stringify(getIn(top, path) ?? null).includes(JSON.stringify(proto));
  const environment = plain(ENV_PATH);
  const subject = plain(SUBJECT_PATH);
  const { checks, policies } = standardPolicy({
    controls: names(['auth', 'controls', 'enabled']),
    noAuthControls,
    environment,
    subject,
    backendOrder: names(['auth', 'backends', 'order']),
    hasLdap: nonEmpty(top, ['auth', 'backends', 'ldap']),
    hasLuaBackend: nonEmpty(top, ['auth', 'backends', 'lua', 'backend']),
    hasAccountProvider: nonEmpty(top, ['auth', 'backends', 'ldap', 'pools']) || nonEmpty(top, ['auth', 'backends', 'lua', 'backend', 'named_backends'])
      || protocolsHave(['auth', 'backends', 'ldap', 'search'], 'list-account') || protocolsHave(['auth', 'backends', 'lua', 'backend', 'search'], 'list-account'),
  });
  const policy = ensureMap(top, ['auth', 'policy']);
  const setDefault = (m: YAMLMap, k: string, v: unknown) => {
    if (!m.has(k)) m.set(k, new Document().createNode(v));
  };
  setDefault(policy, 'mode', 'enforce');
  setDefault(policy, 'default_policy', 'standard_auth');
  setDefault(policy, 'registry_scripts', []);
  const sets = ensureMap(policy, ['sets']);
  setDefault(sets, 'networks', {});
  setDefault(sets, 'time_windows', {});
  const report = ensureMap(policy, ['report']);
  setDefault(report, 'enabled', false);
  setDefault(report, 'include_fsm', true);
  setDefault(report, 'include_checks', true);
  setDefault(report, 'include_attributes', false);
  for (const [key, generated] of [['checks', checks], ['policies', policies]] as const) {
    const seq = ensureSeq(top, ['auth', 'policy', key]);
    const seen = new Set(seq.items.map((i) => (isMap(i) ? i.get('name') : undefined)));
    for (const g of generated) {
      if (seen.has(g.name)) continue;
      seq.items.push(new Document().createNode(g) as YamlNode);
    }
  }
  // the scheduler keys of the sources became the checks' operations, run_if and after
  for (const [path, what] of [[ENV_PATH, 'lua.features'], [SUBJECT_PATH, 'lua.filters']] as const) {
    const seq = getIn(top, path);
    if (!isSeq(seq)) continue;
    seq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      for (const k of SCHEDULER_KEYS) {
        if (!item.has(k)) continue;
        const value = item.get(k);
        const keyNode = item.items.find((p) => keyOf(p) === k)?.key as YamlNode | undefined;
        item.delete(k);
        const becomes = k === 'when_no_auth' ? 'operations' : k === 'depends_on' ? 'after' : 'run_if.auth_state';
        const applied = k === 'when_no_auth';
        note({ path: `${what}[${i}].${k}`, node: keyNode, kind: applied ? 'info' : 'changed', why: `becomes the check's ${becomes}${applied ? '' : ` (${JSON.stringify(value)}) in Nauthilus 3; AuthStudio's policy layer does not evaluate ${becomes} yet, so here the source runs for authenticated and unauthenticated requests alike`}` });
      }
    });
  }
  // Nauthilus 3.0.1: pre_auth policies without auth.obligation.lua_action.dispatch run no synchronous Lua actions
  const actions = getIn(top, ['auth', 'policy', 'obligation_targets', 'lua', 'actions']);
  if (isSeq(actions)) {
    actions.items.forEach((item, i) => {
      const type = isMap(item) ? item.get('type') : undefined;
      if (typeof type !== 'string' || type === 'post') return;
      note({ path: `lua.actions[${i}]`, node: item as YamlNode, kind: 'changed', why: `the generated pre_auth policies carry no auth.obligation.lua_action.dispatch, so this "${type}" action no longer runs when its control or source triggers (Nauthilus 3.0: actions run only as obligations); add { id: auth.obligation.lua_action.dispatch, args: { action: ${type} } } to the policy that should run it` });
    });
  }
}
