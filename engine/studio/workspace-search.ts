// Search in the workspace's text files (the studio's Ctrl+Shift+F) and find the file a Lua `require` loads.
import fs from 'node:fs';
import path from 'node:path';
import type { LuaModuleLocation, SearchInput, SearchResult } from '../api/contract';
import { AuthStudioError } from '../errors/registry';
import { searchTemplates } from '../lua/package-path';
import type { Workspace } from './workspace';
import { isInside } from './workspace-paths';

const DEFAULT_MAX = 500;
const MAX_LINE_CHARS = 300;
/** Files larger than this are not text anyone edits in the studio. */
const MAX_SEARCH_BYTES = 2 * 1024 * 1024;

function matcherOf(a: SearchInput): RegExp {
  if (typeof a.query !== 'string' || a.query === '') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'query must be a non-empty string', { path: 'query' });
  const flags = a.case_sensitive ? 'g' : 'gi';
  if (!a.regex) return new RegExp(a.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags);
  try {
    return new RegExp(a.query, flags);
  } catch (e) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `query is not a valid regular expression: ${(e as Error).message}`, { path: 'query' });
  }
}

/**
 * Every line of the workspace's text files that matches, in path order, up to `max_results`.
 * @example searchWorkspace(ws, { query: 'nauthilus_redis' }) // { matches: [{ path: 'features/x.lua', line: 3, ... }], truncated: false }
 */
export function searchWorkspace(ws: Workspace, a: SearchInput): SearchResult {
  const re = matcherOf(a);
  const max = typeof a.max_results === 'number' && a.max_results > 0 ? Math.min(a.max_results, 5000) : DEFAULT_MAX;
  const matches: SearchResult['matches'] = [];
  for (const f of ws.list()) {
    if (f.kind !== 'file' || f.size > MAX_SEARCH_BYTES) continue;
    let text: string;
    try {
      const buf = fs.readFileSync(path.join(ws.root, ...f.path.split('/')));
      if (buf.includes(0)) continue; // binary
      text = buf.toString('utf8');
    } catch {
      continue; // vanished while searching
    }
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      re.lastIndex = 0;
      const m = re.exec(lines[i]);
      if (!m) continue;
      if (matches.length >= max) return { matches, truncated: true };
      matches.push({ path: f.path, line: i + 1, column: m.index + 1, length: m[0].length, text: lines[i].slice(0, MAX_LINE_CHARS) });
    }
  }
  return { matches, truncated: false };
}

/** The workspace file `require(name)` loads with the config's package_path, the way the engine's searcher looks. */
export function resolveLuaModule(ws: Workspace, name: unknown, packagePath: string | undefined, baseDir: string): LuaModuleLocation {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'name must be a Lua module name like "lib.util"', { path: 'name' });
  const tried: string[] = [];
  for (const tpl of searchTemplates(packagePath, false)) {
    const file = path.resolve(baseDir, tpl.replace(/\?/g, name.replace(/\./g, '/')));
    const rel = path.relative(ws.root, file).split(path.sep).join('/');
    tried.push(isInside(ws.root, file) ? rel : file);
    if (isInside(ws.root, file) && fs.existsSync(file) && fs.statSync(file).isFile()) return { name, path: rel, tried };
  }
  return { name, tried };
}
