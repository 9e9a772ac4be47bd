// The Dovecot harness' vocabulary: result codes of Dovecot 2.3/2.4 (the same values), login options, and what one
// run reports.

/** Which Dovecot the harness imitates: 2.3 (default, 2.3.19.1) or 2.4 (2.4.1, Debian 13). */
export type DovecotVersion = '2.3' | '2.4';

/** `dovecot.auth` constants with their Dovecot 2.3 values (pushed to Lua as floats, as Dovecot does). */
export const PASSDB_RESULTS = {
  PASSDB_RESULT_INTERNAL_FAILURE: -1,
  PASSDB_RESULT_SCHEME_NOT_AVAILABLE: -2,
  PASSDB_RESULT_USER_UNKNOWN: -3,
  PASSDB_RESULT_USER_DISABLED: -4,
  PASSDB_RESULT_PASS_EXPIRED: -5,
  PASSDB_RESULT_NEXT: -6,
  PASSDB_RESULT_PASSWORD_MISMATCH: 0,
  PASSDB_RESULT_OK: 1,
} as const;

export const USERDB_RESULTS = {
  USERDB_RESULT_INTERNAL_FAILURE: -1,
  USERDB_RESULT_USER_UNKNOWN: -2,
  USERDB_RESULT_OK: 1,
} as const;

export type PassdbStatus = keyof typeof PASSDB_RESULTS;
export type UserdbStatus = keyof typeof USERDB_RESULTS;

/** The constant name for a passdb result value; unknown values read `PASSDB_RESULT_<n>`. */
export function passdbStatusName(code: number): string {
  for (const [k, v] of Object.entries(PASSDB_RESULTS)) if (v === code) return k;
  return `PASSDB_RESULT_${code}`;
}

export function userdbStatusName(code: number): string {
  for (const [k, v] of Object.entries(USERDB_RESULTS)) if (v === code) return k;
  return `USERDB_RESULT_${code}`;
}

/** Which lookup to run. `passdb` is a login (password check), `userdb` a user lookup, `iterate` lists users. */
export type DovecotAction = 'passdb' | 'userdb' | 'iterate';

/** One simulated client connection, as Dovecot's auth request would see it. */
export interface DovecotLogin {
  user: string;
  /** The plaintext password (PLAIN/LOGIN). Not given to the script for other mechanisms or userdb lookups. */
  password?: string;
  /** Default "imap". */
  service?: string;
  /** SASL mechanism; an IMAP LOGIN is PLAIN. Default PLAIN. */
  mech?: string;
  /** rip: nil when not given (like `doveadm auth test` without `-x rip=`). */
  remoteIp?: string;
  remotePort?: number;
  localIp?: string;
  localPort?: number;
  /** Session id; nil when not given (doveadm), IMAP logins have one. */
  session?: string;
  /** "", "secured" or "TLS"; default "secured" when rip equals lip (Dovecot trusts loopback), else "". */
  secured?: '' | 'secured' | 'TLS';
  clientId?: string;
  /** Set by the harness for a master passdb lookup: the user the master user logs in as (`req.login_user`). */
  loginUser?: string;
  /** Fields earlier passdbs set (`req.passdb[k]`); for userdb lookups. */
  passdbFields?: Record<string, string>;
}

/** How the harness is set up (the passdb/userdb `args` and auth settings that change behaviour). */
export interface DovecotSettings {
  /** `blocking=yes` (default) runs in auth-worker; only changes the log prefix. */
  blocking?: boolean;
  /** auth_verbose: req:log_info and "Password mismatch" lines are logged. Default true. */
  authVerbose?: boolean;
  /** auth_debug: req:log_debug lines are logged. Default false. */
  authDebug?: boolean;
  /** Host paths to read instead of script paths: `{ "/etc/dovecot/lua": "./my-lua" }` (for require/dofile). */
  pathMap?: Record<string, string>;
  /** What `os.getenv` sees (default process.env). Dovecot only passes `import_environment` variables. */
  env?: Record<string, string | undefined>;
  /**
   * auth_master_user_separator (e.g. "*"): a login `user*master` is checked by the master passdb
   * (`masterScript`) with the master's password, then logs in as `user`. Default "*" when a master script is given.
   */
  masterSeparator?: string;
  /** The Dovecot profile (default 2.3): Lua API, request fields, return rules and log lines of that version. */
  dovecot?: DovecotVersion;
  /** 2.4: the passdb's `lua_settings { }` (script_init's argument). */
  luaSettings?: Record<string, string>;
  /** 2.4: the passdb's name (`passdb NAME { driver = lua }`), shown in its log lines; default "lua". */
  passdbName?: string;
  /**
   * Send requests for a URL prefix elsewhere: `{ "https://nextcloud.example.com": "http://127.0.0.1:8123" }`. The script,
   * its logs and the recorded calls keep the URL it asked for; the result's notes say which stand-in answered.
   */
  urlMap?: Record<string, string>;
  /** Give up on one call after this long (default 180 s: above Dovecot's 60 s HTTP timeout). */
  callTimeoutMs?: number;
}

/** One Dovecot log line. `text` is the line as Dovecot writes it, without the timestamp. */
export interface DovecotLogLine {
  level: 'debug' | 'info' | 'warning' | 'error' | 'fatal' | 'panic';
  text: string;
}

/** One request made through dovecot.http.client (Authorization values are masked). */
export interface DovecotHttpCall {
  method: string;
  url: string;
  requestHeaders: Array<[string, string]>;
  payloadBytes: number;
  status: number;
  reason: string;
  durationMs: number;
}

/** What one run of a script gives: Dovecot's verdict, what the client sees, and what happened on the way. */
export interface DovecotResult {
  action: DovecotAction;
  /** The entry function called (auth_password_verify, auth_passdb_lookup, auth_userdb_lookup, auth_userdb_iterate). */
  entry: string;
  /**
   * Final result constant name after Dovecot's own checks (e.g. OK without password -> PASSDB_RESULT_PASSWORD_MISMATCH),
   * or `AUTH_PROCESS_BROKEN` when loading or script_init failed (Dovecot's auth process never starts; `code` is -1).
   */
  status: string;
  /** Its numeric value. */
  code: number;
  /** What the script itself returned as status (before Dovecot's checks), when it returned one. */
  scriptStatus?: number;
  /**
   * Extra fields Dovecot keeps (only on OK; `password`, `nopassword` and the other fields Dovecot acts on are never
   * shown), plus what Dovecot's reply adds: `user` after a rename or a master login, `original_user` when the login
   * as typed differs from the user, `auth_user` for a master login. A failed master login shows `user` (the master).
   */
  fields: Record<string, string>;
  /** ok / fail / tempfail, as a client sees it. */
  outcome: 'ok' | 'fail' | 'tempfail';
  /** The IMAP answer to `a LOGIN` (passdb only), e.g. `NO [AUTHENTICATIONFAILED] Authentication failed.` */
  imap?: string;
  /** The `code=` field `doveadm auth test` shows on failure (temp_fail, user_disabled, pass_expired). */
  failCode?: string;
  /** auth_userdb_iterate: the user names. */
  users?: string[];
  http: DovecotHttpCall[];
  logs: DovecotLogLine[];
  /** Lines the script printed with print() (Dovecot discards them). */
  stdout: string[];
  /** Where the harness had to differ from a real Dovecot (e.g. a mapped module path). */
  notes: string[];
  durationMs: number;
}
