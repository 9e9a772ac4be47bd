// The data the studio contract carries: files, reloads, simulations, traffic runs, Redis keys, logs, export/import.
// Plain JSON shapes only (no imports, no classes), shared by the engine, every transport and the renderer.
import type { Diagnostic } from './contract';

// ---- workspace -------------------------------------------------------------------------------------

export interface FileEntry {
  /** Workspace-relative, forward slashes. */
  path: string;
  kind: 'file' | 'directory';
  size: number;
  mtime_ms: number;
}

export interface FileContent {
  path: string;
  content: string;
  /** Content hash: pass it back as `base_version` to refuse overwriting someone else's edit. */
  version: string;
  size: number;
  mtime_ms: number;
}

/** The outcome of one reload (after a save, an external edit, a settings change or on request). */
export interface ReloadResult {
  ok: boolean;
  trigger: 'save' | 'external' | 'manual' | 'startup' | 'coverage';
  /** Files whose change caused it. */
  files: string[];
  /** Engine generation now serving (unchanged when ok is false). */
  generation: number;
  /** From the start of the reload (config validation included) until new requests use the new version. */
  duration_ms: number;
  diagnostics: Diagnostic[];
}

export interface SaveResult {
  path: string;
  /** Version of the content now on disk (absent after a delete). */
  version?: string;
  /** Present when the change touched the config or a Lua file (a reload ran). */
  reload?: ReloadResult;
}

export interface FilesChangedEvent {
  paths: string[];
  source: 'studio' | 'external';
}

export interface StudioStatus {
  workspace: string;
  /** Workspace-relative path of the config file. */
  config_file: string;
  generation: number;
  /** False while the last reload failed (the previous version keeps serving). */
  healthy: boolean;
  diagnostics: Diagnostic[];
  last_reload?: ReloadResult;
  redis: RedisStatus;
  in_flight: number;
  /** The Nauthilus version the workspace targets and its config file's layout (see docs/nauthilus-3-config.md). */
  profile: StudioProfile;
  /** The custom hooks the serving generation routes (for the hook runner). */
  hooks?: Array<{ location: string; method: string; script: string }>;
  /** Scripts' runtime errors seen since their file's version went live (simulations, traffic runs, real traffic). */
  runtime_errors?: RuntimeProblem[];
}

/**
 * One runtime error of a script as Problems lists it: one entry per stage, place and message, counted. It goes away
 * when a new version of its file goes live, or when its stage runs clean.
 */
export interface RuntimeProblem {
  /** Workspace-relative file and line where the error was raised (absent when Lua named no place). */
  file?: string;
  line?: number;
  message: string;
  stage: string;
  /** The script's configured name. */
  name: string;
  traceback: TraceFrame[];
  count: number;
  /** Epoch ms. */
  first_seen: number;
  last_seen: number;
  /** The session of the last request that hit it. */
  session?: string;
}

/** The runtimeErrors event: every current runtime problem (sent when the list changes). */
export interface RuntimeErrorsEvent {
  problems: RuntimeProblem[];
}

/** `nauthilus:` in the config, or what its layout implies; `detected` is true when the key is absent. */
export interface StudioProfile {
  nauthilus: '1.10' | '1.12' | '3.0' | '3.1';
  layout: '1.x' | '3.x';
  detected: boolean;
}

// ---- simulator -------------------------------------------------------------------------------------

export type PresetId =
  | 'dovecot-imap' | 'dovecot-pop3' | 'dovecot-sieve' | 'dovecot-lmtp' | 'dovecot-submission'
  | 'nginx-imap' | 'nginx-pop3' | 'nginx-smtp' | 'postfix-submission' | 'custom';

/** Fields a simulated client sends (what each preset maps onto its wire format). */
export interface SimFields {
  username: string;
  password: string;
  protocol: string;
  client_ip: string;
  client_port: string;
  client_hostname: string;
  client_id: string;
  local_ip: string;
  local_port: string;
  method: string;
  ssl: string;
  ssl_protocol: string;
  user_agent: string;
}

export interface PresetInfo {
  id: PresetId;
  label: string;
  /** Which real client it imitates. */
  client: string;
  http_method: 'GET' | 'POST';
  endpoint: string;
  mode: 'auth' | 'no-auth';
  description: string;
  defaults: SimFields;
}

/** An HTTP request as sent on the wire (body as text). */
export interface WireRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface SimulateInput {
  preset: PresetId;
  username?: string;
  password?: string;
  mode?: 'auth' | 'no-auth' | 'list-accounts';
  /** Overrides of the preset's default fields. */
  fields?: Partial<SimFields>;
  /** `custom` only: send exactly this to an /api/v1/auth/ endpoint. */
  request?: { method?: 'GET' | 'POST'; url: string; headers?: Record<string, string>; body?: string | Record<string, unknown> };
}

/** One thing a script did (a Redis command, an HTTP call, a log line), with the stage it ran in. */
export interface TraceEvent {
  stage: string;
  name: string;
  kind: string;
  at_ms: number;
  detail: Record<string, unknown>;
}

export type StageKind =
  | 'brute_force' | 'feature' | 'tls_encryption' | 'relay_domains' | 'rbl' | 'cache' | 'backend'
  | 'filter' | 'action' | 'post_action' | 'hook' | 'policy'
  /** Dovecot script runs (runDovecot): Dovecot's auth process loading the script, and one lookup. */
  | 'dovecot_init' | 'passdb' | 'userdb';

/**
 * One stage of a request, as `authstudio simulate --json` prints it: the engine's own trace record
 * (engine/pipeline/trace.ts uses this type), so the CLI, the studio and the logs cannot drift apart.
 */
export interface TraceStage {
  stage: StageKind;
  /** The script's configured name, or the built-in check's name. */
  name: string;
  duration_ms: number;
  /** What the stage decided: ok | fail | error | triggered | accept | reject | authenticated | ... */
  result: string;
  triggered?: boolean;
  abort?: boolean;
  reject?: boolean;
  /** custom_log_add pairs made during this stage. */
  logs: Record<string, string>;
  status_message?: string;
  /** `file:line: message` of a Lua error, or a description of what failed. */
  error?: string;
  /** A Lua error's call stack: the frames in workspace files (scripts and the modules they require), innermost first. */
  traceback?: TraceFrame[];
  /** Nauthilus 3.x policy layer: which policy decided (or would have, in observe mode) and the attributes it saw. */
  policy?: TracePolicy;
  /** Redis commands, HTTP calls and log lines made during this stage (studio traces only). */
  events?: Array<{ kind: string; at_ms: number; detail: Record<string, unknown> }>;
  /** OpenTelemetry spans the stage's scripts started (nauthilus_opentelemetry; tracing on and the request sampled). */
  spans?: TraceSpan[];
}

/** One span a script made, as the trace shows it (and an OTLP receiver gets it). */
export interface TraceSpan {
  name: string;
  /** The tracer's instrumentation scope (`otel.tracer(scope)`; "nauthilus/lua" for default_tracer). */
  scope: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  trace_id: string;
  span_id: string;
  /** The span it nests under: the request span, or a span the script started before. */
  parent_span_id?: string;
  parent_name?: string;
  /** ms since the request span started. */
  start_ms: number;
  /** Absent while the span was not ended when its stage finished. */
  duration_ms?: number;
  attributes: Record<string, string | number | boolean | Array<string | number | boolean>>;
  events: Array<{ name: string; at_ms: number; attributes: Record<string, unknown> }>;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
}

/** One frame of a Lua traceback: a workspace-relative file and line, and what Lua calls the function. */
export interface TraceFrame {
  file: string;
  line: number;
  /** "function 'helper'", "local 'check'", "main chunk", "function <lib/x.lua:3>" */
  function?: string;
}

export interface TracePolicy {
  mode: 'enforce' | 'observe';
  /** The stage of the selected policy (pre_auth, auth_decision, ...). */
  stage: string;
  /** The selected policy's name ("custom_default_deny" when none matched). */
  policy: string;
  decision: 'permit' | 'deny' | 'tempfail' | 'neutral';
  /** False in observe mode: logged, not applied. */
  enforced: boolean;
  reason?: string;
  obligations: string[];
  advice: string[];
  /** Every policy attribute collected so far, by id. */
  attributes: Record<string, unknown>;
  /** The configured checks of the request's plans that ran or were skipped so far, and why a skipped one was. */
  checks?: Array<{ name: string; type: string; stage: string; status: 'ran' | 'skipped'; reason?: string }>;
}

export type Decision = 'ok' | 'fail' | 'tempfail';

export interface SimulationResult {
  preset: PresetId;
  decision: Decision;
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
  session?: string;
  status_message?: string;
  /** Every stage, post actions included (they are awaited). */
  trace: TraceStage[];
  events: TraceEvent[];
  request: WireRequest;
  latency_ms: number;
  generation: number;
  /** The stage that decided, as a saved request's expect.decided_by names it (`feature:blocklist`, `backend:lua`). */
  decided_by?: string;
}

// ---- Dovecot scripts -------------------------------------------------------------------------------

export type DovecotProfile = '2.3' | '2.4';
/**
 * passdb_verify: a login with the password (auth_password_verify when the script has it and the mechanism is
 * plaintext, else auth_passdb_lookup and Dovecot's password check); passdb_lookup: a credentials lookup as a
 * non-plaintext mechanism (CRAM-MD5, ...) does it, no password given to the script; userdb_lookup: auth_userdb_lookup.
 */
export type DovecotLookup = 'passdb_verify' | 'passdb_lookup' | 'userdb_lookup';

/** One run of a Dovecot Lua passdb/userdb script in the harness (paths are workspace-relative). */
export interface DovecotRunInput {
  /** The script (a workspace file). */
  path: string;
  /** Run this text instead of the saved file (an unsaved editor buffer). */
  source?: string;
  /** The Dovecot to imitate; default 2.3. */
  profile?: DovecotProfile;
  /** Default passdb_verify. */
  lookup?: DovecotLookup;
  /** The login name as the client sends it (for a master login: the user to log in as). */
  user: string;
  password?: string;
  /** imap, pop3, submission, lmtp, ... (`req.service` in 2.3, `req.protocol` in 2.4); default imap. */
  protocol?: string;
  /** The client address (`req.rip` / `req.remote_ip`); nil for the script when empty. */
  remote_ip?: string;
  local_ip?: string;
  local_port?: number;
  /** SASL mechanism; default PLAIN for passdb_verify, CRAM-MD5 for passdb_lookup. */
  mechanism?: string;
  /** A master-user login `user*master_user`: the master passdb checks `password` for the master user. */
  master_user?: string;
  /** The `master = yes` passdb's script; default the same script. */
  master_script?: string;
  /** 2.4 only: `lua_settings { }` (script_init's argument). */
  lua_settings?: Record<string, string>;
}

/** A ready-made Dovecot request for the runner (IMAP login, master user, userdb lookup, ...). */
export interface DovecotPresetInfo {
  id: string;
  label: string;
  description: string;
  /** The request fields it sets (the runner keeps the user, password and script chosen so far). */
  input: Omit<DovecotRunInput, 'path' | 'source' | 'profile' | 'user' | 'password'> & { user?: string; password?: string };
}

/** What Dovecot would do with the request: its verdict, what the client sees, and what happened on the way. */
export interface DovecotRunResult {
  profile: DovecotProfile;
  lookup: DovecotLookup;
  /** The entry function called (auth_passdb_lookup, auth_password_verify, auth_userdb_lookup), "" when none ran. */
  entry: string;
  /** Dovecot's result constant (PASSDB_RESULT_OK, ...) or AUTH_PROCESS_BROKEN when the script did not load. */
  status: string;
  code: number;
  decision: Decision;
  /** The IMAP answer to `a LOGIN` (passdb lookups), e.g. `OK Logged in`. */
  client?: string;
  /** The `code=` doveadm shows on failure. */
  fail_code?: string;
  /** The extra fields Dovecot keeps (and those its reply adds: user, original_user, auth_user). */
  fields: Record<string, string>;
  /** Dovecot's log lines, without timestamps. */
  logs: Array<{ level: string; text: string }>;
  /** What the script printed (Dovecot discards it). */
  stdout: string[];
  /** Where the harness differs from a real Dovecot (a stand-in answered, a module path was mapped, ...). */
  notes: string[];
  /** The same shape as a simulation's: one stage for loading, one for the lookup. */
  trace: TraceStage[];
  events: TraceEvent[];
  latency_ms: number;
}

// ---- traffic ---------------------------------------------------------------------------------------

export type TrafficProfile =
  /** Each user logs in from one address of `network` (default 198.51.100.0/24), as from one device. */
  | { kind: 'users'; users: Array<{ username: string; password: string }>; network?: string }
  | { kind: 'attacker-network'; network: string; users: string[]; passwords: string[] }
  | { kind: 'password-spray'; users: string[]; password: string; network?: string }
  | { kind: 'credential-stuffing'; pairs: Array<{ username: string; password: string }>; network?: string };

export interface TrafficOptions {
  profile: TrafficProfile;
  /** Requests to send (1..1,000,000). */
  count: number;
  /** Requests per second; 0 = as fast as the concurrency allows. */
  rate?: number;
  /** Requests in flight at most (default 16, at most 256). */
  concurrency?: number;
  /** Which client to imitate (default dovecot-imap). */
  preset?: Exclude<PresetId, 'custom'>;
}

/**
 * How a traffic login ended, as the pipeline decided it: ok; wrong_password (a backend said no); blocked
 * (brute-force detection refused the network); refused (a check such as relay_domains or an RBL, a Lua feature,
 * a filter or a policy refused it regardless of the password); tempfail.
 */
export type TrafficOutcome = 'ok' | 'wrong_password' | 'blocked' | 'refused' | 'tempfail';

export interface TrafficSummary {
  run_id: string;
  state: 'running' | 'done' | 'cancelled';
  profile: TrafficProfile['kind'];
  total: number;
  sent: number;
  completed: number;
  by_decision: Record<Decision, number>;
  /** The same logins by what decided them (fail split into wrong_password, blocked and refused). */
  by_outcome: Record<TrafficOutcome, number>;
  /** Auth-Status texts of failures, counted. */
  by_status_message: Record<string, number>;
  elapsed_ms: number;
  /** Achieved requests per second. */
  rate: number;
  latency_ms: { p50: number; p95: number; max: number };
}

// ---- protection (brute force) ---------------------------------------------------------------------

/** A network a brute-force bucket blocks right now. */
export interface BlockedNetwork {
  /** The bucket's network of the client address, e.g. 198.18.7.0/24. */
  network: string;
  bucket: string;
  /** Wrong passwords counted for the network in this bucket's period. */
  counter: number;
  /** The bucket's failed_requests. */
  limit: number;
  /** Seconds until the block lapses (the counter's TTL, or a 3.x ban's). */
  ttl_seconds: number;
  /** How long a block lasts: the bucket's ban_time (3.x) or its period (1.x). */
  ban_time_seconds: number;
  /** When the network reached the limit (epoch ms). */
  blocked_at: number;
}

/** An account whose logins came from a blocked network (Nauthilus' AFFECTED_ACCOUNTS). */
export interface BlockedAccount {
  account: string;
  /** Client addresses of the account's refused logins (PW_HIST_IPS:<account>). */
  ip_addresses: string[];
  /** Seconds until that address list lapses (-1: no expiry). */
  ttl_seconds: number;
}

export interface ProtectionList {
  /** False when the config has no brute_force buckets. */
  enabled: boolean;
  networks: BlockedNetwork[];
  accounts: BlockedAccount[];
}

/** Unblock a network (all of its buckets, or one) or an account (every address it was refused from). */
export type UnblockInput = { network: string; bucket?: string } | { account: string };

export interface UnblockResult {
  /** The Redis keys deleted (without the key prefix). */
  removed_keys: string[];
}

// ---- redis -----------------------------------------------------------------------------------------

export interface RedisStatus {
  mode: 'mock' | 'standalone' | 'sentinel' | 'cluster';
  /** "embedded" or the address; never a password. */
  target: string;
  prefix: string;
  ok: boolean;
  /** Whether the choice is saved in the workspace's studio settings. */
  saved: boolean;
  /**
   * While a real Redis is in use after the embedded one: how many keys the embedded store holds (kept, not
   * copied anywhere; switching back to the embedded store brings them back). Absent otherwise.
   */
  kept_embedded_keys?: number;
}

export interface RedisTestResult {
  ok: boolean;
  latency_ms?: number;
  error?: string;
}

export interface KeyInfo {
  /** As scripts name it (without the configured prefix). */
  key: string;
  type: string;
  /** Seconds; -1 = no expiry, -2 = gone. */
  ttl: number;
}

export interface KeyPage {
  cursor: string;
  keys: KeyInfo[];
}

export interface KeyValue extends KeyInfo {
  /** string: text; hash: object; list/zset: array; set: sorted array; others: null. Large values are cut. */
  value: unknown;
  truncated: boolean;
}

// ---- logs ------------------------------------------------------------------------------------------

export interface LogLine {
  time: number;
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string;
  session?: string;
  /** Everything else on the line: request fields, custom_log_add pairs, script log text. */
  fields: Record<string, unknown>;
}

// ---- export / import -------------------------------------------------------------------------------

export interface ExportOptions {
  /** Directory to write (created; must be empty or an earlier export). */
  out: string;
  /** Where the scripts live on the target host (default /etc/nauthilus/lua-plugins.d). */
  prefix?: string;
  /** Write the Redis connection from the studio settings (with its password) instead of the config's. */
  include_secrets?: boolean;
  /** The layout of the exported nauthilus.yml: "1.x" or "3.x" (default: the workspace's own). */
  format?: '1.x' | '3.x';
}

export interface ConvertOptions {
  /** The layout to convert the workspace's config file to. */
  to: '1.x' | '3.x';
}

/** One thing a conversion did not carry over as it was, named by its key path in the source layout. */
export interface ConvertNoteInfo {
  path: string;
  kind: 'dropped' | 'changed' | 'info';
  why: string;
  line?: number;
}

export interface ConvertReport {
  from: '1.x' | '3.x';
  to: '1.x' | '3.x';
  /** The converted file's text (nothing is written). */
  yaml: string;
  notes: ConvertNoteInfo[];
}

export interface ExportReport {
  out: string;
  prefix: string;
  config: string;
  files: Array<{ source: string; target: string; referenced_as: string }>;
  warnings: string[];
}

export interface ImportOptions {
  /** A Nauthilus 1.x config file. */
  config: string;
  /** New workspace directory (created; must be empty). */
  into: string;
  /** Where the scripts are on this machine when the config names them by absolute paths of another host. */
  scripts_root?: string;
}

export interface ImportReport {
  workspace: string;
  config_file: string;
  files: Array<{ source: string; target: string }>;
  missing: string[];
  /** Paths the config names outside its bundle (its folder and scripts_root), symlinks resolved: not imported. */
  refused?: string[];
  diagnostics: Diagnostic[];
}

// ---- line coverage -----------------------------------------------------------------------------------

/** One executable line of a script (as the engine counts them for lcov) and how often it ran. */
export interface CoverageLine {
  line: number;
  hits: number;
}

/** Coverage of one workspace script. */
export interface FileCoverageInfo {
  /** Workspace-relative path. */
  file: string;
  /** Every executable line, run or not. */
  lines: CoverageLine[];
  covered: number;
  total: number;
  /** covered / total in percent, one decimal (100 for a file without executable lines). */
  percent: number;
}

/**
 * Line coverage of the workspace's scripts: from a test-suite run (`tests`), or collected from the studio's traffic,
 * simulated requests and Dovecot runs (`live`) between startCoverage and stopCoverage.
 */
export interface CoverageReport {
  source: 'tests' | 'live' | 'none';
  /** True while live collection runs (the figures grow with each request). */
  collecting: boolean;
  files: FileCoverageInfo[];
  covered: number;
  total: number;
  percent: number;
  /** A test-suite run: how its cases went. */
  tests?: { passed: number; failed: number; failures: Array<{ name: string; file: string; line: number; message: string }> };
  /** Where the lcov tracefile of this report was written (a test-suite run; SF paths relative to the workspace). */
  lcov_file?: string;
}

/** Search in the workspace's text files (Ctrl+Shift+F). */
export interface SearchInput {
  query: string;
  /** Take `query` as a JavaScript regular expression. */
  regex?: boolean;
  case_sensitive?: boolean;
  /** At most this many matching lines (default 500). */
  max_results?: number;
}

export interface SearchMatch {
  path: string;
  /** 1-based line and column of the first match on the line. */
  line: number;
  column: number;
  length: number;
  /** The line (cut at 300 characters). */
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** More lines match than were returned. */
  truncated: boolean;
}

/** Where `require(name)` finds a module with the config's package_path (no `path`: not a workspace file). */
export interface LuaModuleLocation {
  name: string;
  path?: string;
  /** The files looked at, in order (workspace-relative when inside it). */
  tried: string[];
}

// ---- replay and what-if ----------------------------------------------------------------------------

/** What one side decided for a corpus request: recorded, or replayed through a workspace. */
export interface ReplaySide {
  decision: string;
  status_message?: string;
  /** The check that refused regardless of the password (brute_force, feature, filter, policy, ...). */
  refused_by?: string;
  /** Every stage that ran, as "stage:name=result". */
  stage_path: string[];
  /** The full trace when the side was replayed (the recorded side has its stage path only). */
  trace?: TraceStage[];
}

/** Why a request ran as a lookup (no-auth) instead of a login: its password was not at hand. */
export type ReplayPasswordState = 'not-recorded' | 'other-machine' | 'no-key' | 'unreadable';

/** One corpus request whose decision, status message or stage path differs between the two sides. */
export interface ReplayChange {
  /** Position in the corpus (0 = oldest). */
  index: number;
  time: number;
  username: string;
  protocol: string;
  client_ip?: string;
  /** Set when the request ran as a lookup because its password was not at hand. */
  lookup_because?: ReplayPasswordState;
  changed: Array<'decision' | 'status_message' | 'stage_path'>;
  before: ReplaySide;
  after: ReplaySide;
}

export interface ReplayReport {
  /** What the sides are ("recorded", a workspace path, "live", "edited"). */
  before_label: string;
  after_label: string;
  /** Requests replayed. */
  entries: number;
  changed: ReplayChange[];
  /** Logins that succeed on the before side and are refused or fail on the after side (and the reverse). */
  now_refused: number;
  now_accepted: number;
  /** Logins replayed as lookups (or, against the recording, not judged) because their password was not at hand. */
  without_password: number;
  /** Why, in a sentence for the user (absent when every password was at hand). */
  password_note?: string;
  /** Corpus lines that could not be read (file:line: why). */
  skipped: string[];
}

/** A what-if before a save: the file as the editor holds it, against the live generation. */
export interface WhatIfInput {
  path: string;
  content: string;
}

export interface WhatIfReport extends ReplayReport {
  /** False when the workspace has no recorded requests yet (nothing to compare; the save goes ahead). */
  corpus: boolean;
  /** One line for the banner, e.g. "this change refuses 3 logins that succeed today". */
  summary: string;
}

/** The studio's recording of its own traffic and simulated requests into the workspace's corpus. */
export interface RecordingStatus {
  enabled: boolean;
  /** Passwords are sealed with this machine's key (opt-in). */
  passwords: boolean;
  /** The corpus folder (workspace-relative). */
  dir: string;
  /** Entries recorded since the studio started recording. */
  recorded: number;
}

// ---- the debugger (docs/debugging.md) ---------------------------------------------------------------

/** A breakpoint on one line of a workspace script. */
export interface DebugBreakpointSpec {
  line: number;
  /** A Lua expression in the frame: pause only when it holds. */
  condition?: string;
  /** N or >= N (the Nth hit and after), > N, == N, % N. */
  hit_condition?: string;
  /** Print this (with `{expr}` parts evaluated) instead of pausing. */
  log_message?: string;
}

export interface DebugBreakpointInfo {
  id: number;
  line: number;
  verified: boolean;
  /** Why it is not verified. */
  message?: string;
}

/** A simulated login run under the debugger. */
export interface DebugLaunchInput extends Omit<SimulateInput, 'preset'> {
  /** The client the login imitates (required unless `corpus` is given). */
  preset?: PresetId;
  /** Debug a recorded login instead: the corpus folder (`serve --record DIR`; relative: to the workspace)... */
  corpus?: string;
  /** ...and the entry's number as `authstudio replay` prints it (#1 is the oldest). */
  entry?: number;
  /** Pause at the first line of this stage's scripts: feature, filter, backend, action, post_action, hook, init. */
  stage?: string;
  /** Pause at the first script line that runs. */
  stop_on_entry?: boolean;
  /** Pause where a script raises an error nothing catches. */
  pause_on_error?: boolean;
}

/** A request paused on a line. */
export interface DebugStopped {
  /** The paused request (resume and inspect it by this). */
  thread: number;
  name: string;
  reason: 'breakpoint' | 'step' | 'entry' | 'exception';
  /** reason 'exception': the error's message. */
  text?: string;
  /** Workspace-relative script path. */
  file: string;
  line: number;
}

/** A frame of a paused request, innermost first; `id` names it in debugScopes and debugEvaluate. */
export interface DebugFrameInfo {
  id: number;
  file: string;
  line: number;
  name: string;
}

export interface DebugScopeInfo {
  name: string;
  /** Read its rows with debugVariables. */
  ref: number;
}

/** One row of the Variables view; `ref` > 0 expands with debugVariables. */
export interface DebugVariable {
  name: string;
  type: string;
  value: string;
  ref: number;
}

/** A log point's line. */
export interface DebugOutput {
  text: string;
  file: string;
  line: number;
}

/** A debug run ended: its login's result, or why it could not run. */
/** A replayed corpus entry's end: what the engine decided now and what was recorded. */
export interface DebugReplayResult {
  entry: number;
  decision: string;
  recorded_decision: string;
  status_message?: string;
  /** Set when the login ran as a lookup because its password is not at hand here. */
  lookup_because?: ReplayPasswordState;
}

export interface DebugEnded {
  result?: SimulationResult;
  /** A replayed corpus entry (debugLaunch with `corpus`). */
  replay?: DebugReplayResult;
  /** A Dovecot script's run (debugDovecot). */
  dovecot?: DovecotRunResult;
  error?: { code: string; message: string };
}
