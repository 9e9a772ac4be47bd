// The studio service contract: one typed API that the in-process, HTTP and IPC transports all carry.
//
// Rules every transport keeps: each method takes at most one plain-JSON object and returns a promise of
// plain JSON; failures reject with a StudioError; events are subscribed with onX and return an unsubscribe.
// It imports only its own data types (contract-types.ts), so the renderer can use it without pulling in Node.

/** A problem found in the workspace, with a place to show it (paths are workspace-relative). */
export interface Diagnostic {
  file: string;
  line?: number;
  column?: number;
  message: string;
  /** The registry code (AS_ERR_LUA_SYNTAX, AS_ERR_CONFIG_UNKNOWN_KEY, ...). */
  code: string;
  severity: 'error' | 'warning';
}

/** What a failed call carries over every transport. */
export interface StudioErrorInfo {
  code: string;
  message: string;
  /** HTTP status of the code (400 for the user's mistakes, 5xx for server trouble). */
  status: number;
  location?: { file: string; line?: number; column?: number };
  /** The request field or config key path the error is about. */
  path?: string;
  diagnostics?: Diagnostic[];
}

/** The error every transport rejects with. */
export class StudioError extends Error {
  readonly code: string;
  readonly status: number;
  readonly info: StudioErrorInfo;

  constructor(info: StudioErrorInfo) {
    super(info.message);
    this.name = 'StudioError';
    this.code = info.code;
    this.status = info.status;
    this.info = info;
  }
}

/** The data shapes live in contract-types.ts; importing from here gives all of them. */
export type * from './contract-types';
export type * from './contract-requests';
import type {
  AddHookInput, CollectionRunInput, CollectionRunResult, EnvironmentsInfo, HookCallInput, HookCallResult, SavedRequestInfo, SaveRequestInput, ServedRequest, ServedRequestDetail,
} from './contract-requests';
import type {
  ConvertOptions, ConvertReport, CoverageReport, DovecotPresetInfo, DovecotRunInput, DovecotRunResult, ExportOptions,
  ExportReport, FileContent, FileEntry, FilesChangedEvent, ImportOptions, ImportReport, KeyPage, KeyValue, LogLine,
  LuaModuleLocation, PresetInfo, ProtectionList, RecordingStatus, RedisStatus, RedisTestResult, ReloadResult,
  RuntimeErrorsEvent, SaveResult, SearchInput, SearchResult, SimulateInput, SimulationResult, StudioStatus,
  TrafficOptions, TrafficSummary, UnblockInput, UnblockResult, WhatIfInput, WhatIfReport,
  DebugBreakpointInfo, DebugBreakpointSpec, DebugEnded, DebugFrameInfo, DebugLaunchInput, DebugOutput, DebugScopeInfo,
  DebugStopped, DebugVariable,
} from './contract-types';

// ---- the service -----------------------------------------------------------------------------------

/** Every method of the studio service. */
export interface StudioMethods {
  getStatus(arg?: Record<string, never>): Promise<StudioStatus>;
  listFiles(arg?: Record<string, never>): Promise<FileEntry[]>;
  readFile(arg: { path: string }): Promise<FileContent>;
  saveFile(arg: { path: string; content: string; base_version?: string }): Promise<SaveResult>;
  createFile(arg: { path: string; content?: string; kind?: 'file' | 'directory' }): Promise<SaveResult>;
  renameFile(arg: { from: string; to: string }): Promise<SaveResult>;
  deleteFile(arg: { path: string; recursive?: boolean }): Promise<SaveResult>;
  reload(arg?: Record<string, never>): Promise<ReloadResult>;
  /** Lines of the workspace's text files that match a string or regular expression. */
  searchWorkspace(arg: SearchInput): Promise<SearchResult>;
  /** The workspace file `require(name)` loads with the config's package_path (go to definition). */
  resolveLuaModule(arg: { name: string }): Promise<LuaModuleLocation>;
  /** Validate the config and compile every script without applying anything. */
  checkWorkspace(arg?: Record<string, never>): Promise<Diagnostic[]>;

  listPresets(arg?: Record<string, never>): Promise<PresetInfo[]>;
  simulate(arg: SimulateInput): Promise<SimulationResult>;

  /** The Dovecot runner's requests (IMAP/POP3/submission logins, master user, userdb lookup, ...). */
  listDovecotPresets(arg?: Record<string, never>): Promise<DovecotPresetInfo[]>;
  /** Run a Dovecot Lua passdb/userdb script of the workspace in the Dovecot harness (2.3 or 2.4 profile). */
  runDovecot(arg: DovecotRunInput): Promise<DovecotRunResult>;

  startTraffic(arg: TrafficOptions): Promise<TrafficSummary>;
  cancelTraffic(arg: { run_id: string }): Promise<TrafficSummary>;
  /** With `wait`, resolves when the run has ended (over HTTP, follow long runs with onTrafficDone instead: proxies and clients time out). */
  getTraffic(arg: { run_id: string; wait?: boolean }): Promise<TrafficSummary>;

  /** Networks and accounts brute-force detection blocks now, with counters and TTLs, read from Redis. */
  listBlocked(arg?: Record<string, never>): Promise<ProtectionList>;
  /** Delete a block's keys as Nauthilus' brute-force flush does (and an account's as its user flush does). */
  unblock(arg: UnblockInput): Promise<UnblockResult>;

  getRedis(arg?: Record<string, never>): Promise<RedisStatus>;
  testRedis(arg: { url: string }): Promise<RedisTestResult>;
  /** "mock" for the embedded store or a redis:// URL; the connection is tested first. */
  switchRedis(arg: { url: string; save?: boolean }): Promise<RedisStatus>;
  scanKeys(arg?: { pattern?: string; cursor?: string; count?: number }): Promise<KeyPage>;
  getKey(arg: { key: string }): Promise<KeyValue>;
  deleteKey(arg: { key: string }): Promise<{ deleted: boolean }>;
  /** Delete the engine's keys: those with the configured prefix, or all keys of the embedded store. */
  flushNamespace(arg?: Record<string, never>): Promise<{ deleted: number }>;

  exportBundle(arg: ExportOptions): Promise<ExportReport>;
  /** The workspace's config file in the other layout (Nauthilus 1.x <-> 3.x), and what did not carry over. Writes nothing. */
  convertConfig(arg: ConvertOptions): Promise<ConvertReport>;
  importConfig(arg: ImportOptions): Promise<ImportReport>;

  /**
   * Start recording which script lines run, from studio traffic, simulated requests and Dovecot runs (the scripts
   * are reloaded with the line hook on); the figures so far come from getCoverage.
   */
  startCoverage(arg?: Record<string, never>): Promise<CoverageReport>;
  /** Stop recording (scripts are reloaded without the line hook) and return what was recorded. */
  stopCoverage(arg?: Record<string, never>): Promise<CoverageReport>;
  /** The latest coverage: of the live collection (running or stopped) or of the last test-suite run. */
  getCoverage(arg?: Record<string, never>): Promise<CoverageReport>;
  /** Run the workspace's test suite (tests/*.test.yml) with coverage; writes lcov under .authstudio/. */
  runTestsWithCoverage(arg?: Record<string, never>): Promise<CoverageReport>;
  /** Start or stop recording the studio's requests (simulations, traffic) into the workspace's corpus for replay. */
  setRecording(arg: { enabled: boolean; passwords?: boolean }): Promise<RecordingStatus>;
  getRecording(arg?: Record<string, never>): Promise<RecordingStatus>;
  /** Before a save goes live: the recorded corpus through the live generation and through the edited file, and what changes. */
  whatIf(arg: WhatIfInput): Promise<WhatIfReport>;
  /** Call a custom hook through the engine's real HTTP path; its answer and the trace of its script. */
  callHook(arg: HookCallInput): Promise<HookCallResult>;
  /** Add a custom hook entry (location, method, script) to the workspace's config, in its layout; reloads. */
  addHook(arg: AddHookInput): Promise<SaveResult>;
  /** The requests served in studio mode, newest first (bounded; `since`: only those after that id). */
  listRequests(arg?: { since?: string }): Promise<ServedRequest[]>;
  /** One served request with its headers, bodies and trace. */
  getRequest(arg: { id: string }): Promise<ServedRequestDetail>;
  clearRequests(arg?: Record<string, never>): Promise<{ cleared: number }>;
  /** The workspace's saved requests and tests (tests/*.test.yml, as `authstudio test` runs them). */
  listSavedRequests(arg?: Record<string, never>): Promise<SavedRequestInfo[]>;
  /** Write one request with its expected outcome as tests/<name>.test.yml. */
  saveRequest(arg: SaveRequestInput): Promise<SaveResult>;
  /** Run saved requests with `authstudio test`'s runner: pass/fail per request and what differed. */
  runCollection(arg?: CollectionRunInput): Promise<CollectionRunResult>;
  /** tests/environments.yml: variables per environment. */
  getEnvironments(arg?: Record<string, never>): Promise<EnvironmentsInfo>;
  /** Replace the breakpoints of one workspace script (kept for every later debug run). */
  debugSetBreakpoints(arg: { path: string; breakpoints: DebugBreakpointSpec[] }): Promise<DebugBreakpointInfo[]>;
  /** Run one simulated login under the debugger (on an engine of its own); onDebugStopped / onDebugEnded follow. */
  debugLaunch(arg: DebugLaunchInput): Promise<{ started: boolean }>;
  /** Run a Dovecot script of the workspace in the harness under the debugger (as runDovecot does). */
  debugDovecot(arg: DovecotRunInput): Promise<{ started: boolean }>;
  debugStackTrace(arg: { thread: number }): Promise<DebugFrameInfo[]>;
  /** Locals, Upvalues, Request, Globals, Host calls of a paused frame. */
  debugScopes(arg: { thread: number; frame: number }): Promise<DebugScopeInfo[]>;
  debugVariables(arg: { ref: number }): Promise<DebugVariable[]>;
  /** A watch expression in a paused frame (rejects with the Lua error when it fails). */
  debugEvaluate(arg: { thread: number; frame: number; expression: string }): Promise<DebugVariable>;
  /** Continue a paused request, or step it (next: over, stepIn, stepOut). */
  debugResume(arg: { thread: number; step?: 'next' | 'stepIn' | 'stepOut' }): Promise<{ resumed: boolean }>;
  /** End the debug run: paused requests resume, the run's engine closes. */
  debugStop(arg?: Record<string, never>): Promise<{ stopped: boolean }>;
}

export type StudioMethodName = keyof StudioMethods;

/** The method names, for transports that route by name. */
export const STUDIO_METHODS = [
  'getStatus', 'listFiles', 'readFile', 'saveFile', 'createFile', 'renameFile', 'deleteFile', 'reload', 'searchWorkspace', 'resolveLuaModule', 'checkWorkspace',
  'listPresets', 'simulate', 'listDovecotPresets', 'runDovecot', 'startTraffic', 'cancelTraffic', 'getTraffic',
  'listBlocked', 'unblock',
  'getRedis', 'testRedis', 'switchRedis', 'scanKeys', 'getKey', 'deleteKey', 'flushNamespace',
  'exportBundle', 'convertConfig', 'importConfig', 'startCoverage', 'stopCoverage', 'getCoverage', 'runTestsWithCoverage',
  'setRecording', 'getRecording', 'whatIf',
  'callHook', 'addHook', 'listRequests', 'getRequest', 'clearRequests', 'listSavedRequests', 'saveRequest', 'runCollection', 'getEnvironments',
  'debugSetBreakpoints', 'debugLaunch', 'debugDovecot', 'debugStackTrace', 'debugScopes', 'debugVariables', 'debugEvaluate', 'debugResume', 'debugStop',
] as const satisfies readonly StudioMethodName[];

/** Event name -> payload. */
export interface StudioEventMap {
  reload: ReloadResult;
  files: FilesChangedEvent;
  log: LogLine;
  trafficProgress: TrafficSummary;
  trafficDone: TrafficSummary;
  redis: RedisStatus;
  runtimeErrors: RuntimeErrorsEvent;
  request: ServedRequest;
  debugStopped: DebugStopped;
  debugContinued: { thread: number };
  debugOutput: DebugOutput;
  debugEnded: DebugEnded;
}

export type StudioEventName = keyof StudioEventMap;

export const STUDIO_EVENTS = [
  'reload', 'files', 'log', 'trafficProgress', 'trafficDone', 'redis', 'runtimeErrors', 'request', 'debugStopped', 'debugContinued', 'debugOutput', 'debugEnded',
] as const satisfies readonly StudioEventName[];

export type Unsubscribe = () => void;

/** Subscriptions: the listener gets each event's payload (plain JSON). */
export interface StudioEvents {
  onReload(listener: (e: ReloadResult) => void): Unsubscribe;
  onFilesChanged(listener: (e: FilesChangedEvent) => void): Unsubscribe;
  onLog(listener: (e: LogLine) => void): Unsubscribe;
  onTrafficProgress(listener: (e: TrafficSummary) => void): Unsubscribe;
  onTrafficDone(listener: (e: TrafficSummary) => void): Unsubscribe;
  onRedisChanged(listener: (e: RedisStatus) => void): Unsubscribe;
  /** Scripts' runtime errors changed (a new one, a count, or some cleared): the whole current list. */
  onRuntimeErrors(listener: (e: RuntimeErrorsEvent) => void): Unsubscribe;
  /** A request was served (any client): its history entry. */
  onRequestServed(listener: (e: ServedRequest) => void): Unsubscribe;
  onDebugStopped(listener: (e: DebugStopped) => void): Unsubscribe;
  onDebugContinued(listener: (e: { thread: number }) => void): Unsubscribe;
  onDebugOutput(listener: (e: DebugOutput) => void): Unsubscribe;
  onDebugEnded(listener: (e: DebugEnded) => void): Unsubscribe;
}

/** onX method -> event name (transports subscribe generically). */
export const EVENT_OF_SUBSCRIBER = {
  onReload: 'reload', onFilesChanged: 'files', onLog: 'log',
  onTrafficProgress: 'trafficProgress', onTrafficDone: 'trafficDone', onRedisChanged: 'redis',
  onRuntimeErrors: 'runtimeErrors', onRequestServed: 'request',
  onDebugStopped: 'debugStopped', onDebugContinued: 'debugContinued', onDebugOutput: 'debugOutput', onDebugEnded: 'debugEnded',
} as const satisfies Record<keyof StudioEvents, StudioEventName>;

/**
 * What a UI holds: the methods, the events, and the connection's life cycle.
 * @example
 * const client = createHttpClient('http://127.0.0.1:9080', { token });
 * await client.connect();
 * client.onReload((r) => show(r.diagnostics));
 * const { reload } = await client.saveFile({ path: 'features/blocklist.lua', content });
 */
export interface StudioClient extends StudioMethods, StudioEvents {
  /** Resolves once events are being delivered (subscribe before acting to see every event). */
  connect(): Promise<void>;
  /** Stop event delivery and release the connection. */
  close(): Promise<void>;
}

/** What a transport supplies: one call, one subscription, and its connection's life cycle. */
export interface StudioTransport {
  call(method: StudioMethodName, arg: unknown): Promise<unknown>;
  subscribe(event: StudioEventName, listener: (payload: unknown) => void): Unsubscribe;
  connect(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Assemble a StudioClient from a transport: every method and onX subscription of the contract, generically,
 * so no transport lists them again. Subscriptions still open are ended by close().
 */
export function clientFromTransport(t: StudioTransport): StudioClient {
  const subscriptions = new Set<Unsubscribe>();
  const methods: Record<string, (arg?: unknown) => Promise<unknown>> = {};
  for (const name of STUDIO_METHODS) methods[name] = (arg?: unknown) => t.call(name, arg ?? {});
  const subscribers: Record<string, (listener: (payload: unknown) => void) => Unsubscribe> = {};
  for (const [method, event] of Object.entries(EVENT_OF_SUBSCRIBER)) {
    subscribers[method] = (listener) => {
      const off = t.subscribe(event, listener);
      const unsubscribe = () => {
        off();
        subscriptions.delete(unsubscribe);
      };
      subscriptions.add(unsubscribe);
      return unsubscribe;
    };
  }
  return {
    ...(methods as unknown as StudioMethods),
    ...(subscribers as unknown as StudioEvents),
    connect: () => t.connect(),
    close: async () => {
      for (const off of [...subscriptions]) off();
      await t.close();
    },
  };
}
