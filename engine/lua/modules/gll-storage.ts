// `storage` (nauthilus_gll_storage): gopher-lua-libs v0.7.0's key-value store with its "memory" driver.
// Values are kept JSON-encoded (the json module's rules) with a TTL, one store per path, in memory shared by
// all VMs of a worker thread. With server.lua_allow_io the store is also the library's file: read on the
// first open, written (Go's format, via "<path>.tmp" and a rename) on open, sync() and close(). Without it no
// file is touched. There is no once-a-minute background sync: a script that wants its data on disk calls sync.
import fs from 'node:fs';
import path from 'node:path';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, ModuleHost } from '../module';
import { goError } from '../host-files';

interface Entry { json: string; validUntilNs: bigint }
interface Store { entries: Map<string, Entry>; file?: string }

/** Stores by path, shared by the VMs of this thread (the library shares them by file name per process). */
const STORES = new Map<string, Store>();
/** At most this many stores and keys per store: a script in a loop cannot grow the engine's heap without bound. */
const MAX_STORES = 256;
const MAX_KEYS = 100_000;
/** At most this many bytes of keys and JSON values in all stores of a thread. */
export const MAX_STORAGE_BYTES = 64 * 1024 * 1024;
let usedBytes = 0;
const entryBytes = (key: string, e: Entry) => key.length + e.json.length + 32;

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
// Go: a TTL <= 0 is 10^13 s, times 10^9 in int64 (it wraps to about 59 years)
const NO_TTL_NS = BigInt.asIntN(64, 10_000_000_000_000n * 1_000_000_000n);

function fileOf(s: Store): string {
  const data: Record<string, { value: string; max_valid_at: string }> = {};
  for (const k of [...s.entries.keys()].sort()) {
    const e = s.entries.get(k)!;
    data[k] = { value: Buffer.from(e.json, 'utf8').toString('base64'), max_valid_at: e.validUntilNs.toString() };
  }
  // max_valid_at is an int64 of nanoseconds: written as a bare JSON number, not a float
  return JSON.stringify({ data }).replace(/"max_valid_at":"(-?\d+)"/g, '"max_valid_at":$1');
}

function parseFile(text: string): Map<string, Entry> {
  const withBig = text.replace(/"max_valid_at"\s*:\s*(-?\d+)/g, '"max_valid_at":"$1"');
  const doc = JSON.parse(withBig) as { data?: Record<string, { value?: string; max_valid_at?: string }> | null };
  const out = new Map<string, Entry>();
  for (const [k, v] of Object.entries(doc?.data ?? {})) {
    out.set(k, { json: Buffer.from(v?.value ?? '', 'base64').toString('utf8'), validUntilNs: BigInt(v?.max_valid_at ?? '0') });
  }
  return out;
}

function sync(s: Store): string | undefined {
  const now = nowNs();
  for (const [k, e] of s.entries) {
    if (e.validUntilNs <= now) {
      s.entries.delete(k);
      usedBytes -= entryBytes(k, e);
    }
  }
  if (!s.file) return undefined;
  const tmp = s.file + '.tmp';
  try {
    fs.writeFileSync(tmp, fileOf(s), { mode: 0o644 });
  } catch (e) {
    return goError('open', tmp, e);
  }
  try {
    fs.renameSync(tmp, s.file);
  } catch (e) {
    return goError(`rename ${tmp}`, s.file, e);
  }
  return undefined;
}

function install(host: ModuleHost) {
  const store = (p: string) => {
    const s = STORES.get(p);
    if (!s) throw new Error('storage is not open');
    return s;
  };
  return {
    functions: {
      open: (name: string) => {
        const file = host.allowIo ? path.resolve(host.services.baseDir, name) : undefined;
        const id = (file ? 'file:' : 'mem:') + (file ?? name);
        if (STORES.has(id)) return id;
        if (STORES.size >= MAX_STORES) return LuaMultiReturn.from([undefined, `storage: more than ${MAX_STORES} stores open`]);
        const s: Store = { entries: new Map(), file };
        if (file) {
          try {
            if (fs.existsSync(file)) {
              const entries = parseFile(fs.readFileSync(file, 'utf8'));
              let bytes = 0;
              for (const [k, e] of entries) bytes += entryBytes(k, e);
              if (usedBytes + bytes > MAX_STORAGE_BYTES) return LuaMultiReturn.from([undefined, `storage: ${name} would take more than ${MAX_STORAGE_BYTES} bytes`]);
              s.entries = entries;
              usedBytes += bytes;
            }
            else fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644));
          } catch (e) {
            return LuaMultiReturn.from([undefined, e instanceof SyntaxError ? e.message : goError('open', name, e)]);
          }
        }
        STORES.set(id, s);
        const err = sync(s);
        return err ? LuaMultiReturn.from([undefined, err]) : id;
      },
      set: (id: string, key: string, json: string, ttl: number) => {
        const s = store(id);
        if (!s.entries.has(key) && s.entries.size >= MAX_KEYS) return `storage: more than ${MAX_KEYS} keys`;
        const t = Number.isFinite(ttl) ? BigInt(Math.trunc(ttl)) : 0n;
        const e: Entry = { json, validUntilNs: nowNs() + (t > 0n ? BigInt.asIntN(64, t * 1_000_000_000n) : NO_TTL_NS) };
        const old = s.entries.get(key);
        const delta = entryBytes(key, e) - (old ? entryBytes(key, old) : 0);
        if (usedBytes + delta > MAX_STORAGE_BYTES) return `storage: more than ${MAX_STORAGE_BYTES} bytes stored`;
        s.entries.set(key, e);
        usedBytes += delta;
        return undefined;
      },
      get: (id: string, key: string) => {
        const e = store(id).entries.get(key);
        return e && e.validUntilNs > nowNs() ? e.json : undefined;
      },
      keys: (id: string) => [...store(id).entries.keys()],
      dump: (id: string) => {
        const now = nowNs();
        const out: Record<string, string> = {};
        for (const [k, e] of store(id).entries) if (e.validUntilNs > now) out[k] = e.json;
        return out;
      },
      sync: (id: string) => sync(store(id)),
    },
    lua: STORAGE_LUA,
  };
}

export const gllStorageModule: LuaModule = {
  name: 'storage',
  legacyLoaderName: 'nauthilus_gll_storage',
  summary: 'Key-value store: open(path) -> s; s:set(key, value, ttl), s:get(key), s:keys(), s:dump(), s:sync(), s:close() (gopher-lua-libs v0.7.0).',
  install,
};

const STORAGE_LUA = `
local api = ...
local json = require("json")
local M = {}
local ST = { __name = "storage_ud" }
ST.__index = ST

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

-- the handle lives in self._id: the copies of module tables each script gets share it
local function check(fn, self)
  if getmetatable(self) ~= ST or type(rawget(self, "_id")) ~= "string" then
    error(string.format("bad argument #1 to '%s' (storage_ud excepted)", fn), 3)
  end
  return self._id
end

function M.open(path, driver)
  path = str("open", 1, path)
  if driver ~= nil and str("open", 2, driver) ~= "memory" then return nil, "driver not found" end
  local id, err = api.open(path)
  if not id then return nil, err end
  return setmetatable({ _id = id }, ST)
end

function ST.set(self, ...)
  local id = check("set", self)
  local key, value, ttl = ...
  key = str("set", 2, key)
  if select("#", ...) < 2 then error("bad argument #3 to 'set' (value expected)", 2) end
  local t = 0
  if ttl ~= nil then
    if type(ttl) ~= "number" then error("bad argument #4 to 'set' (must be integer or nil)", 2) end
    t = ttl
  end
  local data, err = json.encode(value)
  if data == nil then return err end
  local serr = api.set(id, key, data, t)
  if serr ~= nil then return serr end
end

function ST.get(self, key)
  local id = check("get", self)
  local data = api.get(id, str("get", 2, key))
  if data == nil then return nil, false end
  local v, err = json.decode(data)
  if err ~= nil then return nil, nil, err end
  return v, true
end

function ST.keys(self)
  local id = check("keys", self)
  local out = {}
  for _, k in ipairs(api.keys(id)) do out[#out + 1] = k end
  return out
end

function ST.dump(self)
  local id = check("dump", self)
  local out = {}
  for k, data in pairs(api.dump(id)) do
    local v, err = json.decode(data)
    if err ~= nil then return nil, err end
    out[k] = v
  end
  return out
end

function ST.sync(self)
  local err = api.sync(check("sync", self))
  if err ~= nil then return err end
end

function ST.close(self)
  local err = api.sync(check("close", self))
  if err ~= nil then return err end
end

return M
`;
