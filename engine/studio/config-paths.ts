// Where a Nauthilus/AuthStudio config names files: every script path and package_path node of the YAML document.
import { isSeq, type Document } from 'yaml';

/** One place in the document that holds a path as written. */
export interface PathNode {
  /** Key path for doc.getIn / doc.setIn. */
  at: Array<string | number>;
  written: string;
  /** `package_path` holds ";"-separated templates with "?", not one file. */
  kind: 'script' | 'package_path';
}

const LISTS = ['features', 'filters', 'actions', 'custom_hooks'] as const;
const SINGLE = ['backend_script_path', 'script_path', 'init_script_path'] as const;

/** Every path node of the `lua:` section, in document order. */
export function pathNodes(doc: Document): PathNode[] {
  const out: PathNode[] = [];
  const str = (at: Array<string | number>, kind: PathNode['kind'] = 'script') => {
    const v = doc.getIn(at);
    if (typeof v === 'string' && v.trim() !== '') out.push({ at, written: v.trim(), kind });
  };
  for (const list of LISTS) {
    const seq = doc.getIn(['lua', list], true);
    if (isSeq(seq)) seq.items.forEach((_item, i) => str(['lua', list, i, 'script_path']));
  }
  for (const key of SINGLE) str(['lua', 'config', key]);
  const inits = doc.getIn(['lua', 'config', 'init_script_paths'], true);
  if (isSeq(inits)) inits.items.forEach((_item, i) => str(['lua', 'config', 'init_script_paths', i]));
  str(['lua', 'config', 'package_path'], 'package_path');
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
