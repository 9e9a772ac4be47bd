// `template` (nauthilus_gll_template): template.choose("mustache"):render(text, values), in pure Lua.
import fs from 'node:fs';
import path from 'node:path';
import type { LuaModule, ModuleHost } from '../module';
import { goShortestG } from '../go-number';
import { ret, fail } from '../values';
import { goError } from '../host-files';

/** A larger template file is an error return rather than a Lua string of that size. */
export const MAX_TEMPLATE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The text of a template file for render_file. gopher-lua-libs reads any path (ioutil.ReadFile); here a
 * relative path resolves against the config directory, and without lua_allow_io the file must lie inside it
 * (after following links), as every other host file a script reaches.
 */
function readTemplateFile(host: ModuleHost, file: string) {
  const base = host.services.baseDir;
  const full = path.resolve(base, file);
  try {
    if (!host.allowIo) {
      const realBase = fs.realpathSync(base);
      const real = fs.realpathSync(full);
      if (real !== realBase && !real.startsWith(realBase + path.sep)) {
        return fail(`open ${file}: outside the config directory (other files need server.lua_allow_io)`);
      }
    }
    const st = fs.statSync(full);
    if (st.isDirectory()) return fail(`read ${file}: is a directory`);
    if (st.size > MAX_TEMPLATE_FILE_BYTES) return fail(`read ${file}: larger than ${MAX_TEMPLATE_FILE_BYTES} bytes`);
    return ret(fs.readFileSync(full, 'utf8'));
  } catch (e) {
    return fail(goError('open', file, e));
  }
}

export const templateModule: LuaModule = {
  name: 'template',
  legacyLoaderName: 'nauthilus_gll_template',
  summary: 'Mustache templates: template.choose("mustache") then engine:render(text, values) or engine:render_file(file, values) -> string, err.',
  install(host) {
    // gluamapper hands mustache every number as a float64, which it prints with fmt.Sprint (Go's %v)
    return { functions: { read_file_raw: (file: string) => readTemplateFile(host, file), number_text: (n: number) => goShortestG(Number(n)) }, lua: TEMPLATE_LUA };
  },
};

// Mustache as cbroglie/mustache renders it: escaped {{x}}, raw {{{x}}} / {{& x}}, sections, inverted
// sections, comments, dotted names, {{.}}, set delimiters and standalone tag lines. Partials render empty.
const TEMPLATE_LUA = `
local api = ...
local number_text = api.number_text
local M = {}
local ENGINE = { __name = "template_ud" }
ENGINE.__index = ENGINE

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function parse(tpl)
  local otag, ctag = "{{", "}}"
  local root = {}
  local stack = { { children = root } }
  local pos, n = 1, #tpl
  local function add(node) table.insert(stack[#stack].children, node) end
  while pos <= n do
    local s, e = tpl:find(otag, pos, true)
    if not s then add({ t = "text", v = tpl:sub(pos) }) break end
    local text = tpl:sub(pos, s - 1)
    local kind = tpl:sub(e + 1, e + 1)
    local close = (kind == "{" and otag == "{{") and ("}" .. ctag) or ctag
    local cs, ce = tpl:find(close, e + 1, true)
    if not cs then return nil, "unmatched open tag at byte " .. s end
    local content = tpl:sub(e + 1, cs - 1)
    -- a section, comment, partial or delimiter tag alone on its line takes the line with it
    if kind == "#" or kind == "^" or kind == "/" or kind == "!" or kind == ">" or kind == "=" then
      local before = text:match("\\n([ \\t]*)$") or ((pos == 1 or tpl:sub(pos - 1, pos - 1) == "\\n") and text:match("^([ \\t]*)$"))
      local after = tpl:match("^[ \\t]*\\r?\\n", ce + 1) or tpl:match("^[ \\t]*$", ce + 1)
      if before and after then
        text = text:sub(1, #text - #before)
        ce = ce + #after
      end
    end
    if #text > 0 then add({ t = "text", v = text }) end
    pos = ce + 1
    if kind == "!" or kind == ">" then
      -- comments and partials produce nothing
    elseif kind == "=" then
      local o, c = content:match("^=%s*(%S+)%s+(%S+)%s*=$")
      if not o then return nil, "invalid set delimiter tag " .. content end
      otag, ctag = o, c
    elseif kind == "#" or kind == "^" then
      local node = { t = "section", name = trim(content:sub(2)), inverted = kind == "^", children = {} }
      add(node)
      stack[#stack + 1] = node
    elseif kind == "/" then
      local name = trim(content:sub(2))
      local top = stack[#stack]
      if #stack == 1 or top.name ~= name then return nil, "unexpected closing tag " .. name end
      stack[#stack] = nil
    elseif kind == "{" or kind == "&" then
      add({ t = "var", name = trim(content:sub(2)), raw = true })
    else
      add({ t = "var", name = trim(content), raw = false })
    end
  end
  if #stack > 1 then return nil, "section " .. stack[#stack].name .. " has no closing tag" end
  return root
end

local function lookup(ctx, name)
  if name == "." then return ctx[#ctx] end
  local first, rest = name:match("^([^.]+)(.*)$")
  for i = #ctx, 1, -1 do
    local c = ctx[i]
    if type(c) == "table" and c[first] ~= nil then
      local v = c[first]
      for part in rest:gmatch("[^.]+") do
        if type(v) ~= "table" then return nil end
        v = v[part]
      end
      return v
    end
  end
  return nil
end

local function is_empty(v)
  return v == nil or v == false or v == "" or v == 0 or (type(v) == "table" and next(v) == nil)
end

local function text_of(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    -- Go's %v of a float64: 3, 1.5, 1.234567e+06 (an integral 1234567 too), 1e-05; small integers without a call
    if v == math.floor(v) and v > -1e6 and v < 1e6 then return string.format("%d", v) end
    return number_text(v)
  end
  if t == "boolean" then return tostring(v) end
  return ""
end

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&#34;", ["'"] = "&#39;" }

local function render(nodes, ctx, out)
  for _, node in ipairs(nodes) do
    if node.t == "text" then
      out[#out + 1] = node.v
    elseif node.t == "var" then
      local s = text_of(lookup(ctx, node.name))
      out[#out + 1] = node.raw and s or (s:gsub("[&<>\\"']", ESC))
    else
      local v = lookup(ctx, node.name)
      if node.inverted then
        if is_empty(v) then render(node.children, ctx, out) end
      elseif not is_empty(v) then
        if type(v) == "table" and #v > 0 then
          for _, item in ipairs(v) do
            ctx[#ctx + 1] = item
            render(node.children, ctx, out)
            ctx[#ctx] = nil
          end
        else
          ctx[#ctx + 1] = v
          render(node.children, ctx, out)
          ctx[#ctx] = nil
        end
      end
    end
  end
end

function ENGINE.render(self, text, values)
  if getmetatable(self) ~= ENGINE then error("bad argument #1 to 'render' (template expected)", 2) end
  if type(text) ~= "string" then error("bad argument #2 to 'render' (string expected, got " .. type(text) .. ")", 2) end
  if values ~= nil and type(values) ~= "table" then
    error("bad argument #3 to 'render' (table expected, got " .. type(values) .. ")", 2)
  end
  local tree, err = parse(text)
  if not tree then return nil, err end
  local out = {}
  render(tree, { values or {} }, out)
  return table.concat(out)
end

-- gopher-lua-libs v0.7.0: the file's text rendered as render does; a file that cannot be read is nil, err
function ENGINE.render_file(self, file, values)
  if getmetatable(self) ~= ENGINE then error("bad argument #1 to 'render_file' (template expected)", 2) end
  if type(file) ~= "string" then error("bad argument #2 to 'render_file' (string expected, got " .. type(file) .. ")", 2) end
  if values ~= nil and type(values) ~= "table" then
    error("bad argument #3 to 'render_file' (table expected, got " .. type(values) .. ")", 2)
  end
  local text, err = api.read_file_raw(file)
  if text == nil then return nil, err end
  local tree, perr = parse(text)
  if not tree then return nil, perr end
  local out = {}
  render(tree, { values or {} }, out)
  return table.concat(out)
end

function M.choose(name)
  if type(name) ~= "string" then error("bad argument #1 to 'choose' (string expected, got " .. type(name) .. ")", 2) end
  if name ~= "mustache" then return nil, "unknown template engine: " .. name end
  return setmetatable({ name = name }, ENGINE)
end

return M
`;
