// `goos` (nauthilus_gll_goos): gopher-lua-libs v0.7.0's stat / hostname / get_pagesize / mkdir_all. stat and
// mkdir_all touch host files, so they work only with server.lua_allow_io; otherwise they answer the
// library's error shape. Nothing here ends the engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, ModuleHost } from '../module';
import { goError } from '../host-files';

/** The error text a file function gives when server.lua_allow_io is off. */
export function ioOffError(op: string, target: string): string {
  return `${op} ${target}: host file access is off (server.lua_allow_io: false)`;
}

/** Go's os.FileMode.String() of a node mode: type letters from "dalTLDpSugct?" (or "-"), then rwxrwxrwx. */
export function goFileMode(mode: number): string {
  const S = fs.constants;
  const type = mode & S.S_IFMT;
  let p = '';
  if (type === S.S_IFDIR) p += 'd';
  if (type === S.S_IFLNK) p += 'l';
  if (type === S.S_IFBLK || type === S.S_IFCHR) p += 'D';
  if (type === S.S_IFIFO) p += 'p';
  if (type === S.S_IFSOCK) p += 'S';
  if (mode & 0o4000) p += 'u';
  if (mode & 0o2000) p += 'g';
  if (type === S.S_IFCHR) p += 'c';
  if (mode & 0o1000) p += 't';
  if (p === '') p = '-';
  const rwx = 'rwxrwxrwx';
  let bits = '';
  for (let i = 0; i < 9; i++) bits += mode & (1 << (8 - i)) ? rwx[i] : '-';
  return p + bits;
}

/** Go's os.Getpagesize() for this platform (node does not expose it). */
function pageSize(): number {
  return process.platform === 'darwin' && process.arch === 'arm64' ? 16384 : 4096;
}

export const gllGoosModule: LuaModule = {
  name: 'goos',
  legacyLoaderName: 'nauthilus_gll_goos',
  summary: 'stat(path), hostname(), get_pagesize(), mkdir_all(path) (gopher-lua-libs v0.7.0); files only with lua_allow_io.',
  install(host: ModuleHost) {
    const resolve = (p: string) => path.resolve(host.services.baseDir, p);
    return {
      functions: {
        stat: (name: string) => {
          if (!host.allowIo) return LuaMultiReturn.from([undefined, ioOffError('stat', name)]);
          try {
            const st = fs.statSync(resolve(name));
            return { is_dir: st.isDirectory(), size: st.size, mod_time: Math.floor(st.mtimeMs / 1000), mode: goFileMode(st.mode) };
          } catch (e) {
            return LuaMultiReturn.from([undefined, goError('stat', name, e)]);
          }
        },
        hostname: () => os.hostname(),
        get_pagesize: () => pageSize(),
        mkdir_all: (name: string) => {
          if (!host.allowIo) return ioOffError('mkdir', name);
          try {
            fs.mkdirSync(resolve(name), { recursive: true, mode: 0o755 });
            return undefined;
          } catch (e) {
            return goError('mkdir', name, e);
          }
        },
      },
      lua: GOOS_LUA,
    };
  },
};

// argument checks as gopher-lua's CheckString words them; mkdir_all returns nothing on success
const GOOS_LUA = `
local api = ...
local M = {}
local function str(fn, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(string.format("bad argument #1 to '%s' (string expected, got %s)", fn, t), 3)
end
function M.stat(name) return api.stat(str("stat", name)) end
function M.hostname() return api.hostname() end
function M.get_pagesize() return api.get_pagesize() end
function M.mkdir_all(name)
  local err = api.mkdir_all(str("mkdir_all", name))
  if err ~= nil then return err end
end
return M
`;
