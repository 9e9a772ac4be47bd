// The Lua half of `xmlpath`: gopkg.in/xmlpath.v2's path language (a strict XPath subset: all axes, node tests,
// predicates [N], [path], [not(path)], [path='lit'], [contains(path,'lit')] joined by and/or and parentheses),
// its compile errors word for word, and its evaluation order over the flat node list gll-xmlpath.ts builds.
// Where xmlpath.v2 panics (an element compared with a literal that is a proper prefix of its text; the
// preceding-sibling axis from the root or an attribute) the script gets Go's runtime error, as gopher-lua reports it.
import { XMLPATH_COMPILER_LUA } from './gll-xmlpath-compile';

export const XMLPATH_LUA = `
local api, _, internals = ...
local str = internals.check_string
local M = {}

local ANY, START, END, ATTR, TEXT, COMMENT, PROCINST = 0, 1, 2, 3, 4, 5, 6
local NODE = { __name = "xmlpath_node_ud" }
NODE.__index = NODE
local PATH = { __name = "xmlpath_path_ud" }
PATH.__index = PATH
local EMPTY = {}

local function go_index_panic(i, n) error(string.format("runtime error: index out of range [%d] with length %d", i, n), 0) end

-- the string value: an attribute's value, a text/comment/instruction's content, an element's text nodes joined
local function texts(doc, pos)
  local k = doc.kind[pos + 1]
  if k ~= START and k ~= TEXT then return doc.val[pos + 1] end
  local parts = {}
  for i = pos, doc.fin[pos + 1] - 1 do
    if doc.kind[i + 1] == TEXT then parts[#parts + 1] = doc.val[i + 1] end
  end
  return table.concat(parts)
end

local function equals(doc, pos, s)
  if doc.kind[pos + 1] ~= START then return doc.val[pos + 1] == s end
  local t = texts(doc, pos)
  if #t > #s and t:sub(1, #s) == s then go_index_panic(#s, #s) end
  return t == s
end

local function contains(doc, pos, s)
  if s == "" then return true end
  local k = doc.kind[pos + 1]
  if k == ATTR then return doc.val[pos + 1]:find(s, 1, true) ~= nil end
  if k ~= START and k ~= TEXT then return false end -- only text nodes are searched
  return texts(doc, pos):find(s, 1, true) ~= nil
end

local function match(step, doc, pos)
  local k = doc.kind[pos + 1]
  return k ~= END and (step.kind == ANY or step.kind == k) and (step.name == "*" or doc.name[pos + 1] == step.name)
end

-- one step's next candidate on its axis (state: node, idx, aux as xmlpath.v2 keeps them)
local function step_next(s, doc)
  local node = s.node
  if node == nil then return false end
  local step = s.step
  if step.root and s.idx == 0 then
    while doc.up[node + 1] >= 0 do node = doc.up[node + 1] end
    s.node = node
  end
  local axis = step.axis
  if axis == "self" then
    if s.idx == 0 and match(step, doc, node) then s.idx = 1 return true end
  elseif axis == "parent" then
    local up = doc.up[node + 1]
    if s.idx == 0 and up >= 0 and match(step, doc, up) then s.idx = 1 s.node = up return true end
  elseif axis == "ancestor" or axis == "ancestor-or-self" then
    if s.idx == 0 and axis == "ancestor-or-self" then
      s.idx = 1
      if match(step, doc, node) then return true end
    end
    while doc.up[node + 1] >= 0 do
      node = doc.up[node + 1]
      s.node, s.idx = node, s.idx + 1
      if match(step, doc, node) then return true end
    end
  elseif axis == "child" then
    local down = s.idx == 0 and doc.down[node + 1] or doc.down[doc.up[node + 1] + 1]
    while s.idx < #down do
      local n = down[s.idx + 1]
      s.idx = s.idx + 1
      if match(step, doc, n) then s.node = n return true end
    end
  elseif axis == "descendant" or axis == "descendant-or-self" or axis == "following" then
    if s.idx == 0 then
      if axis == "following" then s.idx, s.aux = doc.fin[node + 1], #doc.kind
      else s.idx, s.aux = node + (axis == "descendant" and 1 or 0), doc.fin[node + 1] end
    end
    while s.idx < s.aux do
      local n = s.idx
      s.idx = n + 1
      if doc.kind[n + 1] ~= ATTR and match(step, doc, n) then s.node = n return true end
    end
  elseif axis == "following-sibling" then
    local up, down = doc.up[node + 1], EMPTY
    if up >= 0 then
      down = doc.down[up + 1]
      if s.idx == 0 then
        while s.idx < #down do
          s.idx = s.idx + 1
          if down[s.idx] == node then break end
        end
      end
    end
    while s.idx < #down do
      local n = down[s.idx + 1]
      s.idx = s.idx + 1
      if match(step, doc, n) then s.node = n return true end
    end
  elseif axis == "preceding" then
    if s.idx == 0 then s.aux, s.idx = node, node - 1 end
    while s.idx >= 0 do
      local n = s.idx
      s.idx = n - 1
      if doc.kind[n + 1] ~= ATTR then
        if n == doc.up[s.aux + 1] then s.aux = n -- an ancestor: not preceding
        elseif match(step, doc, n) then s.node = n return true end
      end
    end
  elseif axis == "preceding-sibling" then
    local up, down = doc.up[node + 1], EMPTY
    if up >= 0 then
      down = doc.down[up + 1]
      if s.aux == 0 then
        s.aux = 1
        while s.idx < #down do
          s.idx = s.idx + 1
          if down[s.idx] == node then s.idx = s.idx - 1 break end
        end
      end
    end
    while s.idx >= 0 do
      if s.idx >= #down then go_index_panic(s.idx, #down) end
      local n = down[s.idx + 1]
      s.idx = s.idx - 1
      if match(step, doc, n) then s.node = n return true end
    end
  elseif axis == "attribute" then
    if s.idx == 0 then s.idx, s.aux = node + 1, doc.fin[node + 1] end
    while s.idx < s.aux do
      local n = s.idx
      s.idx = n + 1
      if doc.kind[n + 1] ~= ATTR then break end
      if match(step, doc, n) then s.node = n return true end
    end
  end
  s.node = nil
  return false
end

local iter_new, iter_next

local function test(s, doc, pred)
  local t = pred.t
  if t == "pos" then return pred.pos == s.pos
  elseif t == "exists" then return iter_next(iter_new(pred.path, doc, s.node)) ~= nil
  elseif t == "not" then return iter_next(iter_new(pred.path, doc, s.node)) == nil
  elseif t == "equals" or t == "contains" then
    local it, cmp = iter_new(pred.path, doc, s.node), t == "equals" and equals or contains
    for n in function() return iter_next(it) end do
      if cmp(doc, n, pred.value) then return true end
    end
    return false
  elseif t == "and" then
    for _, sub in ipairs(pred.sub) do if not test(s, doc, sub) then return false end end
    return true
  else
    for _, sub in ipairs(pred.sub) do if test(s, doc, sub) then return true end end
    return false
  end
end

local function state_next(s, doc)
  while step_next(s, doc) do
    s.pos = s.pos + 1
    if s.step.pred == nil or test(s, doc, s.step.pred) then return true end
  end
  return false
end

local function init(s, node) s.node, s.pos, s.idx, s.aux = node, 0, 0, 0 end

iter_new = function(path, doc, ctx)
  local states = {}
  for i, step in ipairs(path.steps) do states[i] = { step = step } end
  init(states[1], ctx)
  return { states = states, seen = {}, doc = doc }
end

-- the next node of the set (each node once), or nil
iter_next = function(it)
  local st, doc, last = it.states, it.doc, #it.states
  local tip = last
  while true do
    local found = true
    while not state_next(st[tip], doc) do
      tip = tip - 1
      if tip == 0 then return nil end
    end
    while tip < last do
      tip = tip + 1
      init(st[tip], st[tip - 1].node)
      if not state_next(st[tip], doc) then tip, found = tip - 1, false break end
    end
    if found then
      local n = st[tip].node
      if not it.seen[n] then it.seen[n] = true return n end
    end
  end
end

${XMLPATH_COMPILER_LUA}
local function node(doc, pos) return setmetatable({ doc = doc, pos = pos }, NODE) end

-- the node list from its two-string form (see encodeFlat): parents (up), ends (fin) and children (down) follow
-- from the order of start, end and other nodes
local function decode(head, body)
  local kind, up, fin, name, val, down = {}, {}, {}, {}, {}, {}
  local stack, top, n, at = {}, -1, 0, 1
  for k, nl, vl in head:gmatch("(%d)(%d*),(%d*);") do
    k = k + 0
    n = n + 1
    local pos = n - 1
    kind[n], fin[n], down[n] = k, n, EMPTY
    if nl ~= "" then name[n] = body:sub(at, at + nl - 1) at = at + nl else name[n] = "" end
    if vl ~= "" then val[n] = body:sub(at, at + vl - 1) at = at + vl else val[n] = "" end
    if k == END then
      up[n] = -1
      fin[top + 1] = pos
      stack[#stack] = nil
      top = stack[#stack] or -1
    else
      up[n] = top
      if k ~= ATTR and top >= 0 then local d = down[top + 1] d[#d + 1] = pos end
      if k == START then stack[#stack + 1], top, down[n] = pos, pos, {} end
    end
  end
  return { kind = kind, up = up, fin = fin, name = name, val = val, down = down }
end

function M.load(text)
  text = str("load", 1, text)
  return node(decode(api.parse_html(text)), 0)
end

function M.compile(path)
  path = str("compile", 1, path)
  local ok, res = pcall(compile, path)
  if ok then return setmetatable(res, PATH) end
  if type(res) == "table" and res.xmlpath then return nil, res.xmlpath end
  error(res, 0)
end

function PATH:iter(n)
  if getmetatable(self) ~= PATH then error("bad argument #1 to 'iter' (xmlpath_path_ud expected)", 2) end
  if getmetatable(n) ~= NODE then error("bad argument #2 to 'iter' (xmlpath_node_ud expected)", 2) end
  local out, it = {}, iter_new(self, n.doc, n.pos)
  for pos in function() return iter_next(it) end do out[#out + 1] = node(n.doc, pos) end
  return out
end

function NODE:string()
  if getmetatable(self) ~= NODE then error("bad argument #1 to 'string' (xmlpath_node_ud expected)", 2) end
  return texts(self.doc, self.pos)
end

return M
`;
