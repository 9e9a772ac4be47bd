// `nauthilus_ldap`: ldap_search and ldap_modify against the `ldap:` section's pools, as Nauthilus 1.10 offers them.
import type { LuaModule } from '../module';
import { LuaMultiReturn } from 'wasmoon';
import { ret, fail, toLua } from '../values';
import { LdapError, type LdapEntry, type LdapValue, type ModifyOperation, type SearchScope } from '../../ldap/client';
import { DEFAULT_LDAP_POOL } from '../../config/ldap-section';

/** A Lua sequence as wasmoon hands it over (an array, or an object with keys 1..n). */
function sequence(t: unknown): string[] {
  if (Array.isArray(t)) return t.map(String);
  if (t && typeof t === 'object') {
    const o = t as Record<string, unknown>;
    const out: string[] = [];
    for (let i = 1; o[i] !== undefined; i++) out.push(String(o[i]));
    return out;
  }
  return [];
}

/**
 * Nauthilus' result: each requested attribute (exact name, as go-ldap's GetAttributeValues matches) with the
 * values of every entry, and "dn" with every entry's DN; attributes no entry has are left out.
 */
function attributeMapping(entries: LdapEntry[], requested: string[]): Record<string, LdapValue[]> {
  const out: Record<string, LdapValue[]> = {};
  for (const e of entries) {
    for (const name of requested) {
      const values = e.attributes.find((a) => a.name === name)?.values ?? [];
      if (values.length) (out[name] ??= []).push(...values);
    }
    (out.dn ??= []).push(e.dn);
  }
  return out;
}

function rawEntries(entries: LdapEntry[]): unknown[] {
  return entries.map((e) => ({ dn: e.dn, attributes: Object.fromEntries(e.attributes.map((a) => [a.name, a.values])) }));
}

/**
 * wasmoon hands strings to Lua as UTF-8 text: a binary value (jpegPhoto, objectGUID) crosses as { hex = "..." },
 * which the Lua half turns back into the raw bytes Nauthilus returns. The second result says whether any did.
 */
function crossable(entries: LdapEntry[]): [LdapEntry[], boolean] {
  let binary = false;
  const out = entries.map((e) => ({
    dn: e.dn,
    attributes: e.attributes.map((a) => ({
      name: a.name,
      values: a.values.map((v) => {
        if (typeof v === 'string') return v;
        binary = true;
        return { hex: v.toString('hex') } as unknown as string;
      }),
    })),
  }));
  return [out, binary];
}

export const ldapModule: LuaModule = {
  name: 'nauthilus_ldap',
  legacyLoaderName: 'nauthilus_ldap',
  summary: 'LDAP from Lua: ldap_search and ldap_modify over the pools of the ldap: config section.',
  install(host) {
    const poolFor = (name: string) => {
      const internal = name === 'default' ? DEFAULT_LDAP_POOL : name;
      const pool = host.services.ldap?.get(internal);
      if (pool) return pool;
      const what = internal === DEFAULT_LDAP_POOL ? 'the default LDAP pool (ldap.config)' : `LDAP pool "${name}" (ldap.optional_ldap_pools)`;
      return `ldap: ${what} is not configured`;
    };
    return {
      functions: {
        search_raw: async (poolName: string, session: string, base: string, scope: SearchScope, filter: string, attrs: unknown, raw: boolean) => {
          const pool = poolFor(poolName);
          if (typeof pool === 'string') return fail(pool);
          const attributes = sequence(attrs).filter((a) => a !== '');
          const started = performance.now();
          const detail: Record<string, unknown> = { op: 'search', pool: poolName, session, basedn: base, scope, filter, attributes };
          try {
            const [entries, binary] = crossable(await pool.search(base, scope, filter, attributes));
            detail.entries = entries.length;
            // raw entries only from a pool with include_raw_result (Nauthilus 1.10 ldappool)
            const result = raw && pool.config.includeRawResult && entries.length > 0 ? rawEntries(entries) : attributeMapping(entries, attributes);
            return LuaMultiReturn.from([toLua(result), undefined, binary]);
          } catch (e) {
            detail.error = (e as Error).message;
            // Nauthilus 1.10 ldappool: a search that fails at the server answers go-ldap's inner error (the server's
            // text, or the filter's), a missing base ("No Such Object") an empty result; connecting or binding the
            // pool's connection answers the whole "LDAP Result Code ..." text
            if (e instanceof LdapError && e.inOperation) return e.resultCode === 32 ? ret({}) : fail(e.detail);
            return fail((e as Error).message);
          } finally {
            detail.ms = Math.round(performance.now() - started);
            host.call?.record('ldap', detail);
          }
        },
        // Nauthilus 3.0 ldap_endpoint: host and port of the pool's first server_uri (ldapi: its socket path, 0)
        endpoint_raw: (name: string) => {
          const internal = name === '' || name === 'default' ? DEFAULT_LDAP_POOL : name;
          const pool = host.services.ldap?.get(internal);
          if (!pool && internal !== DEFAULT_LDAP_POOL) return LuaMultiReturn.from([undefined, undefined, `ldap pool config not found: ${name}`]);
          if (!pool || pool.config.serverUris.length === 0) return LuaMultiReturn.from([undefined, undefined, `no LDAP server_uri configured for pool: ${internal}`]);
          return LuaMultiReturn.from(ldapEndpoint(pool.config.serverUris[0].trim()));
        },
        modify_raw: async (poolName: string, session: string, operation: ModifyOperation, dn: string, names: unknown, values: unknown, binaries: unknown) => {
          const pool = poolFor(poolName);
          if (typeof pool === 'string') return fail(pool);
          const keys = sequence(names);
          const vals = sequence(values);
          const binary = new Set(sequence(binaries));
          const attributes: Record<string, LdapValue[]> = {};
          keys.forEach((k, i) => { attributes[k] = [binary.has(k) ? Buffer.from(vals[i], 'hex') : vals[i]]; });
          const detail: Record<string, unknown> = { op: 'modify', pool: poolName, session, operation, dn, attributes: keys };
          try {
            // Nauthilus looks an empty dn up with the request's filter, which a modify never has
            if (dn === '') return fail(`LDAP Result Code 201 "Filter Compile Error": ldap: filter does not start with an '('`);
            await pool.modify(dn, operation, attributes);
            return ret('OK');
          } catch (e) {
            detail.error = (e as Error).message;
            return fail((e as Error).message);
          } finally {
            host.call?.record('ldap', detail);
          }
        },
      },
      async: ['search_raw', 'modify_raw'],
      lua: LDAP_LUA,
    };
  },
};

/** host, port (389 or 636 when absent) and nil of an ldap/ldaps URI; the socket path and 0 of ldapi:///path. */
export function ldapEndpoint(uri: string): [string | undefined, number | undefined, string | undefined] {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?/.exec(uri);
  if (!m) return [undefined, undefined, `invalid LDAP server_uri: ${uri}`];
  const scheme = m[1].toLowerCase();
  if (scheme === 'ldapi') {
    const p = m[3] ?? '';
    return p.startsWith('/') ? [p, 0, undefined] : ['', 0, undefined];
  }
  const authority = m[2].replace(/^[^@]*@/, '');
  if (authority === '') return [undefined, undefined, `invalid LDAP server_uri: ${uri}`];
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!hp) return [undefined, undefined, `invalid LDAP server_uri: ${uri}`];
  const host = hp[1].replace(/^\[|\]$/g, '');
  let port = hp[2] ? Number(hp[2]) : 0;
  if (!(port >= 0 && port <= 32767)) port = 0; // Go ParseInt(p, 10, 16): larger ports do not parse
  if (port === 0) port = scheme === 'ldaps' ? 636 : 389; // Go's url.Parse lowercases the scheme
  return [host, port, undefined];
}

const LDAP_LUA = `
local api = ...
local M = {}

local function check(t, field, want)
  local v = t[field]
  if type(v) ~= want then error(field .. " should be a " .. want, 3) end
  return v
end

-- gopher-lua's LValue.String(): integral numbers without a fraction
local function gostring(v)
  if type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53 then return string.format("%d", v) end
  return tostring(v)
end

function M.ldap_search(t)
  if type(t) ~= "table" then error("bad argument #1 to 'ldap_search' (table expected, got " .. type(t) .. ")", 2) end
  local pool = check(t, "pool_name", "string")
  local session = check(t, "session", "string")
  local basedn = check(t, "basedn", "string")
  local filter = check(t, "filter", "string")
  local scope = check(t, "scope", "string")
  local attributes = check(t, "attributes", "table")
  local raw = t.raw_result
  if raw ~= nil and type(raw) ~= "boolean" then error("raw_result should be a boolean", 2) end
  local s = scope:match("^%s*(.-)%s*$")
  if scope == "" then s = "sub"
  elseif s ~= "base" and s ~= "one" and s ~= "sub" then error("LDAP scope not detected: " .. scope, 2) end
  local attrs = {}
  for _, v in pairs(attributes) do attrs[#attrs + 1] = gostring(v) end
  local r, err, binary = api.search_raw(pool, session, basedn, s, filter, attrs, raw == true)
  if binary then
    local function bytes(values)
      for i, v in ipairs(values) do
        if type(v) == "table" then values[i] = (v.hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)) end
      end
    end
    for k, v in pairs(r) do
      if type(k) == "number" then for _, vs in pairs(v.attributes) do bytes(vs) end else bytes(v) end
    end
  end
  return r, err
end

local OPERATIONS = { add = true, delete = true, replace = true }

-- Nauthilus 3.0: ldap_endpoint([pool]) -> host, port, nil (ldapi: socket path, 0, nil); nil, nil, err when the
-- pool or its server_uri is missing
function M.ldap_endpoint(...)
  local name = ""
  if select("#", ...) >= 1 then
    name = ...
    if type(name) ~= "string" and type(name) ~= "number" then
      error("bad argument #1 to 'ldap_endpoint' (string expected, got " .. type(name) .. ")", 2)
    end
    name = gostring(name)
  end
  return api.endpoint_raw(name)
end

function M.ldap_modify(t)
  if type(t) ~= "table" then error("bad argument #1 to 'ldap_modify' (table expected, got " .. type(t) .. ")", 2) end
  local pool = check(t, "pool_name", "string")
  local session = check(t, "session", "string")
  local operation = check(t, "operation", "string")
  local dn = check(t, "dn", "string")
  local attributes = check(t, "attributes", "table")
  if not OPERATIONS[operation] then error("unknown operation " .. operation, 2) end
  local names, values, binaries = {}, {}, {}
  for k, v in pairs(attributes) do
    if type(v) == "table" or type(v) == "function" or type(v) == "userdata" or type(v) == "thread" then
      error("attributes." .. gostring(k) .. " should be a string (one value per attribute)", 2)
    end
    local name, value = gostring(k), gostring(v)
    -- bytes that are not UTF-8 text (or hold a NUL) cross to the host hex-encoded, so they are written as they are
    if value:find("\\0", 1, true) or utf8.len(value) == nil then
      value = value:gsub(".", function(c) return string.format("%02x", c:byte()) end)
      binaries[#binaries + 1] = name
    end
    names[#names + 1] = name
    values[#values + 1] = value
  end
  return api.modify_raw(pool, session, operation, dn, names, values, binaries)
end

return M
`;
