// The Lua backend's MFA entry points of Nauthilus 3.0 (core/lua.go, core/lua_webauthn.go, backend/lua.go
// setLuaRequestParameters and handleReturnTypes, v3.0.1): TOTP secret removal, TOTP recovery codes and WebAuthn
// credentials. Nauthilus calls them from its identity provider's MFA pages; AuthStudio serves no such pages, so
// the engine offers them as calls (AuthEngine.backendCommand) for the studio and tests.
//
//   command -> request table (the fields Nauthilus sets for it) -> nauthilus_backend_<command>(request)
//           -> first return value 0: done (get_webauthn_credentials: the second, a list of JSON strings)
//           -> anything else: "Lua script finished with an error"
import { AuthStudioError } from '../errors/registry';
import { CallContext } from '../lua/call-context';
import { chunkName } from '../lua/chunk-name';
import type { ScriptRef } from '../config/types';
import type { ScriptPool } from '../lua/script-pool';
import { encodeLuaRequest, V3_FIELD_DEFAULTS, type LuaRequestFields } from './lua-request';
import { runLuaStage } from './lua-stages';

/** The commands and the entry function each calls (definitions.LuaFnBackend*). */
export const BACKEND_COMMANDS = {
  delete_totp: 'nauthilus_backend_delete_totp',
  add_totp_recovery_codes: 'nauthilus_backend_add_totp_recovery_codes',
  delete_totp_recovery_codes: 'nauthilus_backend_delete_totp_recovery_codes',
  get_webauthn_credentials: 'nauthilus_backend_get_webauthn_credentials',
  save_webauthn_credential: 'nauthilus_backend_save_webauthn_credential',
  delete_webauthn_credential: 'nauthilus_backend_delete_webauthn_credential',
  update_webauthn_credential: 'nauthilus_backend_update_webauthn_credential',
} as const;
export type BackendCommand = keyof typeof BACKEND_COMMANDS;

/** What a command is about: the user, and the codes or credentials it stores. */
export interface BackendCommandArgs {
  username: string;
  service?: string;
  /** The account (recovery codes: auth.GetAccount()); defaults to the username. */
  account?: string;
  /** add_totp_recovery_codes: the new codes (request.totp_recovery_codes, only when there are any). */
  codes?: string[];
  /** save/delete/update_webauthn_credential: the credential as JSON (request.webauthn_credential). */
  credential?: string;
  /** update_webauthn_credential: the credential it replaces, as JSON (request.webauthn_old_credential). */
  oldCredential?: string;
}

export interface BackendCommandTarget {
  pool: ScriptPool | undefined;
  script: ScriptRef | undefined;
  debug: boolean;
  timeoutMs: number;
}

/** The request table of a command: CommonRequest's fields, with the ones Nauthilus sets for this command. */
function requestOf(cmd: BackendCommand, a: BackendCommandArgs, session: string, debug: boolean): LuaRequestFields {
  const fields: LuaRequestFields = {
    ...V3_FIELD_DEFAULTS, debug, session, username: a.username, service: a.service ?? '', account: '',
    user_found: false, authenticated: false, no_auth: false, client_ip: '', client_port: '', local_ip: '', local_port: '',
  };
  if (cmd === 'add_totp_recovery_codes' || cmd === 'delete_totp_recovery_codes') {
    // core/lua.go AddTOTPRecoveryCodes / DeleteTOTPRecoveryCodes: a user that is found and authenticated
    Object.assign(fields, { user_found: true, authenticated: true, account: a.account ?? a.username });
  }
  if (cmd === 'save_webauthn_credential' || cmd === 'delete_webauthn_credential' || cmd === 'update_webauthn_credential') {
    fields.webauthn_credential = a.credential ?? '';
  }
  if (cmd === 'update_webauthn_credential') fields.webauthn_old_credential = a.oldCredential ?? '';
  return fields;
}

/**
 * Run one command on the default Lua backend. Resolves to the credentials (get_webauthn_credentials: each JSON
 * string the script listed that parses, as Nauthilus unmarshals them and skips the rest) or undefined.
 */
export async function runBackendCommand(t: BackendCommandTarget, cmd: BackendCommand, a: BackendCommandArgs): Promise<unknown[] | undefined> {
  if (!t.pool || !t.script) throw new AuthStudioError('AS_ERR_BACKEND', 'no Lua backend is configured (lua.config.backend_script_path)');
  if (cmd === 'add_totp_recovery_codes' && !a.codes?.every((c) => typeof c === 'string')) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'add_totp_recovery_codes needs a list of codes (strings)', { path: 'codes' });
  }
  const call = new CallContext(`${cmd}-${Date.now().toString(36)}`);
  const encoded = encodeLuaRequest(requestOf(cmd, a, call.session, t.debug));
  const codes = cmd === 'add_totp_recovery_codes' && a.codes!.length > 0 ? a.codes! : undefined;
  const r = await runLuaStage(t.pool, 'backend', 'lua', chunkName(t.script), 'backend_command', encoded, call, t.timeoutMs, [BACKEND_COMMANDS[cmd], codes]);
  if (r.error) throw r.error;
  if (r.values[0] !== 0) throw new AuthStudioError('AS_ERR_BACKEND', `${BACKEND_COMMANDS[cmd]}: Lua script finished with an error (returned ${String(r.values[0])})`);
  if (cmd !== 'get_webauthn_credentials') return undefined;
  const out: unknown[] = [];
  // (an empty Lua table arrives as {}, a list as an array)
  const list = r.values[1];
  for (const s of Array.isArray(list) ? list : Object.values((list as Record<string, unknown>) ?? {})) {
    if (typeof s !== 'string') continue;
    try {
      out.push(JSON.parse(s));
    } catch {
      // json.Unmarshal failed: Nauthilus leaves the credential out
    }
  }
  return out;
}
