// Per-request state that host modules see while a script serves that request.
import { StoreBudget } from './store-budget';
import type { StageKind } from '../api/contract-types';
import type { BackendServerConfig } from '../config/types';
import type { PolicySink } from '../policy/sink';
import type { RequestTrace } from '../tracing/request-trace';
import { logFields } from './log-fields';

/** A trace event keeps at most this many characters of a string (a key, a URL). */
const EVENT_TEXT_MAX = 512;
/** A log or print() line keeps more: the studio shows its start and expands the rest. */
const LINE_TEXT_MAX = 8192;

/** One thing a script did that the trace shows (a Redis command, an HTTP call, a log line). */
export interface CallEvent {
  kind: 'redis' | 'http' | 'log' | 'print' | 'dns' | 'db' | 'tcp' | 'mail' | 'ldap';
  /** ms since the request started */
  at_ms: number;
  detail: Record<string, unknown>;
}

/**
 * A minimal abort signal for one stage (an AbortController costs ~18 µs to create; this costs nothing
 * until a host call listens to it).
 */
export class StageAbort {
  aborted = false;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;

  /** A standard AbortSignal (for fetch, timers/promises), created only when a host call asks for one. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort();
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls) for (const l of ls) l();
  }

  /** Call `fn` on abort; returns a function that unregisters it. */
  onAbort(fn: () => void): () => void {
    (this.listeners ??= []).push(fn);
    return () => {
      const i = this.listeners?.indexOf(fn) ?? -1;
      if (i >= 0) this.listeners!.splice(i, 1);
    };
  }
}

/**
 * The HTTP request a script's stage serves (nauthilus_http_request reads it): a custom hook's request, or the
 * auth request that features, filters, actions and backends run for.
 */
export interface HookHttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters; repeated names keep every value. */
  query: Record<string, string[]>;
  /** Header names lower-cased; repeated headers keep every value. */
  headers: Record<string, string[]>;
  body: string;
}

/**
 * The answer scripts shape (nauthilus_http_response writes it): a custom hook's whole response; for an auth
 * request only `headers` (features, filters and actions before the answer add them to the auth endpoint's answer).
 */
export interface HookHttpResponse {
  status?: number;
  /** Header names lower-cased. */
  headers: Record<string, string[]>;
  /** Body written by the script; when set it replaces the JSON of the hook's returned table. */
  body?: string;
  contentType?: string;
}

/** The request view stages see when the auth request came without one (the studio, tests): nothing was sent. */
export function emptyHttpRequest(): HookHttpRequest {
  return { method: '', path: '', query: {}, headers: {}, body: '' };
}

/**
 * What `nauthilus_backend` works on while filters run (Nauthilus 1.10 filter.Request): the backend servers
 * monitoring lists as alive when the filters started, the server a filter selected for nginx, and the
 * attributes filters add to or remove from the backend's result.
 */
export interface FilterBackend {
  servers: BackendServerConfig[];
  selected?: { host: string; port: number };
  /** apply_backend_result: attributes merged in order (a later filter overwrites an earlier one's). */
  apply: Record<string, string | string[]>;
  /** remove_from_backend_result: attribute names to drop. */
  remove: string[];
  /** The backend's result as the filters start (Nauthilus 3.0 get_current_backend_result adds what they changed). */
  current?: { authenticated: boolean; userFound: boolean; accountField?: string; totpSecretField?: string; attributes: Record<string, string | string[]> };
}

/**
 * The mutable state of one auth request (or hook call) that scripts may read or change through host
 * modules: custom log fields, the status message, the shared context table, and the events the trace shows.
 * One CallContext lives as long as the request; each stage runs with it as `host.call`.
 */
export class CallContext {
  readonly session: string;
  readonly startedAt = performance.now();
  /** custom_log_add pairs, in order. */
  readonly customLogs: Array<[string, string]> = [];
  statusMessage: string | undefined;
  /** How many times a script called status_message_set (so a stage sees a set even when the text is unchanged). */
  statusSets = 0;
  /** nauthilus_context: values shared by all stages of one request. */
  readonly context = new Map<string, unknown>();
  readonly events: CallEvent[] = [];
  /** Set while a stage runs; fired when the stage is given up (timeout): async host work settles at once. */
  abortSignal: StageAbort | undefined;
  /** Logs of the stage now running, so the trace can list them per stage. */
  stageLogs: Array<[string, string]> = [];
  /** The HTTP request being served (a hook's or the auth request's) and the answer scripts add to. */
  httpRequest: HookHttpRequest | undefined;
  httpResponse: HookHttpResponse | undefined;
  /** The kind of stage running now (set by runLuaStage): what nauthilus_http_response may do depends on it. */
  stage: StageKind | undefined;
  /** Set while filters run: what nauthilus_backend lists and collects (undefined elsewhere: its functions raise). */
  backend: FilterBackend | undefined;
  /** Nauthilus 3.x: the request's policy facts, where nauthilus_policy.emit_attribute records (undefined: no policy layer). */
  policy: PolicySink | undefined;
  /** With tracing on: the request span and the spans nauthilus_opentelemetry starts (undefined: tracing off). */
  tracing: RequestTrace | undefined;
  /** Whether events (Redis commands, HTTP calls) should be recorded for the trace. */
  readonly recordEvents: boolean;
  /** What the request's scripts keep on the JS side, counted against lua_memory_limit (see store-budget.ts). */
  readonly budget = new StoreBudget();

  constructor(session: string, opts: { recordEvents?: boolean } = {}) {
    this.session = session;
    this.recordEvents = opts.recordEvents ?? false;
  }

  /** A custom_log_add pair; throws (a Lua error for the script) when the request's logs are full. */
  addLog(key: string, value: string): void {
    this.budget.checkEntries('custom_log_add', this.customLogs.length);
    this.budget.chargeLog('custom_log_add', 64 + 2 * (key.length + value.length));
    this.customLogs.push([key, value]);
    this.stageLogs.push([key, value]);
  }

  record(kind: CallEvent['kind'], detail: Record<string, unknown>): void {
    if (!this.recordEvents) return;
    if (this.events.length >= 1000) return; // a runaway loop must not grow the trace without bound
    // long texts (a log line of megabytes) are cut: 1000 events stay small; the detail object may be
    // filled in later by its recorder (the Redis reply time), so it is cut in place
    const lineEvent = kind === 'log' || kind === 'print';
    // a structured log line (print_result's JSON, key=value text) is shown as its fields, not as escaped text
    if (kind === 'log' && typeof detail.line === 'string' && detail.fields === undefined) {
      const fields = logFields(detail.line);
      if (fields) detail.fields = fields;
    }
    for (const [k, v] of Object.entries(detail)) {
      const max = lineEvent && k === 'line' ? LINE_TEXT_MAX : EVENT_TEXT_MAX;
      if (typeof v === 'string' && v.length > max) detail[k] = v.slice(0, max) + '…';
      else if (Array.isArray(v)) detail[k] = v.map((x) => (typeof x === 'string' && x.length > EVENT_TEXT_MAX ? x.slice(0, EVENT_TEXT_MAX) + '…' : x));
    }
    this.events.push({ kind, at_ms: Math.round((performance.now() - this.startedAt) * 1000) / 1000, detail });
  }
}
