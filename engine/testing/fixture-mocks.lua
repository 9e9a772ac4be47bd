-- Nauthilus --test-lua fixture support inside one AuthStudio VM (runs once, before the script under test loads).
-- `__as_fixture_host` (fx) is the test runner: fx.record(module, method, args) checks expected_calls order and
-- returns an error text or nil; fx.log / fx.status collect what the script logs; fx.mocks is the fixture's data
-- for the modules it replaces. Modules the fixture does not replace stay the real host modules; those whose
-- calls it checks are wrapped so each call is recorded first.
local fx = __as_fixture_host
local record, log_line, status_line = fx.record, fx.log, fx.status
local mocks = require("json").decode(fx.mocks)
local tracked = require("json").decode(fx.tracked) -- { require name = fixture key }
local error, type, tostring, select, pairs, ipairs, table_concat, string_lower, string_format =
  error, type, tostring, select, pairs, ipairs, table.concat, string.lower, string.format

local function args_text(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  return table_concat(parts, ",")
end

local function check(key, method, args)
  local err = record(key, method, args)
  if err then error(err, 3) end
end

-- the data mocks (what Nauthilus's test modules answer instead of the network)
local replace = {}

if mocks.http_client then
  local responses, next_response = mocks.http_client.responses or {}, 1
  local function respond(method, url, options)
    local body = type(options) == "table" and type(options.body) == "string" and options.body or ""
    local err = record("http_client", method, string_format("url=%s body=%s", tostring(url), body))
    if err then return nil, err end
    local r = responses[next_response]
    next_response = next_response + 1
    if r == nil then return { status_code = 200, body = "", headers = {} }, nil end
    if type(r.error) == "string" and r.error ~= "" then return nil, r.error end
    local code = tonumber(r.status_code) or 0
    return { status_code = code ~= 0 and code or 200, body = r.body or "", headers = r.headers or {} }, nil
  end
  replace.glua_http = {
    get = function(url, options) return respond("get", url, options) end,
    post = function(url, options) return respond("post", url, options) end,
    request = function(method, url, options) return respond(string_lower(tostring(method)), url, options) end,
  }
end

if mocks.dns then
  local answers = mocks.dns.lookup_result or {}
  replace.nauthilus_dns = {
    lookup = function(name)
      if record("dns", "lookup", tostring(name)) then return nil end
      local v = answers[name]
      if v == nil then return {} end
      return v
    end,
  }
end

-- db (gopher-lua-libs' SQL module): declarative answers; calls checked in order by method and query_contains
if mocks.db then
  local m = mocks.db
  local db_record, db_last = fx.db_record, fx.db_last
  local json_decode = require("json").decode
  local function trim(s) return (tostring(s):gsub("^%s+", ""):gsub("%s+$", "")) end
  local function starts(q, word) return string_lower(q):sub(1, #word) == word end
  local last_insert = 0
  local function matched() return json_decode(db_last()) end
  local function query_result()
    local c = matched()
    local rows, columns = {}, {}
    if type(c) == "table" then
      rows = c.rows or {}
      columns = c.columns or {}
      if #columns == 0 and rows[1] then
        for i = 1, #rows[1] do columns[i] = "col_" .. i end
      end
    end
    return { rows = rows, columns = columns }
  end
  local function exec_result(q)
    local c = matched()
    local affected = starts(q, "create ") and 0 or 1
    local id = 0
    if starts(q, "insert ") then last_insert = last_insert + 1; id = last_insert end
    if type(c) == "table" then
      if c.rows_affected ~= nil then affected = c.rows_affected end
      if c.last_insert_id ~= nil then id = c.last_insert_id end
    end
    return { rows_affected = affected, last_insert_id = id }
  end
  local function nonempty(s) return type(s) == "string" and s ~= "" end
  local Stmt = {}
  Stmt.__index = Stmt
  function Stmt:query()
    local err = db_record("query", self.query_text)
    if err then return nil, err end
    if self.closed then return nil, "invalid mock db statement" end
    if nonempty(m.query_error) then return nil, m.query_error end
    return query_result()
  end
  function Stmt:exec()
    local err = db_record("exec", self.query_text)
    if err then return nil, err end
    if self.closed then return nil, "invalid mock db statement" end
    if nonempty(m.exec_error) then return nil, m.exec_error end
    return exec_result(self.query_text)
  end
  function Stmt:close() self.closed = true end
  local Conn = {}
  Conn.__index = Conn
  function Conn:query(q)
    q = trim(q)
    local err = db_record("query", q)
    if err then return nil, err end
    if self.closed then return nil, "mock db connection is closed" end
    if nonempty(m.query_error) then return nil, m.query_error end
    return query_result()
  end
  function Conn:exec(q)
    q = trim(q)
    local err = db_record("exec", q)
    if err then return nil, err end
    if self.closed then return nil, "mock db connection is closed" end
    if nonempty(m.exec_error) then return nil, m.exec_error end
    return exec_result(q)
  end
  function Conn:stmt(q)
    q = trim(q)
    local err = db_record("stmt", q)
    if err then return nil, err end
    return setmetatable({ query_text = q }, Stmt)
  end
  function Conn:close()
    local err = db_record("close", "")
    if err then return nil, err end
    self.closed = true
    return true
  end
  replace.db = {
    open = function()
      local err = db_record("open", "")
      if err then return nil, err end
      if nonempty(m.open_error) then return nil, m.open_error end
      return setmetatable({}, Conn)
    end,
  }
end

-- functions of a real module the fixture answers for; the rest of the module stays real
local override = {} -- module name -> { function name = mock }
local mocked = {}   -- the mock functions (recorded by themselves, not wrapped again)
local function set_override(module, name, fn)
  override[module] = override[module] or {}
  override[module][name] = fn
  mocked[fn] = true
end
local function has_any(t, keys)
  for _, k in ipairs(keys) do if t[k] ~= nil then return true end end
  return false
end

if mocks.ldap then
  local m = mocks.ldap
  set_override("nauthilus_ldap", "ldap_search", function()
    local err = record("ldap", "ldap_search", "search")
    if err then return nil, err end
    if type(m.search_error) == "string" and m.search_error ~= "" then return nil, m.search_error end
    return m.search_result or {}, nil
  end)
end

-- nauthilus_password: answers only when the fixture gives them (compare_result, policy_result, generated_hash)
if mocks.password and has_any(mocks.password, { "compare_result", "policy_result", "generated_hash" }) then
  local m = mocks.password
  set_override("nauthilus_password", "compare_passwords", function(hash, plain)
    local err = record("password", "compare_passwords", tostring(hash) .. ":" .. tostring(plain))
    if err then return false, err end
    return m.compare_result == true, nil
  end)
  set_override("nauthilus_password", "check_password_policy", function(password)
    local err = record("password", "check_password_policy", tostring(password))
    if err then return false, err end
    return m.policy_result == true, nil
  end)
  set_override("nauthilus_password", "generate_password_hash", function(password)
    local err = record("password", "generate_password_hash", tostring(password))
    if err then return nil, err end
    return m.generated_hash or "", nil
  end)
end

-- nauthilus_mail: a fixture with a mail section never sends; send_error is what send_mail answers
if mocks.mail then
  local m = mocks.mail
  set_override("nauthilus_mail", "send_mail", function(opts)
    local err = record("mail", "send_mail", tostring(type(opts) == "table" and opts.server or ""))
    if err then return err end
    if type(m.send_error) == "string" and m.send_error ~= "" then return m.send_error end
    return nil
  end)
end

-- a module table whose functions record each call before running
local function wrap(key, mod)
  local out = {}
  for name, v in pairs(mod) do
    if type(v) == "function" and not mocked[v] then
      out[name] = function(...)
        check(key, name, args_text(...))
        return v(...)
      end
    else
      out[name] = v
    end
  end
  return setmetatable(out, getmetatable(mod))
end

for name, mod in pairs(replace) do
  package.preload[name] = function() return mod end
end
for name, fns in pairs(override) do
  local base = package.preload[name]
  if base then
    package.preload[name] = function(...)
      local m = base(...)
      for k, fn in pairs(fns) do m[k] = fn end
      return m
    end
  end
end
for name, key in pairs(tracked) do
  local base = package.preload[name]
  if base and not replace[name] then
    package.preload[name] = function(...) return wrap(key, base(...)) end
  end
end

-- what the script logs: custom_log_add as "[CUSTOM] key: value", status messages as "[STATUS] text"
local builtin = nauthilus_builtin
local custom_log_add, status_message_set = builtin.custom_log_add, builtin.status_message_set
builtin.custom_log_add = function(key, value, ...)
  log_line("[CUSTOM] " .. tostring(key) .. ": " .. (value == nil and "" or tostring(value)))
  return custom_log_add(key, value, ...)
end
builtin.status_message_set = function(msg, ...)
  status_line(tostring(msg))
  return status_message_set(msg, ...)
end
