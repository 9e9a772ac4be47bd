// Test helper: a workspace for the debugger tests — a feature with locals and a Lua backend that requires a
// module of its own (lualib/check.lua), so stepping goes across files. Its line numbers are named here.
import { workspace } from './config-text';

/** Lines the tests set breakpoints on or expect to stop at. */
export const LINES = {
  /** backend.lua: `local known = ...` (first line of nauthilus_backend_verify_password) */
  backendFirst: 5,
  /** backend.lua: the call into lualib/check.lua */
  backendCall: 6,
  /** backend.lua: the line after the call */
  backendAfterCall: 7,
  /** lualib/check.lua: first line of check.same */
  moduleFirst: 4,
  /** features/greet.lua: inside the loop */
  featureLoop: 5,
  /** features/greet.lua: the error a user named "boom" raises */
  featureError: 7,
};

export const BACKEND = 'backend/backend.lua';
export const MODULE = 'lualib/check.lua';
export const FEATURE = 'features/greet.lua';
/** A Dovecot passdb script (the Dovecot runner); line 2 builds the password it expects. */
export const DOVECOT = 'dovecot/passdb.lua';

/** A temp workspace (removed after the test file); carol's password is "open-sesame". */
export function debugWorkspace(): string {
  return workspace({
    'authstudio.yml': [
      'server:',
      '  backends: [lua]',
      '  redis: mock',
      '  lua_script_timeout: 300ms',
      'lua:',
      '  features:',
      '    - name: greet',
      '      script_path: ./features/greet.lua',
      '  config:',
      '    script_path: ./backend/backend.lua',
      '    package_path: ./lualib/?.lua',
      '',
    ].join('\n'),
    [BACKEND]: [
      '-- One user; the password is compared in a module of its own.',
      'local check = require("check")',
      '',
      'function nauthilus_backend_verify_password(request)',
      '  local known = request.username == "carol"',
      '  local matches = check.same(request.password, "open-sesame")',
      '  local b = nauthilus_backend_result.new()',
      '  b:user_found(known)',
      '  b:authenticated(known and matches)',
      '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
      'end',
      '',
    ].join('\n'),
    [MODULE]: [
      '-- Password comparison (the debugger steps into here).',
      'local M = {}',
      'function M.same(given, wanted)',
      '  local equal = given == wanted',
      '  return equal',
      'end',
      'return M',
      '',
    ].join('\n'),
    [DOVECOT]: [
      'function auth_passdb_lookup(req)',
      '  local wanted = "secret-" .. req.user',
      '  if req.password ~= wanted then return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "wrong password" end',
      '  return dovecot.auth.PASSDB_RESULT_OK, "password=" .. wanted',
      'end',
      '',
    ].join('\n'),
    [FEATURE]: [
      '-- Counts the letters of the user name (a loop for hit-count breakpoints and log points).',
      'function nauthilus_call_feature(request)',
      '  local letters = 0',
      '  for i = 1, #request.username do',
      '    letters = letters + 1',
      '  end',
      '  if request.username == "boom" then error("no user may be called " .. request.username) end',
      '  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_YES',
      'end',
      '',
    ].join('\n'),
  });
}
