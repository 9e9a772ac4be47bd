// New scripts: a template per kind with the right entry function and return values, and the config entry that
// makes the engine run it.
import type { ScriptKind } from '../file-kinds';

const B = 'nauthilus_builtin';

const BODIES: Record<ScriptKind, (name: string) => string> = {
  feature: (name) => `-- Feature "${name}": runs before the password is checked. Triggering it fails the login and runs the "lua" actions.
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
  filter: (name) => `-- Filter "${name}": runs after the backend. Rejecting turns a successful login into a failure.

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
  action: (name) => `-- Action "${name}": runs when a feature triggered (type lua), on brute force, or after every request (type post).

function nauthilus_call_action(request)
  ${B}.custom_log_add("${name}", request.username or "")

  return ${B}.ACTION_RESULT_OK
end
`,
  backend: (name) => `-- Backend "${name}": checks the password and says which account the user is.
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
  hook: (name) => `-- Custom hook "${name}": answers /api/v1/custom/${name}. The returned table is sent as JSON (nil: 204).
dynamic_loader("nauthilus_http_request")
local nauthilus_http_request = require("nauthilus_http_request")

function nauthilus_run_hook(logging, session)
  local who = nauthilus_http_request.get_http_query_param("user")

  return { hook = "${name}", user = who, session = session }
end
`,
  init: (name) => `-- Init script "${name}": runs once at start and after every reload (register Redis pools, metrics, ...).

function nauthilus_run_hook(logging)
  -- e.g. nauthilus_redis.register_redis_pool("sessions", "standalone", { address = "127.0.0.1:6379" })
end
`,
};

/** A new script of `kind` named `name` (entry function and return values already written). */
export function scriptTemplate(kind: ScriptKind, name: string): string {
  return BODIES[kind](name);
}

/** The lines of authstudio.yml that make the engine run the script, and the list they belong to. */
export function configEntry(kind: ScriptKind, name: string, path: string): { section?: string; lines: string[]; single?: string } {
  const p = `./${path}`;
  switch (kind) {
    case 'feature': return { section: 'features', lines: [`- name: ${name}`, `  script_path: ${p}`] };
    case 'filter': return { section: 'filters', lines: [`- name: ${name}`, `  script_path: ${p}`] };
    case 'action': return { section: 'actions', lines: [`- type: lua`, `  name: ${name}`, `  script_path: ${p}`] };
    case 'hook': return { section: 'custom_hooks', lines: [`- http_location: ${name}`, `  http_method: GET`, `  script_path: ${p}`] };
    case 'backend': return { lines: [], single: `lua.config.backend_script_path: ${p}` };
    case 'init': return { lines: [], single: `lua.config.init_script_path: ${p}` };
  }
}

/**
 * authstudio.yml with the entry appended to `lua.<section>` when that list is written in block style; undefined
 * when the file is laid out otherwise (the dialog then shows the lines to add by hand).
 */
export function addToConfig(yaml: string, entry: { section?: string; lines: string[] }): string | undefined {
  if (!entry.section) return undefined;
  const lines = yaml.split('\n');
  const lua = lines.findIndex((l) => /^lua:\s*(#.*)?$/.test(l));
  if (lua < 0) return undefined;
  const head = lines.findIndex((l, i) => i > lua && new RegExp(`^(\\s+)${entry.section}:\\s*(#.*)?$`).test(l));
  if (head < 0) return undefined;
  const indent = /^(\s+)/.exec(lines[head])![1].length;
  let end = head + 1;
  let itemIndent = indent + 2;
  while (end < lines.length && (lines[end].trim() === '' || /^(\s*)/.exec(lines[end])![1].length > indent)) {
    if (lines[end].trim().startsWith('- ')) itemIndent = /^(\s*)/.exec(lines[end])![1].length;
    end++;
  }
  while (end > head + 1 && lines[end - 1].trim() === '') end--;
  const pad = ' '.repeat(itemIndent);
  lines.splice(end, 0, ...entry.lines.map((l) => pad + l));
  return lines.join('\n');
}
