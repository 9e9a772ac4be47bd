// Every expected error AuthStudio reports, with a stable code, an HTTP status and a user-facing message.

/** One entry of the error registry. */
export interface ErrorSpec {
  /** HTTP status used when the error reaches an HTTP client. */
  status: number;
  /** What went wrong, in words a user can act on. */
  summary: string;
}

/**
 * The registry of error codes. `docs/errors.md` documents each one; a test keeps the two in step.
 */
export const ERRORS = {
  AS_ERR_CONFIG_YAML: { status: 400, summary: 'The configuration file is not valid YAML.' },
  AS_ERR_CONFIG_UNKNOWN_KEY: { status: 400, summary: 'The configuration names a key AuthStudio does not know (a typo is never ignored).' },
  AS_ERR_CONFIG_TYPE: { status: 400, summary: 'A configuration value has the wrong type or is out of range.' },
  AS_ERR_CONFIG_MISSING: { status: 400, summary: 'A required configuration key is missing.' },
  AS_ERR_CONFIG_ENV: { status: 400, summary: 'A ${VAR} reference names an environment variable that is not set.' },
  AS_ERR_CONFIG_CONFLICT: { status: 400, summary: 'Two configuration entries clash: a duplicate name, or two keys that exclude each other.' },
  AS_ERR_CONFIG_FILE: { status: 400, summary: 'A file named by the configuration cannot be read.' },
  AS_ERR_LUA_SYNTAX: { status: 400, summary: 'A Lua script does not compile.' },
  AS_ERR_LUA_LOAD: { status: 400, summary: 'A Lua script raised an error while it was loaded.' },
  AS_ERR_LUA_ENTRY: { status: 400, summary: 'A Lua script does not define the entry function its kind needs.' },
  AS_ERR_LUA_RUNTIME: { status: 500, summary: 'A Lua script raised an error while it ran.' },
  AS_ERR_LUA_TIMEOUT: { status: 500, summary: 'A Lua script ran longer than lua_script_timeout.' },
  AS_ERR_LUA_MEMORY: { status: 500, summary: 'A Lua script used more memory than its VM may.' },
  AS_ERR_LUA_NUMBER_TEXT: { status: 400, summary: 'A script concatenates a division\'s result: Lua 5.1 (Nauthilus) writes "3", Lua 5.4 "3.0" (a check warning).' },
  AS_ERR_LUA_UNDEFINED: { status: 400, summary: 'A script uses a global, or a field of a host module, the API of its profile does not have (a typo such as nauthilus_bultin): calling or indexing it fails every run.' },
  AS_ERR_LUA_ARGUMENTS: { status: 400, summary: 'A script calls a host function with more or fewer arguments than its documented signature takes (a check warning).' },
  AS_ERR_LUA_VERSION: { status: 400, summary: 'A script uses Lua 5.3/5.4 (this engine) where Nauthilus runs Lua 5.1: an operator, attribute or library name 5.1 lacks (a check warning).' },
  AS_ERR_POLICY_CONFIG: { status: 500, summary: 'A Nauthilus 3.x policy (auth.policy) cannot be built: a registry script failed, or a rule names an unknown attribute or compares it with a value of the wrong type.' },
  AS_ERR_LUA_INIT: { status: 500, summary: 'An init script does not compile, or failed while it ran (logged; the engine goes on).' },
  AS_ERR_POOL_BUSY: { status: 503, summary: 'Too many requests are in flight (max_concurrent_requests).' },
  AS_ERR_REDIS: { status: 500, summary: 'Redis did not answer or answered with an error.' },
  AS_ERR_BACKEND: { status: 500, summary: 'The authentication backend failed.' },
  AS_ERR_BAD_REQUEST: { status: 400, summary: 'The request is malformed or a field has a wrong value.' },
  AS_ERR_UNAUTHORIZED: { status: 401, summary: 'The API needs credentials that were missing or wrong.' },
  AS_ERR_FORBIDDEN: { status: 403, summary: 'The caller is authenticated but lacks a role this endpoint needs.' },
  AS_ERR_UNTRUSTED_CALLER: { status: 403, summary: 'Only a trusted caller (API credentials, or an address in server.trusted_proxies) may ask for this mode, or call admin endpoints and hooks when no API credentials are configured.' },
  AS_ERR_TOO_MANY_ATTEMPTS: { status: 429, summary: 'Too many failed token requests from this address; wait for Retry-After.' },
  AS_ERR_NOT_FOUND: { status: 404, summary: 'There is nothing at this path.' },
  AS_ERR_SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down and takes no new requests.' },
  AS_ERR_INTERNAL: { status: 500, summary: 'A bug in AuthStudio (logged with details on the server); the request is a temporary failure.' },
  AS_ERR_PATH_REFUSED: { status: 403, summary: 'A workspace path points outside the workspace (.., an absolute path, a symlink out) or into .authstudio/.' },
  AS_ERR_FILE_EXISTS: { status: 409, summary: 'A file or folder of that name already exists in the workspace.' },
  AS_ERR_FILE_CONFLICT: { status: 409, summary: 'The file changed on disk since it was opened; saving would overwrite that change.' },
  AS_ERR_STUDIO_UNREACHABLE: { status: 503, summary: 'The studio server cannot be reached (the client could not connect).' },
  AS_ERR_CLI_USAGE: { status: 400, summary: 'The command line is incomplete or names an unknown option.' },
  AS_ERR_ADDRESS_IN_USE: { status: 500, summary: 'The address the server should listen on is taken by another process, or may not be used.' },
  AS_ERR_TEST_FILE: { status: 400, summary: 'A test file of `authstudio test` (tests/*.test.yml or a Nauthilus fixture) is malformed.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Where in a file an error was found. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/**
 * An expected error: bad input, a failing script, an unavailable service.
 * Bugs are plain `Error`s and are never shown to users as their mistake.
 */
export class AuthStudioError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly location?: SourceLocation;
  /** Key path in the configuration (`lua.features[0].script_path`) or request field name. */
  readonly path?: string;
  /** 'warning': reported by checks, but the engine runs with it (a failing init script). */
  readonly severity: 'error' | 'warning';
  /** A Lua runtime error's call stack: the workspace frames, innermost first. */
  readonly traceback?: Array<{ file: string; line: number; function?: string }>;

  constructor(code: ErrorCode, message: string, opts: {
    location?: SourceLocation; path?: string; cause?: unknown; severity?: 'error' | 'warning';
    traceback?: Array<{ file: string; line: number; function?: string }>;
  } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AuthStudioError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.location = opts.location;
    this.path = opts.path;
    this.severity = opts.severity ?? 'error';
    if (opts.traceback?.length) this.traceback = opts.traceback;
  }

  /** `file:line:column: message` as editors and compilers print it. */
  format(): string {
    const loc = this.location;
    if (!loc) return this.message;
    let where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}`;
    if (loc.column !== undefined) where += `:${loc.column}`;
    return `${where}: ${this.message}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, location: this.location, path: this.path };
  }
}

export function isAuthStudioError(e: unknown): e is AuthStudioError {
  return e instanceof AuthStudioError;
}
