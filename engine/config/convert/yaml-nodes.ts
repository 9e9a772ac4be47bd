// Small YAML node operations the layout converters share: find, create and put keys in a map tree, list the leaves
// of a value (to name what was dropped), and the notes a conversion reports.

import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';

/** One thing a conversion could not carry over as it was (or did on its own), named by the source key path. */
export interface ConvertNote {
  /** Key path in the source layout, e.g. `realtime_blackhole_lists.soft_whitelist`. */
  path: string;
  /** dropped: not in the output; changed: in it, but it behaves differently or was set by the converter; info: carried over. */
  kind: 'dropped' | 'changed' | 'info';
  why: string;
  /** 1-based line in the source file, when known. */
  line?: number;
}

/** Receives notes; `node` places them in the source. */
export type NoteSink = (n: { path: string; kind: ConvertNote['kind']; why: string; node?: YamlNode | null }) => void;

export function keyOf(pair: Pair): string | undefined {
  const k = isScalar(pair.key) ? pair.key.value : pair.key;
  return typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'boolean' ? String(k) : undefined;
}

/** The node at `path` under `map` (map keys only), or undefined. */
export function getIn(map: unknown, path: ReadonlyArray<string | number>): YamlNode | null | undefined {
  let cur: unknown = map;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!isSeq(cur) || seg >= cur.items.length) return undefined;
      cur = cur.items[seg];
      continue;
    }
    if (!isMap(cur)) return undefined;
    const pair = cur.items.find((p) => keyOf(p) === seg);
    if (!pair) return undefined;
    cur = pair.value;
  }
  return cur as YamlNode | null;
}

/** The map at `path` under `map`, created (and replacing a non-map) on the way. */
export function ensureMap(map: YAMLMap, path: readonly string[]): YAMLMap {
  let cur = map;
  for (const seg of path) {
    const pair = cur.items.find((p) => keyOf(p) === seg);
    if (pair && isMap(pair.value)) {
      cur = pair.value;
      continue;
    }
    const next = new YAMLMap();
    if (pair) pair.value = next;
    else cur.items.push(new Pair(new Scalar(seg), next));
    cur = next;
  }
  return cur;
}

/**
 * Puts `value` at `path`; the new key takes the comments of `fromKey`. A map already there is merged key by key;
 * anything else already there is overwritten (`overwritten` is told).
 */
export function put(top: YAMLMap, path: readonly string[], value: YamlNode | null, fromKey: Scalar | undefined, overwritten: (what: string) => void): void {
  const parent = ensureMap(top, path.slice(0, -1));
  const last = path[path.length - 1];
  const pair = parent.items.find((p) => keyOf(p) === last);
  if (pair === undefined) {
    const key = new Scalar(last);
    if (fromKey) {
      key.commentBefore = fromKey.commentBefore;
      key.comment = fromKey.comment;
      key.spaceBefore = parent.items.length > 0 && fromKey.spaceBefore;
    }
    parent.items.push(new Pair(key, value));
    return;
  }
  if (isMap(pair.value) && isMap(value)) {
    for (const p of value.items) {
      const k = keyOf(p);
      if (k !== undefined) put(pair.value, [k], p.value as YamlNode | null, p.key as Scalar, overwritten);
    }
    return;
  }
  if (isSeq(pair.value) && isSeq(value)) {
    pair.value.items.push(...value.items);
    return;
  }
  overwritten(String(isScalar(pair.value) ? pair.value.value : 'a section'));
  pair.value = value;
}

/** The leaves of a value with their paths (an empty map or list is a leaf), as Nauthilus's converter names them. */
export function leaves(node: unknown, path: Array<string | number>): Array<[Array<string | number>, YamlNode | null]> {
  if (isMap(node) && node.items.length) return node.items.flatMap((p) => leaves(p.value, [...path, keyOf(p) ?? '?']));
  if (isSeq(node) && node.items.length) return node.items.flatMap((item, i) => leaves(item, [...path, i]));
  return [[path, (node ?? null) as YamlNode | null]];
}

/** `map` with the keys of `order` first, in that order, then the rest as they were. */
export function reorder(map: YAMLMap, order: readonly string[]): YAMLMap {
  const first = order.flatMap((k) => map.items.filter((p) => keyOf(p) === k));
  const rest = map.items.filter((p) => !first.includes(p));
  const out = new YAMLMap();
  out.items = [...first, ...rest];
  return out;
}

/** The list at `path` under `top`, created (flow style like `from`) when missing. */
export function ensureSeq(top: YAMLMap, path: string[], from?: YamlNode): YAMLSeq {
  const parent = ensureMap(top, path.slice(0, -1));
  const last = path[path.length - 1];
  const found: unknown = parent.get(last, true);
  if (isSeq(found)) return found;
  const seq = new YAMLSeq();
  if (isSeq(from)) seq.flow = from.flow;
  parent.set(last, seq);
  return seq;
}

/** True when `path` holds a value that is not null, "" or an empty map or list. */
export function nonEmpty(root: YAMLMap, path: ReadonlyArray<string>): boolean {
  const v = getIn(root, path);
  if (v === undefined || v === null) return false;
  if (isScalar(v)) return v.value !== null && v.value !== '';
  if (isMap(v) || isSeq(v)) return v.items.length > 0;
  return true;
}
