// `filepath` (nauthilus_gll_filepath): gopher-lua-libs v0.7.0 over Go's path/filepath on Linux. Pure path
// functions always; abs (of a relative path), eval_symlinks and glob touch host files: only with lua_allow_io.
import fs from 'node:fs';
import path from 'node:path';
import type { LuaModule, ModuleHost } from '../module';
import { checkArg, fail, pair } from '../values';
import { goError } from '../host-files';
import { clean, base, dir, ext, split, join, rel, match, hasMeta, BAD_PATTERN } from './go-filepath';

const IO_OFF = 'the host file system is off (server.lua_allow_io: false)';

/** Where a relative path points under lua_allow_io: the config file's directory, as for io.open. */
function onHost(host: ModuleHost, p: string): string {
  return path.resolve(host.services.baseDir, p);
}

function exists(host: ModuleHost, p: string): boolean {
  try { fs.lstatSync(onHost(host, p)); return true; } catch { return false; }
}

/** Go's glob of one directory: its sorted names that match `pattern`, joined to `d`. */
function globDir(host: ModuleHost, d: string, pattern: string, out: string[]): void {
  let names: string[];
  try {
    if (!fs.statSync(onHost(host, d)).isDirectory()) return;
    names = fs.readdirSync(onHost(host, d));
  } catch {
    return; // Go's Glob ignores I/O errors
  }
  for (const n of names.sort()) if (match(pattern, n)) out.push(join([d, n]));
}

/** filepath.Glob: throws BAD_PATTERN for a malformed pattern. */
function glob(host: ModuleHost, pattern: string): string[] {
  match(pattern, '');
  if (!hasMeta(pattern)) return exists(host, pattern) ? [pattern] : [];
  const [d0, file] = split(pattern);
  const d = d0 === '' ? '.' : d0 === '/' ? d0 : d0.slice(0, -1);
  const out: string[] = [];
  if (!hasMeta(d)) { globDir(host, d, file, out); return out; }
  if (d === pattern) throw new Error(BAD_PATTERN);
  for (const m of glob(host, d)) globDir(host, m, file, out);
  return out;
}

function str(fn: string, n: number, v: unknown): string {
  checkArg(fn, n, v, 'string', 'number');
  return String(v);
}

export const gllFilepathModule: LuaModule = {
  name: 'filepath',
  legacyLoaderName: 'nauthilus_gll_filepath',
  summary: 'Go path/filepath: join, clean, basename, dir, ext, split, rel, match; abs, glob, eval_symlinks with lua_allow_io.',
  install(host) {
    return {
      functions: {
        basename: (p: unknown) => base(str('basename', 1, p)),
        clean: (p: unknown) => clean(str('clean', 1, p)),
        dir: (p: unknown) => dir(str('dir', 1, p)),
        ext: (p: unknown) => ext(str('ext', 1, p)),
        from_slash: (p: unknown) => str('from_slash', 1, p),
        to_slash: (p: unknown) => str('to_slash', 1, p),
        volume_name: (p: unknown) => (str('volume_name', 1, p), ''),
        is_abs: (p: unknown) => str('is_abs', 1, p).startsWith('/'),
        join_raw: (...elems: unknown[]) => join(elems.map(String)),
        list_separator: () => ':',
        separator: () => '/',
        split_raw: (p: unknown) => split(str('split', 1, p)),
        split_list: (p: unknown) => {
          const s = str('split_list', 1, p);
          return s === '' ? [] : s.split(':');
        },
        match: (pattern: unknown, name: unknown) => {
          const pat = str('match', 1, pattern);
          const nm = str('match', 2, name);
          try { return match(pat, nm); } catch (e) { return pair(false, (e as Error).message); }
        },
        rel: (b: unknown, t: unknown) => {
          const [r, err] = rel(str('rel', 1, b), str('rel', 2, t));
          return pair(r, err);
        },
        abs: (p: unknown) => {
          const s = str('abs', 1, p);
          if (s.startsWith('/')) return clean(s);
          if (!host.allowIo) return pair('', `filepath.abs: ${IO_OFF}`);
          return join([host.services.baseDir, s]);
        },
        eval_symlinks: (p: unknown) => {
          const s = str('eval_symlinks', 1, p);
          if (!host.allowIo) return pair('', `filepath.eval_symlinks: ${IO_OFF}`);
          try {
            const real = fs.realpathSync(onHost(host, s));
            if (s.startsWith('/')) return real;
            const r = path.relative(host.services.baseDir, real);
            return r === '' ? '.' : r.startsWith('..') ? real : r;
          } catch (e) {
            return pair('', goError('lstat', s, e));
          }
        },
        glob: (pattern: unknown) => {
          const s = str('glob', 1, pattern);
          if (!host.allowIo) return fail(`filepath.glob: ${IO_OFF}`);
          try { return glob(host, s); } catch (e) { return fail((e as Error).message); }
        },
      },
      lua: FILEPATH_LUA,
    };
  },
};

// join takes any values, as gopher-lua's LValue.String() does (tostring here); split returns two values
const FILEPATH_LUA = `
local api = ...
local M = {}
for k, v in pairs(api) do M[k] = v end
M.join_raw, M.split_raw = nil, nil
function M.join(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  return api.join_raw(table.unpack(t))
end
function M.split(p)
  local parts = api.split_raw(p)
  return parts[1], parts[2]
end
return M
`;
