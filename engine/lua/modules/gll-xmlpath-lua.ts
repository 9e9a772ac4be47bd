// The Lua half of `xmlpath`: gopkg.in/xmlpath.v2's path language (a strict XPath subset: all axes, node tests,
// predicates [N], [path], [not(path)], [path='lit'], [contains(path,'lit')] joined by and/or and parentheses),
// its compile errors word for word, and its evaluation order over the flat node list gll-xmlpath.ts builds.
// Where xmlpath.v2 panics (an element compared with a literal that is a proper prefix of its text; the
// preceding-sibling axis from the root or an attribute) the script gets Go's runtime error, as gopher-lua reports it.

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

-- Go's %q of a string and of a byte
local ESC = { [7] = "\\\\a", [8] = "\\\\b", [9] = "\\\\t", [10] = "\\\\n", [11] = "\\\\v", [12] = "\\\\f", [13] = "\\\\r" }
local function goquote(s)
  return '"' .. s:gsub('[%c"\\\\]', function(ch)
    local b = ch:byte()
    if ch == '"' or ch == "\\\\" then return "\\\\" .. ch end
    return ESC[b] or string.format("\\\\x%02x", b)
  end) .. '"'
end
local function goquote_byte(b)
  if b == 39 or b == 92 then return "'\\\\" .. string.char(b) .. "'" end
  if b >= 32 and b < 127 then return "'" .. string.char(b) .. "'" end
  if ESC[b] then return "'" .. ESC[b] .. "'" end
  if b < 32 or b == 127 then return string.format("'\\\\x%02x'", b) end
  if b < 0xa0 then return string.format("'\\\\u%04x'", b) end
  return "'" .. utf8.char(b) .. "'"
end

local AXES = { self = true, child = true, parent = true, descendant = true, ["descendant-or-self"] = true,
  ancestor = true, ["ancestor-or-self"] = true, following = true, ["following-sibling"] = true,
  preceding = true, ["preceding-sibling"] = true, attribute = true }
local NO_LITERAL = "expected a literal string"

local function compile(path)
  local n, i = #path, 0 -- i: 0-based byte offset, as xmlpath.v2 reports it
  local function fail(fmt, ...)
    error({ xmlpath = string.format("compiling xml path %s:%d: %s", goquote(path), i, string.format(fmt, ...)) }, 0)
  end
  local function at(j) return path:byte(j + 1) end
  local function skip_byte(b) if i < n and at(i) == b then i = i + 1 return true end return false end
  local function skip_spaces() local m = i while i < n and at(i) == 32 do i = i + 1 end return i ~= m end
  local function skip_string(s) if path:sub(i + 1, i + #s) == s then i = i + #s return true end return false end
  local function skip_name()
    if i >= n then return false end
    if at(i) == 42 then i = i + 1 return true end
    local start = i
    while i < n do
      local b = at(i)
      if not (b >= 0x80 or (b >= 65 and b <= 90) or (b >= 97 and b <= 122) or (b >= 48 and b <= 57) or b == 95 or b == 46 or b == 45) then break end
      i = i + 1
    end
    return i > start
  end
  local function literal()
    for _, q in ipairs({ 34, 39 }) do
      if skip_byte(q) then
        local mark = i
        local close = path:find(string.char(q), i + 1, true)
        if not close then return nil, q == 34 and [[missing '"']] or [[missing "'"]] end
        i = close
        return path:sub(mark + 1, close - 1)
      end
    end
    return nil, NO_LITERAL
  end
  local function int()
    local digits = path:match("^%d+", i + 1)
    if not digits then return nil end
    i = i + #digits
    local v = 0
    for d in digits:gmatch("%d") do v = v * 10 + tonumber(d) end
    return v
  end

  local parse_path
  local function predicate()
    skip_spaces()
    local stack, sub, conj = {}, {}, false
    repeat
      local again = false
      if skip_byte(40) then stack[#stack + 1] = { sub, conj } sub, conj = {}, false end
      local nxt
      local pos = int()
      if pos then
        if pos == 0 then fail("positions start at 1") end
        nxt = { t = "pos", pos = pos }
      elseif skip_string("contains(") then
        local p = parse_path()
        skip_spaces()
        if not skip_byte(44) then fail("contains() expected ',' followed by a literal string") end
        skip_spaces()
        local value, err = literal()
        if err then error({ xmlpath = err }, 0) end -- not wrapped, as xmlpath.v2 returns it
        skip_spaces()
        if not skip_byte(41) then fail("contains() missing ')'") end
        nxt = { t = "contains", path = p, value = value }
      elseif skip_string("not(") then
        local p = parse_path()
        skip_spaces()
        if not skip_byte(41) then fail("not() missing ')'") end
        nxt = { t = "not", path = p }
      else
        local p = parse_path()
        if p.path:match("^%-%d+$") then fail("positions must be positive") end
        skip_spaces()
        if skip_byte(61) then
          skip_spaces()
          local value, err = literal()
          if err then fail("%s", err) end
          nxt = { t = "equals", path = p, value = value }
        else
          nxt = { t = "exists", path = p }
        end
      end
      while true do
        if conj then local a = sub[#sub] a.sub[#a.sub + 1] = nxt else sub[#sub + 1] = nxt end
        if skip_spaces() then
          local mark = i
          if skip_string("and") and skip_spaces() then
            if not conj then conj = true sub[#sub] = { t = "and", sub = { sub[#sub] } } end
            again = true
            break
          elseif skip_string("or") and skip_spaces() then
            conj = false
            again = true
            break
          else
            i = mark
          end
        end
        if not skip_byte(41) then break end
        if #stack == 0 then fail("unexpected ')'") end
        nxt = #sub == 1 and sub[1] or { t = "or", sub = sub }
        sub, conj = stack[#stack][1], stack[#stack][2]
        stack[#stack] = nil
      end
    until not again
    if #stack > 0 then fail("expected ')'") end
    local pred = #sub == 1 and sub[1] or { t = "or", sub = sub }
    if not skip_byte(93) then fail("expected ']'") end
    skip_spaces()
    return pred
  end

  parse_path = function()
    local steps, start = {}, i
    while true do
      local step = { axis = "child", name = "", kind = ANY }
      skip_spaces()
      if i == 0 and skip_byte(47) then
        skip_spaces()
        step.root = true
        if n == 1 then step.name = "*" end
      end
      if i < n and at(i) == 47 then
        step.axis, step.name = "descendant-or-self", "*"
      elseif skip_byte(64) then
        local mark = i
        if not skip_name() then fail("missing name after @") end
        step.axis, step.name, step.kind = "attribute", path:sub(mark + 1, i), ATTR
      else
        local mark = i
        if skip_name() then step.name = path:sub(mark + 1, i) skip_spaces() end
        if step.name == "" then fail("missing name")
        elseif step.name == "*" then step.kind = START
        elseif step.name == "." then step.axis, step.name = "self", "*"
        elseif step.name == ".." then step.axis, step.name = "parent", "*"
        else
          if skip_byte(58) then
            if not skip_byte(58) then fail("missing ':'") end
            skip_spaces()
            if not AXES[step.name] then fail("unsupported axis: %s", goquote(step.name)) end
            if step.name == "attribute" then step.kind = ATTR end
            step.axis = step.name
            mark = i
            if not skip_name() then fail("missing name") end
            step.name = path:sub(mark + 1, i)
            skip_spaces()
          end
          if skip_byte(40) then
            skip_spaces()
            local conflict, name = step.kind ~= ANY, step.name
            if name == "text" then step.kind = TEXT
            elseif name == "comment" then step.kind = COMMENT
            elseif name == "processing-instruction" then step.kind = PROCINST
            elseif name ~= "node" then fail("unsupported expression: %s()", name) end
            if conflict then fail("%s() cannot succeed on axis %s", name, goquote(step.axis)) end
            local lit, err = literal()
            if err == NO_LITERAL then step.name = "*"
            elseif err then fail("%s", err)
            elseif step.kind == PROCINST then skip_spaces() step.name = lit
            else fail("%s() has no arguments", name) end
            if not skip_byte(41) then fail("%s() missing ')'", name) end
            skip_spaces()
          elseif step.name == "*" and step.kind == ANY then
            step.kind = START
          end
        end
      end
      if skip_byte(91) then step.pred = predicate() end
      steps[#steps + 1] = step
      if not skip_byte(47) then
        if (start == 0 or start == i) and i < n then fail("unexpected %s", goquote_byte(at(i))) end
        return { steps = steps, path = path:sub(start + 1, i) }
      end
    end
  end

  if path == "" then fail("empty path") end
  return parse_path()
end

local function node(doc, pos) return setmetatable({ doc = doc, pos = pos }, NODE) end

function M.load(text)
  text = str("load", 1, text)
  return node(api.parse_html(text), 0)
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
