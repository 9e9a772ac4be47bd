-- Sample Lua backend: a few users held in memory, passwords stored as {SSHA256} hashes.
-- Real sites query SQL or LDAP here (see the seed's MySQL example); the contract is the same.
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_password")
local nauthilus_password = require("nauthilus_password")

-- user -> { account, hash, display name }
-- alice: alice-secret, bob: bob-secret (salted SHA-256, base64 of digest .. salt)
local USERS = {
  alice = { account = "alice@example.com", hash = "{SSHA256}38E2T3LKaZ1P0r2JpZJno0LDEhbxVUeE4zdWOmXxN/lzYWx0MTIzNA==", name = "Alice Example" },
  bob = { account = "bob@example.com", hash = "{SSHA256}ixSEO/oFa/ZlTBkYi7g8OwUfxlz10amcwM5IMdT9yvBzYWx0NTY3OA==", name = "Bob Example" },
}

-- account -> user: a login may name the account too, as with a real backend's
-- `WHERE username = ? OR account = ?` (Dovecot looks the user up again by the Auth-User it was given)
local BY_ACCOUNT = {}
for _, user in pairs(USERS) do BY_ACCOUNT[string.lower(user.account)] = user end

function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local login = string.lower(request.username)
  local user = USERS[login] or BY_ACCOUNT[login]
  if user == nil then
    return nauthilus_builtin.BACKEND_RESULT_OK, b
  end

  b:user_found(true)
  b:account_field("account")
  b:display_name_field("display_name")
  b:attributes({ account = user.account, display_name = user.name })

  if not request.no_auth then
    local match, err = nauthilus_password.compare_passwords(user.hash, request.password)
    nauthilus_util.if_error_raise(err)
    b:authenticated(match)
  end

  return nauthilus_builtin.BACKEND_RESULT_OK, b
end

function nauthilus_backend_list_accounts()
  local accounts = {}
  for _, user in pairs(USERS) do
    table.insert(accounts, user.account)
  end
  table.sort(accounts)
  return nauthilus_builtin.BACKEND_RESULT_OK, accounts
end
