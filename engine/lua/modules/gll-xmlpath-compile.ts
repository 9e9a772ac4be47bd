// The path compiler of `xmlpath` (Lua, part of XMLPATH_LUA): gopkg.in/xmlpath.v2's grammar and its error texts
// ("compiling xml path %q:%d: ..."), building the steps and predicates gll-xmlpath-lua.ts evaluates. Uses the
// node-kind constants (ANY, START, ...) of the chunk it is spliced into; defines `compile(path)`.

export const XMLPATH_COMPILER_LUA = `
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
`;
