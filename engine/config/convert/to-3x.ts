// Converts a Nauthilus 1.x config document into the 3.x layout, node by node, so comments on the keys and values that
// move stay with them. The moves are those of Nauthilus 3.0.1's converter (layout-rules.ts), and so is the auth.policy
// it adds (standard-policy.ts); what cannot be carried over comes back as notes naming the 1.x key path.
//
//   server.features -> auth.controls.enabled / auth.services.enabled     lua.features -> ...lua.environment
//   every other key: its move (exact, else prefix), key renames inside     no move: dropped, with a note
//   then: controls of configured sections switched on, auth.policy added, when_* / depends_on turned into checks

import { Document, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import { CONTROL_OF_FEATURE, DROPPED_1X, KEY_RENAMES, SERVICE_OF_FEATURE, V3_ORDER, dotted, moveOf, movesBelow, startsWith } from './layout-rules';
import { addPolicy } from './to-3x-policy';
import { BRUTE_FORCE_PROTOCOLS_WRITTEN } from '../brute-force-protocols';
import { ensureSeq, getIn, keyOf, leaves, nonEmpty, put, reorder, type ConvertNote, type NoteSink } from './yaml-nodes';

const ENV_PATH = ['auth', 'policy', 'attribute_sources', 'lua', 'environment'];

/** Converts the 1.x document `src` (left unusable: its nodes move) into a new 3.x document. */
export function convertTo3x(src: Document, note: NoteSink): Document {
  const root = src.contents;
  const out = new Document();
  const top = new YAMLMap();
  out.contents = top;
  if (isMap(root)) top.commentBefore = root.commentBefore;
  // the file's opening comment sits on its first key, which may be split up: it stays at the top
  const firstKey = isMap(root) ? root.items[0]?.key : undefined;
  if (isScalar(firstKey) && firstKey.commentBefore && !top.commentBefore) {
    top.commentBefore = firstKey.commentBefore;
    firstKey.commentBefore = undefined;
  }
  out.commentBefore = src.commentBefore;
  out.comment = src.comment;
  if (!isMap(root)) return out;
  const noAuthControls = new Set<string>();
  const listed = new Set<string>();

  // AuthStudio's profile key: a converted file targets Nauthilus 3.0
  const profile = root.items.find((p) => keyOf(p) === 'nauthilus');
  if (profile) {
    top.items.push(new Pair(new Scalar('nauthilus'), Object.assign(new Scalar('3.0'), { type: Scalar.QUOTE_DOUBLE })));
    note({ path: 'nauthilus', node: profile.key as YamlNode, kind: 'changed', why: `set to "3.0" (was ${JSON.stringify(String((profile.value as Scalar)?.value ?? ''))}): the converted file targets Nauthilus 3.0` });
  }
  // 3.x sections already there, the loader's sections and x-* roots are copied as written
  for (const pair of root.items) {
    const k = keyOf(pair);
    if (k !== undefined && ((V3_ORDER as readonly string[]).includes(k) || k.startsWith('x-'))) top.items.push(pair);
  }

  const features = getIn(root, ['server', 'features']);
  if (features !== undefined) {
    const items = isSeq(features) ? features.items : isScalar(features) && features.value !== null ? [features] : [];
    items.forEach((item, i) => {
      const at = ['server', 'features', i];
      let name: unknown = isScalar(item) ? item.value : undefined;
      let noAuth = false;
      if (isMap(item)) {
        name = (item.get('name') as unknown) ?? undefined;
        noAuth = item.get('when_no_auth') === true;
      }
      if (typeof name !== 'string' || name === '') {
        if (isScalar(item) && item.value === '') return;
        note({ path: dotted(at), node: item as YamlNode, kind: 'dropped', why: 'not a feature name: review it by hand' });
        return;
      }
      listed.add(name);
      const control = CONTROL_OF_FEATURE[name];
      const service = SERVICE_OF_FEATURE[name];
      if (control === undefined && service === undefined) {
        note({ path: dotted(at), node: item as YamlNode, kind: 'dropped', why: `unknown feature "${name}": no 3.x control or service` });
        return;
      }
      if (control && noAuth) noAuthControls.add(control);
      if (!control && isMap(item) && item.has('when_no_auth')) note({ path: dotted([...at, 'when_no_auth']), node: item as YamlNode, kind: 'dropped', why: 'when_no_auth applies to controls only' });
      appendName(top, control ? ['auth', 'controls', 'enabled'] : ['auth', 'services', 'enabled'], control ?? service!, (item as YamlNode));
    });
  }
  // the comment on server.features goes to auth.controls.enabled
  const featuresKey = (getIn(root, ['server']) as YAMLMap | undefined)?.items?.find((p) => keyOf(p) === 'features')?.key;
  const controlsMap = getIn(top, ['auth', 'controls']);
  const enabled = isMap(controlsMap) ? controlsMap.items.find((p) => keyOf(p) === 'enabled') : undefined;
  if (enabled && isScalar(featuresKey) && featuresKey.commentBefore) {
    const key = isScalar(enabled.key) ? enabled.key : new Scalar('enabled');
    key.commentBefore = featuresKey.commentBefore;
    enabled.key = key;
  }
  const luaFeatures = getIn(root, ['lua', 'features']);
  if (isSeq(luaFeatures)) for (const item of luaFeatures.items) appendItem(top, ENV_PATH, item as YamlNode);

  walk(root, [], top, note);
  autoEnable(root, top, listed, note);
  bruteForceProtocols(root, top, note);
  addPolicy(top, noAuthControls, note);
  moveMasterUserDelimiter(top);
  backendScriptPath(top, note);
  redisHints(top, note);
  const doc = new Document();
  doc.commentBefore = out.commentBefore;
  doc.comment = out.comment;
  doc.contents = reorder(top, ['nauthilus', ...V3_ORDER]);
  (doc.contents as YAMLMap).commentBefore = top.commentBefore;
  return doc;
}

function walk(map: YAMLMap, path: string[], top: YAMLMap, note: NoteSink): void {
  for (const pair of map.items) {
    const k = keyOf(pair);
    if (k === undefined) continue;
    const at = [...path, k];
    if (path.length === 0 && (k === 'nauthilus' || (V3_ORDER as readonly string[]).includes(k) || k.startsWith('x-'))) continue;
    if (dotted(at) === 'server.features' || dotted(at) === 'lua.features') continue;
    const value = pair.value as YamlNode | null;
    if (DROPPED_1X.some((d) => startsWith(at, d))) {
      for (const [p, n] of leaves(value, at)) note({ path: dotted(p), node: n ?? (pair.key as YamlNode), kind: 'dropped', why: 'RBL has no soft allowlist in Nauthilus 3.x (its converter drops it too): review by hand' });
      continue;
    }
    const splits = movesBelow(at) || DROPPED_1X.some((d) => d.length > at.length && startsWith(d, at));
    if ((splits || moveOf(at) === undefined) && isMap(value) && value.items.length) {
      // the key goes away: its comment (and the map's own) goes to the first key moved out of it
      if (value.commentBefore && isScalar(value.items[0]?.key)) {
        const first = value.items[0].key as Scalar;
        first.commentBefore = first.commentBefore ? `${value.commentBefore}\n${first.commentBefore}` : value.commentBefore;
        value.commentBefore = undefined;
      }
      carryComment(pair.key, value.items[0]?.key);
      walk(value, at, top, note);
      continue;
    }
    const move = moveOf(at);
    if (move === undefined) {
      carryComment(pair.key, map.items[map.items.indexOf(pair) + 1]?.key);
      for (const [p, n] of leaves(value, at)) note({ path: dotted(p), node: n ?? (pair.key as YamlNode), kind: 'dropped', why: 'no 3.x place for it (Nauthilus 3.0.1\'s converter has no rule for it either)' });
      continue;
    }
    const target = [...move.to, ...at.slice(move.from.length)].map((s) => KEY_RENAMES[s] ?? s);
    let node = value;
    if (target[target.length - 1] === 'return_code') {
      target[target.length - 1] = 'return_codes';
      if (isScalar(node) && typeof node.value === 'string' && node.value) node = seqOf(node);
    }
    renameInside(node);
    if (move.ours) note({ path: dotted(at), node: (pair.key as YamlNode), kind: 'info', why: `carried over to ${target.join('.')} (${move.ours})` });
    put(top, target, node, pair.key as Scalar, (existing) => note({ path: dotted(at), node: pair.key as YamlNode, kind: 'changed', why: `${target.join('.')} was already set (${existing}): overwritten` }));
  }
}

/** Moves the comment before `from` (a key that goes away) onto `to`. */
function carryComment(from: unknown, to: unknown): void {
  if (!isScalar(from) || !from.commentBefore || !isScalar(to)) return;
  to.commentBefore = to.commentBefore ? `${from.commentBefore}\n${to.commentBefore}` : from.commentBefore;
  from.commentBefore = undefined;
}

function seqOf(node: YamlNode): YAMLSeq {
  const s = new YAMLSeq();
  s.items.push(node);
  return s;
}

/** Renames 1.x keys inside a moved section (ip_whitelist -> ip_allowlist, return_code -> return_codes, ...). */
function renameInside(node: unknown): void {
  if (isSeq(node)) for (const item of node.items) renameInside(item);
  if (!isMap(node)) return;
  for (const pair of node.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'string') {
      const k = pair.key.value;
      if (KEY_RENAMES[k]) pair.key.value = KEY_RENAMES[k];
      if (k === 'return_code') {
        pair.key.value = 'return_codes';
        if (isScalar(pair.value) && typeof pair.value.value === 'string' && pair.value.value) pair.value = seqOf(pair.value);
      }
    }
    renameInside(pair.value);
  }
}

function appendName(top: YAMLMap, path: string[], name: string, from: YamlNode): void {
  const seq = ensureSeq(top, path, from);
  if (seq.items.some((i) => isScalar(i) && i.value === name)) return;
  const s = new Scalar(name);
  s.commentBefore = from.commentBefore;
  s.comment = from.comment;
  seq.items.push(s);
}

function appendItem(top: YAMLMap, path: string[], item: YamlNode): void {
  ensureSeq(top, path, item).items.push(item);
}



/** Nauthilus 3.x runs the controls listed in auth.controls.enabled: those of configured 1.x sections are added. */
function autoEnable(root: YAMLMap, top: YAMLMap, listed: Set<string>, note: NoteSink): void {
  const explicit = getIn(root, ['server', 'features']) !== undefined;
  const on: Array<[string, boolean, string]> = [
    ['brute_force', nonEmpty(root, ['brute_force']) || nonEmpty(root, ['server', 'brute_force_protocols']), 'brute_force'],
    ['rbl', nonEmpty(root, ['realtime_blackhole_lists']), 'realtime_blackhole_lists'],
    ['relay_domains', nonEmpty(root, ['relay_domains']), 'relay_domains'],
    ['tls_encryption', nonEmpty(root, ['cleartext_networks']), 'cleartext_networks'],
    ['lua', ['actions', 'controls', 'features', 'filters', 'custom_hooks'].some((k) => nonEmpty(root, ['lua', k])), 'lua'],
  ];
  for (const [control, yes, section] of on) {
    if (!yes) continue;
    const seq = ensureSeq(top, ['auth', 'controls', 'enabled']);
    if (seq.items.some((i) => isScalar(i) && i.value === control)) continue;
    seq.items.push(new Scalar(control));
    const was = Object.keys(CONTROL_OF_FEATURE).filter((f) => CONTROL_OF_FEATURE[f] === control).some((f) => listed.has(f));
    note({ path: section, node: root.items.find((p) => keyOf(p) === section)?.key as YamlNode | undefined, kind: explicit && !was ? 'changed' : 'info', why: explicit && !was
      ? `auth.controls.enabled gets "${control}" because the section is configured, but server.features did not list it: Nauthilus 3 will run it (remove it from the list to keep 1.x's behaviour)`
      : `auth.controls.enabled gets "${control}" (the section is configured)` });
  }
  if (nonEmpty(root, ['backend_server_monitoring'])) {
    const seq = ensureSeq(top, ['auth', 'services', 'enabled']);
    if (!seq.items.some((i) => isScalar(i) && i.value === 'backend_health_checks')) {
      seq.items.push(new Scalar('backend_health_checks'));
      note({ path: 'backend_server_monitoring', node: root.items.find((p) => keyOf(p) === 'backend_server_monitoring')?.key as YamlNode | undefined, kind: explicit && !listed.has('backend_server_monitoring') ? 'changed' : 'info', why: 'auth.services.enabled gets "backend_health_checks" (the section is configured)' });
    }
  }
}

/**
 * A 1.x brute_force without server.brute_force_protocols: AuthStudio checked every protocol, Nauthilus 3 checks only
 * those auth.controls.brute_force.protocols lists (none without it), so the protocols are written out.
 */
function bruteForceProtocols(root: YAMLMap, top: YAMLMap, note: NoteSink): void {
  if (!nonEmpty(root, ['brute_force']) || getIn(root, ['server', 'brute_force_protocols']) !== undefined) return;
  const seq = ensureSeq(top, ['auth', 'controls', 'brute_force', 'protocols']);
  seq.flow = true;
  for (const p of BRUTE_FORCE_PROTOCOLS_WRITTEN) seq.items.push(new Scalar(p));
  note({ path: 'brute_force', node: root.items.find((p) => keyOf(p) === 'brute_force')?.key as YamlNode | undefined, kind: 'changed',
    why: `auth.controls.brute_force.protocols gets [${BRUTE_FORCE_PROTOCOLS_WRITTEN.join(', ')}]: the file names no server.brute_force_protocols and AuthStudio checked every protocol, while Nauthilus checks only the protocols listed` });
}

/** What Nauthilus 3.0.1's Redis settings (config/server.go Redis) need that a 1.x file does not say. */
function redisHints(top: YAMLMap, note: NoteSink): void {
  const redis = getIn(top, ['storage', 'redis']);
  if (!isMap(redis)) return;
  for (const k of ['username', 'password']) {
    const pair = redis.items.find((p) => keyOf(p) === k);
    if (pair) note({ path: `server.redis.${k}`, node: pair.key as YamlNode, kind: 'changed', why: `written as storage.redis.${k} (as Nauthilus's converter does), which Nauthilus 3 does not have: move it under storage.redis.primary (or sentinels)` });
  }
  if (!redis.has('encryption_secret')) note({ path: 'server.redis', kind: 'info', why: 'Nauthilus 3.0 requires storage.redis.encryption_secret (16+ characters), which 1.x does not have: set it before deploying' });
}

/** lua.config.script_path is AuthStudio's other name for backend_script_path; Nauthilus 3 reads only the latter. */
function backendScriptPath(top: YAMLMap, note: NoteSink): void {
  const conf = getIn(top, ['auth', 'backends', 'lua', 'backend', 'default']);
  const pair = isMap(conf) ? conf.items.find((p) => keyOf(p) === 'script_path') : undefined;
  if (!isMap(conf) || !pair || conf.has('backend_script_path')) return;
  (pair.key as Scalar).value = 'backend_script_path';
  note({ path: 'lua.config.script_path', node: pair.key as YamlNode, kind: 'changed', why: 'written as backend_script_path (script_path is AuthStudio\'s other name for it; Nauthilus reads backend_script_path)' });
}

/** auth.pipeline.master_user.delimiter -> user_format "{user}<delimiter>{master_user}". */
function moveMasterUserDelimiter(top: YAMLMap): void {
  const mu = getIn(top, ['auth', 'pipeline', 'master_user']);
  if (!isMap(mu) || !mu.has('delimiter')) return;
  const d = mu.get('delimiter');
  mu.delete('delimiter');
  mu.set('user_format', d ? `{user}${String(d)}{master_user}` : '{user}*{master_user}');
}

export type { ConvertNote };
