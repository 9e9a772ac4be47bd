// Converts a Nauthilus 3.x config document back into the 1.x layout (export --format 1.x): the moves of layout-rules.ts
// read backwards. What 1.x cannot express (the policy layer, the identity provider, keys with no 1.x place) is left out
// with a note naming its 3.x key path.
//
//   auth.controls.enabled + auth.services.enabled -> server.features      ...lua.environment -> lua.features
//   auth.policy: the generated standard_auth policies are 1.x's own rules (left out quietly); any other policy is not

import { Document, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import { MOVES, dotted, startsWith, type Move } from './layout-rules';
import { isGeneratedPolicyName } from './standard-policy';
import { getIn, keyOf, leaves, put, reorder, type NoteSink } from './yaml-nodes';

/** 1.x spellings Nauthilus's converter also accepts but that are not the 1.x names AuthStudio writes back. */
const ALIASES = new Set(['server.controls', 'server.services', 'lua.controls', 'ldap.pools', 'lua.optional_backends', 'server.insights.tracing']);
const BACKWARD: Move[] = MOVES.filter((m) => !ALIASES.has(m.from.join('.')) && m.from[0] !== 'idp' && !(m.from[0] === 'server' && m.from[1] === 'frontend'));

/** 3.x key names -> 1.x (any depth below a moved key). */
const KEY_BACK: Record<string, string> = { ip_allowlist: 'ip_whitelist', scopes: 'roles', environment_vm_pool_size: 'feature_vm_pool_size', subject_vm_pool_size: 'filter_vm_pool_size' };
/** 1.x sections whose soft allowlist is 3.x's `allowlist`. */
const SOFT_ALLOWLIST_SECTIONS = ['brute_force', 'relay_domains'];
const FEATURE_OF: Record<string, string> = { backend_health_checks: 'backend_server_monitoring' };
const V1_ORDER = ['nauthilus', 'server', 'realtime_blackhole_lists', 'cleartext_networks', 'relay_domains', 'brute_force', 'backend_server_monitoring', 'ldap', 'lua'];
const POLICY_SOURCES = ['attribute_sources', 'obligation_targets'];

function backwardOf(path: string[]): Move | undefined {
  let best: Move | undefined;
  for (const m of BACKWARD) if (startsWith(path, m.to) && (!best || m.to.length > best.to.length)) best = m;
  return best;
}
const splitsBackward = (path: string[]) => BACKWARD.some((m) => m.to.length > path.length && startsWith(m.to, path));

/** Converts the 3.x document `src` (its nodes move) into a new 1.x document. */
export function convertTo1x(src: Document, note: NoteSink): Document {
  const root = src.contents;
  const top = new YAMLMap();
  const doc = new Document();
  doc.commentBefore = src.commentBefore;
  doc.comment = src.comment;
  if (!isMap(root)) return doc;
  const firstKey = root.items[0]?.key;
  if (isScalar(firstKey) && firstKey.commentBefore && !root.commentBefore) {
    root.commentBefore = firstKey.commentBefore;
    firstKey.commentBefore = undefined;
  }
  const profile = root.items.find((p) => keyOf(p) === 'nauthilus');
  if (profile) {
    top.set('nauthilus', Object.assign(new Scalar('1.12'), { type: Scalar.QUOTE_DOUBLE }));
    note({ path: 'nauthilus', node: profile.key as YamlNode, kind: 'changed', why: 'set to "1.12": the file now targets Nauthilus 1.x' });
  }
  for (const pair of root.items) {
    const k = keyOf(pair);
    if (k === undefined || k === 'nauthilus') continue;
    if (k.startsWith('x-')) top.items.push(pair);
    else if (k === 'identity' || k === 'plugins') note({ path: k, node: pair.key as YamlNode, kind: 'dropped', why: 'not converted: AuthStudio does not serve the identity provider and Nauthilus 1.x has no place for Go plugins' });
    else if (isMap(pair.value)) walk(pair.value, [k], top, note);
    else note({ path: k, node: pair.key as YamlNode, kind: 'dropped', why: 'no 1.x place for it' });
  }
  features(root, top);
  restoreFilterScheduling(root, top);
  doc.contents = reorder(top, V1_ORDER);
  doc.contents.commentBefore = root.commentBefore;
  return doc;
}

function walk(map: YAMLMap, path: string[], top: YAMLMap, note: NoteSink): void {
  for (const pair of map.items) {
    const k = keyOf(pair);
    if (k === undefined) continue;
    const at = [...path, k];
    const where = at.join('.');
    const value = pair.value as YamlNode | null;
    if (where === 'auth.controls.enabled' || where === 'auth.services.enabled') continue;
    if (where === 'auth.policy') {
      policy(value, pair.key as YamlNode, top, note);
      continue;
    }
    if (splitsBackward(at) && isMap(value)) {
      walk(value, at, top, note);
      continue;
    }
    const move = backwardOf(at);
    if (move === undefined) {
      for (const [p, n] of leaves(value, at)) note({ path: dotted(p), node: n ?? (pair.key as YamlNode), kind: 'dropped', why: 'no 1.x place for it' });
      continue;
    }
    const target = [...move.from, ...at.slice(move.to.length)].map((s, i, all) => (s === 'allowlist' && SOFT_ALLOWLIST_SECTIONS.includes(all[0]) ? 'soft_whitelist' : KEY_BACK[s] ?? s));
    renameBack(value, target[0]);
    put(top, target, value, pair.key as Scalar, () => undefined);
  }
}

/** 3.x names inside a moved section back to 1.x (allowlist is soft_whitelist in brute_force and relay_domains). */
function renameBack(node: unknown, section: string | undefined): void {
  if (isSeq(node)) for (const item of node.items) renameBack(item, section);
  if (!isMap(node)) return;
  for (const pair of node.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'string') {
      const k = pair.key.value;
      if (KEY_BACK[k]) pair.key.value = KEY_BACK[k];
      if (k === 'allowlist' && section !== undefined && SOFT_ALLOWLIST_SECTIONS.includes(section)) pair.key.value = 'soft_whitelist';
      if (k === 'user_format' && isScalar(pair.value) && typeof pair.value.value === 'string') {
        const m = /^\{user\}(.*)\{master_user\}$/.exec(pair.value.value);
        if (m) {
          pair.key.value = 'delimiter';
          pair.value.value = m[1];
        }
      }
    }
    renameBack(pair.value, section);
  }
}

/** auth.policy: the Lua sources and actions move back; the policy layer itself has no 1.x form. */
function policy(value: YamlNode | null, key: YamlNode, top: YAMLMap, note: NoteSink): void {
  if (!isMap(value)) return;
  for (const pair of value.items) {
    const k = keyOf(pair);
    if (k !== undefined && POLICY_SOURCES.includes(k) && isMap(pair.value)) walk(pair.value, ['auth', 'policy', k], top, note);
  }
  const policies = value.get('policies', true);
  const custom = isSeq(policies) ? policies.items.filter((p) => !(isMap(p) && isGeneratedPolicyName(p.get('name')))) : [];
  const extra = ['attribute_exports', 'request_headers', 'scheduler_guards', 'request_metadata', 'localization'].filter((k) => value.has(k));
  const sets = value.get('sets', true);
  const usedSets = isMap(sets) && sets.items.some((p) => (isMap(p.value) || isSeq(p.value)) && p.value.items.length > 0);
  const registry = value.get('registry_scripts', true);
  if (isSeq(registry) && registry.items.length) extra.push('registry_scripts');
  if (usedSets) extra.push('sets');
  if (value.get('mode') === 'observe' && custom.length) extra.push('mode: observe');
  if (custom.length || extra.length) {
    const names = custom.map((p) => (isMap(p) ? String(p.get('name')) : '?'));
    note({ path: 'auth.policy', node: key, kind: 'dropped', why: `Nauthilus 1.x has no policy layer: ${[names.length ? `policies ${names.join(', ')}` : '', ...extra].filter(Boolean).join(', ')} left out; the 1.x file decides by the standard rules (brute force, features, TLS, relay domains, RBL, backend, filters)` });
  } else {
    note({ path: 'auth.policy', node: key, kind: 'info', why: 'left out: its policies are the generated standard_auth ones, which are 1.x\'s own rules' });
  }
}

/** auth.controls.enabled + auth.services.enabled -> server.features. */
function features(root: YAMLMap, top: YAMLMap): void {
  const names: YamlNode[] = [];
  let given = false;
  for (const path of [['auth', 'controls', 'enabled'], ['auth', 'services', 'enabled']]) {
    const v = getIn(root, path);
    if (v === undefined || v === null || (isScalar(v) && v.value === null)) continue;
    given = true;
    for (const item of isSeq(v) ? v.items : [v]) {
      if (!isScalar(item)) continue;
      const n = new Scalar(FEATURE_OF[String(item.value)] ?? item.value);
      n.comment = item.comment;
      n.commentBefore = item.commentBefore;
      names.push(n);
    }
  }
  if (!given) return;
  const seq = new YAMLSeq();
  seq.flow = true;
  seq.items = names;
  put(top, ['server', 'features'], seq, undefined, () => undefined);
}

/** A generated lua.subject check's operations and run_if are the 1.x filter's when_no_auth / when_* keys. */
function restoreFilterScheduling(root: YAMLMap, top: YAMLMap): void {
  const checks = getIn(root, ['auth', 'policy', 'checks']);
  const filters = getIn(top, ['lua', 'filters']);
  if (!isSeq(checks) || !isSeq(filters)) return;
  for (const c of checks.items) {
    if (!isMap(c) || c.get('type') !== 'lua.subject') continue;
    const name = String(c.get('config_ref') ?? '').split('.').pop();
    const f = filters.items.find((i) => isMap(i) && i.get('name') === name);
    if (!isMap(f)) continue;
    const ops = c.get('operations');
    if (isSeq(ops) && ops.items.some((o) => isScalar(o) && o.value === 'lookup_identity')) f.set('when_no_auth', true);
    const state = (getIn(c, ['run_if', 'auth_state']) as Scalar | undefined)?.value;
    if (state === 'authenticated') f.set('when_authenticated', true);
    if (state === 'unauthenticated') f.set('when_unauthenticated', true);
  }
}
