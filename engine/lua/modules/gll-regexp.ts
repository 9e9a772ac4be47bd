// `regexp` (nauthilus_gll_regexp): gopher-lua-libs v0.7.0 regexp (Go's RE2 syntax and errors) on JS regexps that
// cannot stall the engine (re2-translate.ts, regexp-runner.ts).
import type { LuaModule } from '../module';
import { checkArg, fail } from '../values';
import { translateRe2, Re2Error, type Translated } from './re2-translate';
import { runRegexp } from './regexp-runner';

const CACHE_MAX = 256;
const cache = new Map<string, Translated | string>();

/** The translation of a Go pattern, or Go's compile error text (both remembered for the next call). */
function compile(expr: string): Translated | string {
  let t = cache.get(expr);
  if (t === undefined) {
    try {
      t = translateRe2(expr);
    } catch (e) {
      if (!(e instanceof Re2Error)) throw e;
      t = e.message;
    }
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(expr, t);
  }
  return t;
}

export const gllRegexpModule: LuaModule = {
  name: 'regexp',
  legacyLoaderName: 'nauthilus_gll_regexp',
  summary: "Go regexp (RE2 syntax): match, find_all_string_submatch, compile -> object with :match and :find_all_string_submatch.",
  install() {
    const str = (fn: string, n: number, v: unknown): string => {
      checkArg(fn, n, v, 'string', 'number');
      return String(v);
    };
    return {
      functions: {
        check: (expr: unknown) => {
          const t = compile(str('compile', 1, expr));
          return typeof t === 'string' ? fail(t) : true;
        },
        run: (fn: string, expr: string, input: unknown, all: boolean) => {
          const s = str(fn, 2, input);
          const t = compile(String(expr));
          if (typeof t === 'string') return fail(t);
          return runRegexp({ source: t.source, input: s, all }, t.risky);
        },
      },
      lua: REGEXP_LUA,
    };
  },
};

const REGEXP_LUA = `
local api = ...
local M = {}
local REGEXP = { __name = "regexp_ud" }
local methods = {}
REGEXP.__index = methods

local function expr_of(fn, self)
  if getmetatable(self) ~= REGEXP then
    error(string.format("bad argument #1 to '%s' (regexp_ud expected)", fn), 3)
  end
  return self.expr
end

local function text(fn, n, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fn, t), 3)
end

function M.compile(expr)
  expr = text("compile", 1, expr)
  local ok, err = api.check(expr)
  if not ok then return nil, err end
  return setmetatable({ expr = expr }, REGEXP)
end

function M.match(expr, s)
  return api.run("match", text("match", 1, expr), s, false)
end

function M.find_all_string_submatch(expr, s)
  return api.run("find_all_string_submatch", text("find_all_string_submatch", 1, expr), s, true)
end

function methods.match(self, s)
  return (api.run("match", expr_of("match", self), s, false))
end

function methods.find_all_string_submatch(self, s)
  return (api.run("find_all_string_submatch", expr_of("find_all_string_submatch", self), s, true))
end

return M
`;
