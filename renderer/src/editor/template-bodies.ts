// The bodies of the "New script" templates for the engine's script kinds (features, filters, actions, backends,
// hooks, init): each one compiles and runs as it stands, and says in comments where to put the site's logic.
import type { ScriptKind } from '../file-kinds';

const B = 'nauthilus_builtin';

/** One template: what the dialog shows and the script it writes for a name. */
export interface TemplateBody<K extends string = ScriptKind> {
  kind: K;
  id: string;
  label: string;
  description: string;
  body: (name: string) => string;
}

/** A Prometheus metric name from a script name ("-" is not allowed there). */
const metric = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

const REDIS = `dynamic_loader("nauthilus_redis")
local nauthilus_redis = require("nauthilus_redis")`;

export const ENGINE_TEMPLATES: Array<TemplateBody> = [
  {
    kind: 'feature', id: 'blank', label: 'Empty feature', description: 'The entry function and its three return values; decide from the request.',
    body: (name) => `-- Feature "${name}": runs before the password is checked. Triggering it fails the login and runs the "lua" actions.
local nauthilus_util = require("nauthilus_util")

function nauthilus_call_feature(request)
  if request.no_auth then
    return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_OK
  end

  -- decide from request.client_ip, request.username, request.protocol, ...
  local triggered = false

  if triggered then
    ${B}.custom_log_add("${name}", "triggered")
    ${B}.status_message_set("Login refused")
    return ${B}.FEATURE_TRIGGER_YES, ${B}.FEATURES_ABORT_YES, ${B}.FEATURE_RESULT_OK
  end

  return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_OK
end
`,
  },
  {
    kind: 'feature', id: 'address-blocklist', label: 'Refuse listed client addresses', description: 'Fails logins whose client address starts with one of the listed prefixes.',
    body: (name) => `-- Feature "${name}": refuses logins from the client address prefixes listed below.

-- address prefixes (the documentation range stands in for a real list)
local REFUSED_PREFIXES = { "203.0.113.", "192.0.2." }

local function refused(ip)
  for _, prefix in ipairs(REFUSED_PREFIXES) do
    if string.sub(ip, 1, #prefix) == prefix then return prefix end
  end
  return nil
end

function nauthilus_call_feature(request)
  local ip = request.client_ip or ""
  local prefix = refused(ip)
  if prefix == nil then
    return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_OK
  end

  ${B}.custom_log_add("${name}_prefix", prefix)
  ${B}.status_message_set("Login refused from your network")
  return ${B}.FEATURE_TRIGGER_YES, ${B}.FEATURES_ABORT_YES, ${B}.FEATURE_RESULT_OK
end
`,
  },
  {
    kind: 'feature', id: 'redis-login-limit', label: 'Limit logins per user (Redis counter)', description: 'Counts each user\'s logins per minute in Redis and refuses them above a limit.',
    body: (name) => `-- Feature "${name}": at most LIMIT logins per user and minute, counted in Redis (the engine's own connection).
${REDIS}

local LIMIT = 30
local WINDOW_SECONDS = 60

function nauthilus_call_feature(request)
  if request.no_auth or request.username == nil or request.username == "" then
    return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_OK
  end

  local key = "${name}:" .. string.lower(request.username)
  local n, err = nauthilus_redis.redis_incr("default", key)
  if err then
    -- Redis trouble: let the login go on, and say so in the log
    ${B}.custom_log_add("${name}_error", tostring(err))
    return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_FAIL
  end
  if n == 1 then nauthilus_redis.redis_expire("default", key, WINDOW_SECONDS) end

  ${B}.custom_log_add("${name}_count", n)
  if n > LIMIT then
    ${B}.status_message_set("Too many logins, try again later")
    return ${B}.FEATURE_TRIGGER_YES, ${B}.FEATURES_ABORT_YES, ${B}.FEATURE_RESULT_OK
  end
  return ${B}.FEATURE_TRIGGER_NO, ${B}.FEATURES_ABORT_NO, ${B}.FEATURE_RESULT_OK
end
`,
  },
  {
    kind: 'filter', id: 'blank', label: 'Empty filter', description: 'Accepts every authenticated login; put the condition that rejects one in place.',
    body: (name) => `-- Filter "${name}": runs after the backend. Rejecting turns a successful login into a failure.

function nauthilus_call_filter(request)
  if not request.authenticated then
    return ${B}.FILTER_ACCEPT, ${B}.FILTER_RESULT_OK
  end

  -- e.g. refuse a protocol for some accounts: request.account, request.protocol
  local reject = false

  if reject then
    ${B}.custom_log_add("${name}", "rejected")
    return ${B}.FILTER_REJECT, ${B}.FILTER_RESULT_OK
  end

  return ${B}.FILTER_ACCEPT, ${B}.FILTER_RESULT_OK
end
`,
  },
  {
    kind: 'filter', id: 'protocol-per-account', label: 'Refuse a protocol for listed accounts', description: 'Rejects the listed accounts on the listed protocols (e.g. no POP3 for shared mailboxes).',
    body: (name) => `-- Filter "${name}": the accounts below may not log in with the protocols below.

local ACCOUNTS = { ["shared-mailbox"] = true }
local PROTOCOLS = { pop3 = true }

function nauthilus_call_filter(request)
  if not request.authenticated then
    return ${B}.FILTER_ACCEPT, ${B}.FILTER_RESULT_OK
  end

  local account = string.lower(request.account or request.username or "")
  local protocol = string.lower(request.protocol or "")
  if ACCOUNTS[account] and PROTOCOLS[protocol] then
    ${B}.custom_log_add("${name}", account .. " on " .. protocol)
    ${B}.status_message_set(protocol .. " is not allowed for this account")
    return ${B}.FILTER_REJECT, ${B}.FILTER_RESULT_OK
  end

  return ${B}.FILTER_ACCEPT, ${B}.FILTER_RESULT_OK
end
`,
  },
  {
    kind: 'action', id: 'blank', label: 'Log the user', description: 'Adds the user name to the request\'s log line.',
    body: (name) => `-- Action "${name}": runs when a feature triggered (type lua), on brute force, or after every request (type post).

function nauthilus_call_action(request)
  ${B}.custom_log_add("${name}", request.username or "")

  return ${B}.ACTION_RESULT_OK
end
`,
  },
  {
    kind: 'action', id: 'remember-in-redis', label: 'Remember refused clients in Redis', description: 'Adds the client address to a Redis set that expires a day after the last entry.',
    body: (name) => `-- Action "${name}": remembers the client address of each refused login in a Redis set for a day.
${REDIS}

local KEY = "${name}:refused"
local KEEP_SECONDS = 86400

function nauthilus_call_action(request)
  local ip = request.client_ip
  if ip == nil or ip == "" then
    return ${B}.ACTION_RESULT_OK
  end

  local _, err = nauthilus_redis.redis_sadd("default", KEY, ip)
  if err then
    ${B}.custom_log_add("${name}_error", tostring(err))
    return ${B}.ACTION_RESULT_FAIL
  end
  nauthilus_redis.redis_expire("default", KEY, KEEP_SECONDS)
  ${B}.custom_log_add("${name}", ip)

  return ${B}.ACTION_RESULT_OK
end
`,
  },
  {
    kind: 'backend', id: 'hashed-users', label: 'User table with password hashes', description: 'Users and password hashes in a Lua table (real sites query SQL or LDAP here).',
    body: (name) => `-- Backend "${name}": checks the password and says which account the user is.
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_password")
local nauthilus_password = require("nauthilus_password")

-- user -> { account, hash }; real sites query SQL or LDAP here
local USERS = {}

function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local user = USERS[string.lower(request.username)]
  if user == nil then
    return ${B}.BACKEND_RESULT_OK, b
  end

  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = user.account })

  if not request.no_auth then
    local match, err = nauthilus_password.compare_passwords(user.hash, request.password)
    nauthilus_util.if_error_raise(err)
    b:authenticated(match)
  end

  return ${B}.BACKEND_RESULT_OK, b
end

function nauthilus_backend_list_accounts()
  local accounts = {}
  for _, user in pairs(USERS) do
    table.insert(accounts, user.account)
  end
  return ${B}.BACKEND_RESULT_OK, accounts
end
`,
  },
  {
    kind: 'backend', id: 'test-accounts', label: 'Test accounts (plain passwords, for trying things out)', description: 'Two accounts with plain passwords, so the simulator and traffic have someone to log in; never for production.',
    body: (name) => `-- Backend "${name}": fixed test accounts with plain passwords, for trying the pipeline out. Not for production.

local ACCOUNTS = {
  alice = { password = "alice-secret", mail = "alice@example.test" },
  bob = { password = "bob-secret", mail = "bob@example.test" },
}

function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local name = string.lower(request.username or "")
  local account = ACCOUNTS[name]
  if account == nil then
    return ${B}.BACKEND_RESULT_OK, b
  end

  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = name, mail = account.mail })
  if not request.no_auth then
    b:authenticated(request.password == account.password)
  end
  return ${B}.BACKEND_RESULT_OK, b
end

function nauthilus_backend_list_accounts()
  local names = {}
  for name in pairs(ACCOUNTS) do table.insert(names, name) end
  table.sort(names)
  return ${B}.BACKEND_RESULT_OK, names
end
`,
  },
  {
    kind: 'hook', id: 'json-status', label: 'JSON answer with a query parameter', description: 'Answers /api/v1/custom/<name>?user=... with a JSON object.',
    body: (name) => `-- Custom hook "${name}": answers /api/v1/custom/${name}. The returned table is sent as JSON (nil: 204).
dynamic_loader("nauthilus_http_request")
local nauthilus_http_request = require("nauthilus_http_request")

function nauthilus_run_hook(logging, session)
  local who = nauthilus_http_request.get_http_query_param("user")

  return { hook = "${name}", user = who, session = session }
end
`,
  },
  {
    kind: 'hook', id: 'redis-counter', label: 'Read a Redis counter', description: 'Answers /api/v1/custom/<name>?user=... with that user\'s counter from Redis (0 when unset).',
    body: (name) => `-- Custom hook "${name}": answers /api/v1/custom/${name}?user=... with the user's counter kept in Redis.
dynamic_loader("nauthilus_http_request")
local nauthilus_http_request = require("nauthilus_http_request")
${REDIS}

function nauthilus_run_hook(logging, session)
  local user = string.lower(nauthilus_http_request.get_http_query_param("user") or "")
  if user == "" then
    return { error = "add ?user=<name> to the URL" }
  end

  local key = "${name}:" .. user
  local exists, err = nauthilus_redis.redis_exists("default", key)
  if err then
    return { user = user, error = tostring(err) }
  end
  if exists == 0 then
    return { user = user, count = 0 }
  end
  local value, get_err = nauthilus_redis.redis_get("default", key)
  if get_err then
    return { user = user, error = tostring(get_err) }
  end
  return { user = user, count = tonumber(value) or 0 }
end
`,
  },
  {
    kind: 'init', id: 'blank', label: 'Empty init script', description: 'Runs once at start and after every reload.',
    body: (name) => `-- Init script "${name}": runs once at start and after every reload (register Redis pools, metrics, ...).

function nauthilus_run_hook(logging)
  -- e.g. nauthilus_redis.register_redis_pool("sessions", "standalone", { address = "127.0.0.1:6379" })
end
`,
  },
  {
    kind: 'init', id: 'metrics', label: 'Create a Prometheus counter', description: 'Creates a counter the other scripts increase (shown on /metrics).',
    body: (name) => `-- Init script "${name}": creates a Prometheus counter once; scripts increase it with
--   nauthilus_prometheus.increment_counter("${metric(name)}_events_total", { kind = "..." })
dynamic_loader("nauthilus_prometheus")
local nauthilus_prometheus = require("nauthilus_prometheus")

function nauthilus_run_hook(logging)
  nauthilus_prometheus.create_counter_vec("${metric(name)}_events_total", "Events counted by the scripts", { "kind" })
end
`,
  },
];
