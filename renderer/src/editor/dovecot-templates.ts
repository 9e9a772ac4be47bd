// "New script" templates for Dovecot's Lua passdb/userdb driver (run in the Dovecot runner, not by the engine):
// plain Lua against the `dovecot.auth` constants and the request object both Dovecot 2.3 and 2.4 pass.
import type { TemplateBody } from './template-bodies';

const R = 'dovecot.auth';

const ACCOUNTS = `-- user -> password and mailbox fields; real sites ask SQL, LDAP or an HTTP service here
local ACCOUNTS = {
  alice = { password = "alice-secret", quota = "2G" },
  bob = { password = "bob-secret", quota = "1G" },
}`;

const INIT = `function script_init()
  return 0
end

function script_deinit()
end`;

export const DOVECOT_TEMPLATES: Array<TemplateBody<'dovecot'>> = [
  {
    kind: 'dovecot', id: 'passdb-verify', label: 'passdb: check the password (auth_password_verify)', description: 'Dovecot hands the script the plaintext password; the script says OK or mismatch.',
    body: (name) => `-- Dovecot passdb "${name}" (driver = lua): checks plaintext passwords itself.
--   passdb { driver = lua  args = file=/etc/dovecot/lua/${name}.lua blocking=yes }        (2.3)
--   passdb lua { lua_file = /etc/dovecot/lua/${name}.lua }                                 (2.4)

${ACCOUNTS}

${INIT}

function auth_password_verify(req, password)
  local account = ACCOUNTS[req.user]
  if account == nil then
    return ${R}.PASSDB_RESULT_USER_UNKNOWN, "no such user"
  end
  if password ~= account.password then
    req:log_info("${name}: wrong password")
    return ${R}.PASSDB_RESULT_PASSWORD_MISMATCH, ""
  end
  return ${R}.PASSDB_RESULT_OK, { ["userdb_quota_rule"] = "*:storage=" .. account.quota }
end
`,
  },
  {
    kind: 'dovecot', id: 'passdb-lookup', label: 'passdb: hand Dovecot the password (auth_passdb_lookup)', description: 'Returns the stored password; Dovecot checks it (works for CRAM-MD5 and other non-plaintext mechanisms too).',
    body: (name) => `-- Dovecot passdb "${name}" (driver = lua): returns the stored password and Dovecot compares it, so challenge
-- mechanisms (CRAM-MD5, ...) work too. Store hashes with their scheme, e.g. "{SHA512-CRYPT}$6$...".

${ACCOUNTS}

${INIT}

function auth_passdb_lookup(req)
  local account = ACCOUNTS[req.user]
  if account == nil then
    return ${R}.PASSDB_RESULT_USER_UNKNOWN, ""
  end
  return ${R}.PASSDB_RESULT_OK, { password = "{PLAIN}" .. account.password }
end
`,
  },
  {
    kind: 'dovecot', id: 'userdb', label: 'userdb: home, uid and quota (auth_userdb_lookup)', description: 'Answers userdb lookups with the mailbox location and ids; lists users for doveadm.',
    body: (name) => `-- Dovecot userdb "${name}" (driver = lua): where each user's mail lives.
--   userdb { driver = lua  args = file=/etc/dovecot/lua/${name}.lua blocking=yes }        (2.3)
--   userdb lua { lua_file = /etc/dovecot/lua/${name}.lua }                                 (2.4)

${ACCOUNTS}

${INIT}

function auth_userdb_lookup(req)
  local account = ACCOUNTS[req.user]
  if account == nil then
    return ${R}.USERDB_RESULT_USER_UNKNOWN, ""
  end
  return ${R}.USERDB_RESULT_OK, {
    home = "/var/vmail/" .. req.user,
    uid = 5000,
    gid = 5000,
    quota_rule = "*:storage=" .. account.quota,
  }
end

function auth_userdb_iterate()
  local users = {}
  for user in pairs(ACCOUNTS) do table.insert(users, user) end
  table.sort(users)
  return users
end
`,
  },
];
