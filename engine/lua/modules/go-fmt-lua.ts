// Go's fmt.Sprint / Sprintln / Sprintf over gopher-lua values, as Lua source for modules that print the way a
// gopher-lua-libs module does (log). LNumber and LString implement fmt.Formatter in gopher-lua 1.1.1: a
// number under %d is int64(n), under %f float64(n), under %s/%v its Lua text; a string under %d is "0" when it
// is no number. Needs `api.go_g(n)` (Go's shortest %g) in scope.

/** Lua chunk defining local go_sprint(args, n), go_sprintln(args, n), go_sprintf(format, args, n). */
export const GO_FMT_LUA = `
local function go_numtext(n)
  if math.type(n) == "integer" then return tostring(n) end
  if n == math.floor(n) and n > -2^63 and n < 2^63 then return string.format("%d", n) end
  return api.go_g(n)
end

local GO_TYPE = { number = "lua.LNumber", string = "lua.LString", boolean = "lua.LBool", ["nil"] = "*lua.LNilType",
  table = "*lua.LTable", ["function"] = "*lua.LFunction" }

local function go_text(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return go_numtext(v) end
  if t == "boolean" or t == "nil" then return tostring(v) end
  return tostring(v)
end

local function go_quote(s)
  return '"' .. s:gsub('[%c"\\\\]', function(c)
    if c == '"' then return '\\\\"' elseif c == "\\\\" then return "\\\\\\\\" elseif c == "\\n" then return "\\\\n"
    elseif c == "\\t" then return "\\\\t" elseif c == "\\r" then return "\\\\r" end
    return string.format("\\\\x%02x", c:byte())
  end) .. '"'
end

local function pad(s, flags, width)
  if not width then return s end
  local len = utf8.len(s) or #s
  if len >= width then return s end
  if flags:find("-", 1, true) then return s .. string.rep(" ", width - len) end
  if flags:find("0", 1, true) then
    local sign, rest = s:match("^([+-]?)(.*)$")
    return sign .. string.rep("0", width - len) .. rest
  end
  return string.rep(" ", width - len) .. s
end

local function int_text(n, flags, prec, verb)
  local neg = n < 0
  local a = neg and -n or n
  local s
  if verb == "d" then s = string.format("%d", a)
  elseif verb == "x" then s = string.format("%x", a)
  elseif verb == "X" then s = string.format("%X", a)
  elseif verb == "o" then s = string.format("%o", a)
  elseif verb == "b" then
    local bits = {}
    repeat bits[#bits + 1] = tostring(a % 2); a = a // 2 until a == 0
    s = string.reverse(table.concat(bits))
  end
  if prec and #s < prec then s = string.rep("0", prec - #s) .. s end
  if flags:find("#", 1, true) then
    if verb == "x" then s = "0x" .. s elseif verb == "X" then s = "0X" .. s elseif verb == "o" then s = "0" .. s end
  end
  if neg then s = "-" .. s elseif flags:find("+", 1, true) then s = "+" .. s elseif flags:find(" ", 1, true) then s = " " .. s end
  return s
end

local function float_text(x, flags, prec, verb)
  if x ~= x then return "NaN" end
  if x == math.huge then return flags:find("+", 1, true) and "+Inf" or "+Inf" end
  if x == -math.huge then return "-Inf" end
  if (verb == "g" or verb == "G") and not prec then
    local s = api.go_g(x)
    if verb == "G" then s = s:upper() end
    if x >= 0 and flags:find("+", 1, true) then s = "+" .. s end
    return s
  end
  local f = "%" .. (flags:find("+", 1, true) and "+" or "") .. (flags:find("#", 1, true) and "#" or "")
    .. (prec and ("." .. prec) or "") .. (verb == "F" and "f" or verb)
  return string.format(f, x)
end

local function trunc(n)
  if n ~= n or n == math.huge or n == -math.huge then return math.mininteger end
  return math.tointeger(n >= 0 and math.floor(n) or math.ceil(n)) or math.mininteger
end

local function bad(verb, v)
  local t = type(v)
  local shown = t == "nil" and "&{}" or go_text(v)
  return "%!" .. verb .. "(" .. (GO_TYPE[t] or "*lua.LUserData") .. "=" .. shown .. ")"
end

local function fmt_one(v, flags, width, prec, verb)
  local t = type(v)
  local s
  if t == "string" and (verb == "d" or verb == "i") then
    if tonumber(v) == nil then s = int_text(0, flags, prec, "d") else s = v end
  elseif t == "number" then
    if verb == "q" then s = go_quote(go_numtext(v))
    elseif verb == "s" then s = go_numtext(v); if prec then s = s:sub(1, prec) end
    elseif verb == "d" or verb == "i" or verb == "x" or verb == "X" or verb == "o" or verb == "b" then
      s = int_text(trunc(v), flags, prec, verb == "i" and "d" or verb)
    elseif verb == "c" then s = utf8.char(math.max(0, trunc(v)))
    elseif verb == "U" then s = string.format("U+%04X", trunc(v))
    elseif verb == "e" or verb == "E" or verb == "f" or verb == "F" or verb == "g" or verb == "G" then
      s = float_text(v + 0.0, flags, prec, verb)
    elseif v == math.floor(v) and v > -2^63 and v < 2^63 then
      if verb == "v" then s = int_text(trunc(v), flags, prec, "d") else s = "%!" .. verb .. "(int64=" .. go_numtext(v) .. ")" end
    else
      if verb == "v" then s = float_text(v + 0.0, flags, prec, "g") else s = "%!" .. verb .. "(float64=" .. go_numtext(v) .. ")" end
    end
  elseif t == "string" then
    if verb == "s" or verb == "v" then s = prec and v:sub(1, prec) or v
    elseif verb == "q" then s = go_quote(v)
    elseif verb == "x" then s = (v:gsub(".", function(c) return string.format("%02x", c:byte()) end))
    elseif verb == "X" then s = (v:gsub(".", function(c) return string.format("%02X", c:byte()) end))
    else s = "%!" .. verb .. "(string=" .. v .. ")" end
  elseif verb == "v" or verb == "s" or (t == "boolean" and verb == "t") then s = go_text(v)
  elseif verb == "q" then s = go_quote(go_text(v))
  else s = bad(verb, v) end
  return pad(s, flags, width)
end

-- fmt.Sprint: a space between two operands when neither is a string
local function go_sprint(args, n)
  local out = {}
  for i = 1, n do
    if i > 1 and type(args[i]) ~= "string" and type(args[i - 1]) ~= "string" then out[#out + 1] = " " end
    out[#out + 1] = fmt_one(args[i], "", nil, nil, "v")
  end
  return table.concat(out)
end

local function go_sprintln(args, n)
  local out = {}
  for i = 1, n do out[i] = fmt_one(args[i], "", nil, nil, "v") end
  return table.concat(out, " ") .. "\\n"
end

local function go_sprintf(format, args, n)
  local out, argi, i, len = {}, 1, 1, #format
  while i <= len do
    local p = format:find("%", i, true)
    if not p then out[#out + 1] = format:sub(i); break end
    out[#out + 1] = format:sub(i, p - 1)
    local flags, width, prec, verb, j = "", nil, nil, nil, p + 1
    while j <= len and format:sub(j, j):find("^[-+# 0]") do flags = flags .. format:sub(j, j); j = j + 1 end
    local w = format:match("^%d+", j)
    if w then width = tonumber(w); j = j + #w end
    if format:sub(j, j) == "." then
      j = j + 1
      local pr = format:match("^%d+", j) or ""
      prec = tonumber(pr) or 0
      j = j + #pr
    end
    verb = format:sub(j, j)
    if verb == "" then out[#out + 1] = "%!(NOVERB)"; break end
    if verb == "%" then out[#out + 1] = "%"
    elseif argi > n then out[#out + 1] = "%!" .. verb .. "(MISSING)"
    else out[#out + 1] = fmt_one(args[argi], flags, width, prec, verb); argi = argi + 1 end
    i = j + 1
  end
  if argi <= n then
    local extra = {}
    for k = argi, n do extra[#extra + 1] = (GO_TYPE[type(args[k])] or "*lua.LUserData") .. "=" .. fmt_one(args[k], "", nil, nil, "v") end
    out[#out + 1] = "%!(EXTRA " .. table.concat(extra, ", ") .. ")"
  end
  return table.concat(out)
end
`;
