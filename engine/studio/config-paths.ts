// Where a Nauthilus/AuthStudio config names files: every script path and package_path node of the YAML document,
// in the 1.x layout or the 3.x one.
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import { V3_SECTIONS } from '../config/nauthilus3-schema';
import type { ConfigLayout } from '../config/types';

/** One place in the document that holds a path as written. */
export interface PathNode {
  /** Key path for doc.getIn / doc.setIn. */
  at: Array<string | number>;
  written: string;
  /** `package_path` holds ";"-separated templates with "?", not one file. */
  kind: 'script' | 'package_path';
}

/** Where each layout keeps its script lists and its Lua runtime settings (Nauthilus 3.x: config/schema_v2.go). */
const LAYOUT_PATHS: Record<ConfigLayout, { lists: string[][]; luaConf: string[] }> = {
  '1.x': { lists: [['lua', 'features'], ['lua', 'filters'], ['lua', 'actions'], ['lua', 'custom_hooks']], luaConf: ['lua', 'config'] },
  '3.x': {
    lists: [
      ['auth', 'policy', 'attribute_sources', 'lua', 'environment'],
      ['auth', 'policy', 'attribute_sources', 'lua', 'subject'],
      ['auth', 'policy', 'obligation_targets', 'lua', 'actions'],
      ['auth', 'controls', 'lua', 'hooks'],
    ],
    luaConf: ['auth', 'backends', 'lua', 'backend', 'default'],
  },
};
const SINGLE = ['backend_script_path', 'script_path', 'init_script_path', 'cache_flush_script_path'] as const;

/** The layout of a config document: 3.x when it has one of the 3.x top-level sections. */
export function layoutOf(doc: Document): ConfigLayout {
  return isMap(doc.contents) && doc.contents.items.some((p) => isScalar(p.key) && (V3_SECTIONS as readonly unknown[]).includes(p.key.value)) ? '3.x' : '1.x';
}

/** Every path node of the scripts' sections (1.x `lua:`, 3.x `auth:`), in document order. */
export function pathNodes(doc: Document): PathNode[] {
  const out: PathNode[] = [];
  const str = (at: Array<string | number>, kind: PathNode['kind'] = 'script') => {
    const v = doc.getIn(at);
    if (typeof v === 'string' && v.trim() !== '') out.push({ at, written: v.trim(), kind });
  };
  const { lists, luaConf } = LAYOUT_PATHS[layoutOf(doc)];
  for (const list of lists) {
    const seq = doc.getIn(list, true);
    if (isSeq(seq)) seq.items.forEach((_item, i) => str([...list, i, 'script_path']));
  }
  for (const key of SINGLE) str([...luaConf, key]);
  const inits = doc.getIn([...luaConf, 'init_script_paths'], true);
  if (isSeq(inits)) inits.items.forEach((_item, i) => str([...luaConf, 'init_script_paths', i]));
  str([...luaConf, 'package_path'], 'package_path');
  // Nauthilus 3.x auth.policy.registry_scripts: a list of script paths
  const registry = layoutOf(doc) === '3.x' ? doc.getIn(['auth', 'policy', 'registry_scripts'], true) : undefined;
  if (isSeq(registry)) registry.items.forEach((_item, i) => str(['auth', 'policy', 'registry_scripts', i]));
  return out;
}

/** The folders a package_path's templates load modules from ("./lualib/?.lua" -> "./lualib"). */
export function packageDirs(packagePath: string): string[] {
  return packagePath
    .split(';')
    .map((t) => t.trim())
    .filter((t) => t.includes('?'))
    .map((t) => t.slice(0, t.indexOf('?')).replace(/\/+$/, '') || '.');
}
