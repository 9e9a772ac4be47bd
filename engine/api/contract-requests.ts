// Data shapes of the studio's request tools: the Requests history, the hook runner, saved requests (the workspace's
// tests/*.test.yml, the same files `authstudio test` runs), environments and collection runs.
import type { Decision, TraceEvent, TraceStage } from './contract-types';

/** One request the engine served in studio mode (simulator, traffic, hook runner or any outside client). */
export interface ServedRequest {
  id: string;
  /** When it was answered (ms since the epoch). */
  at: number;
  method: string;
  /** Path and query as sent. */
  url: string;
  status: number;
  duration_ms: number;
  /** login: an auth endpoint; hook: /api/v1/custom/*; other: anything else under /api/ or the nginx endpoint. */
  kind: 'login' | 'hook' | 'other';
  /** Who sent it: the studio's own tools (simulator, traffic, hook runner) or an outside client (curl, Dovecot). */
  source: 'studio' | 'external';
  decision?: Decision;
  username?: string;
  session?: string;
}

/** A served request with what it carried and what ran for it. */
export interface ServedRequestDetail extends ServedRequest {
  request: { headers: Record<string, string>; body: string };
  response: { headers: Record<string, string>; body: string };
  trace: TraceStage[];
  events: TraceEvent[];
  status_message?: string;
  /** A login's deciding stage, as a saved request's expect.decided_by names it. */
  decided_by?: string;
}

/** A call of a custom hook: `path` is the hook's location (with or without /api/v1/custom/, a query may follow). */
export interface HookCallInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HookCallResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  trace: TraceStage[];
  events: TraceEvent[];
  latency_ms: number;
  /** The request as sent (method, URL, headers, body). */
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  generation: number;
  /** The Requests history entry of this call. */
  history_id?: string;
}

/** A saved request or test of the workspace (one entry of a tests/*.test.yml file). */
export interface SavedRequestInfo {
  name: string;
  /** Workspace-relative file and the line the entry starts on. */
  file: string;
  line: number;
  kind: 'request' | 'hook' | 'lua_test' | 'dovecot';
  /** One line: what it sends. */
  summary: string;
}

/** What "Save request" writes: a new tests/<name>.test.yml holding one request and its expected outcome. */
export interface SaveRequestInput {
  name: string;
  /** A login (request fields as the JSON endpoint takes them) ... */
  login?: { request: Record<string, string>; mode?: 'auth' | 'no-auth' | 'list-accounts' };
  /** ... or a hook call. */
  hook?: HookCallInput;
  /** decision, status, headers, attributes, decided_by, status_message (logins); status, headers, body (hooks). */
  expect: Record<string, unknown>;
  /** Replace an existing file of that name (default: refuse). */
  overwrite?: boolean;
}

/** The workspace's environments (tests/environments.yml): variables by environment name, used as {{name}}. */
export interface EnvironmentsInfo {
  file: string;
  exists: boolean;
  environments: Record<string, Record<string, string>>;
}

export interface CollectionRunInput {
  /** Workspace-relative test files to run (default: every tests/*.test.yml). */
  files?: string[];
  /** The environment whose variables replace {{name}} in the files. */
  environment?: string;
}

export interface CollectionCase {
  name: string;
  file: string;
  line: number;
  kind: SavedRequestInfo['kind'] | 'file';
  passed: boolean;
  /** What differed, one line each ("decided by: expected backend, got feature:blocklist"). */
  failures: string[];
  /** What happened (decision, status). */
  summary?: string;
  /** The request's stages as text, for a failed case. */
  trace?: string;
  duration_ms: number;
}

export interface CollectionRunResult {
  environment?: string;
  passed: number;
  failed: number;
  cases: CollectionCase[];
}

/** "New hook": the location and method it answers, its script; the config entry is written in the workspace's layout. */
export interface AddHookInput {
  location: string;
  method: string;
  script: string;
}
