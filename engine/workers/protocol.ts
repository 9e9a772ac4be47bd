// Messages between the engine (main thread) and its pipeline worker threads.
//
//   main --init{config, redis}--> worker --ready | failed-->
//   main --auth{id, req}--> worker runs the whole pipeline --done{id, outcome}--> (response sent)
//        (req carries the HTTP request scripts read, outcome the headers scripts added to the answer)
//                                                          --post{id, records}--> (post actions finished)
//   main --hook{id, location, req}--> worker runs the custom hook --hook-done{id, result}-->
//   main --prepare{id, config}--> every worker builds the new version --ack-->, then commit (or abort) on all
//   main --redis{id, settings}--> worker --ack{id, error?}-->
//   main --lines{id, collect}--> worker --ack{id, value: line hits since the last ask}--> (coverage)
//   main --backend-servers{servers}--> worker (the servers monitoring lists as alive; no answer)
//   worker writes the deadline of the Lua run in progress to `beacon`: the main thread's watchdog ends a
//   worker stuck past it (a C call such as string.find cannot be interrupted on its own thread)
//   worker --redis-calls{calls}--> main (embedded Redis lives on the main thread) --replies{replies}-->
//          (every call the thread issued in one turn of its event loop travels in one message: a login's
//          brute-force reads, its slots of all buckets); a detached script (a slot given back, a toleration
//          count: nobody waits for them) gets no reply and rides with the request's done message
//   worker --cache-call on its own port, waits on a shared flag--> main: nauthilus_cache is synchronous in Lua
import type { MessagePort } from 'node:worker_threads';
import type { AuthStudioConfig, BackendServerConfig, RedisSettings } from '../config/types';
import type { AuthRequest } from '../pipeline/auth-request';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { StageRecord } from '../pipeline/trace';
import type { RedisCommand } from '../redis/store';
import type { SourceLocation } from '../errors/registry';
import type { HookHttpRequest } from '../lua/call-context';
import type { HookResult } from '../pipeline/custom-hook';

/** What a worker needs to build its pipeline. `redis` is null when it must use the main thread's embedded store. */
export interface WorkerInit {
  config: AuthStudioConfig;
  redis: RedisSettings | null;
  /** Environment for os.getenv in scripts (the engine's, which may not be process.env). */
  env: Record<string, string | undefined>;
  /** Port for synchronous nauthilus_cache calls, and the flag the worker waits on. */
  cachePort: MessagePort;
  cacheFlag: SharedArrayBuffer;
  /** The texts of the version's scripts, by path (see readScriptSources): used instead of the files. */
  sources: Record<string, string>;
  /** Send log lines to the engine's logger (the studio shows them) instead of writing them to stdout. */
  forwardLogs: boolean;
  /** One Float64: the deadline (epoch ms) of the Lua run in progress on the worker, 0 when none. */
  beacon: SharedArrayBuffer;
  /** The backend servers monitoring lists as alive now (nauthilus_backend in filters). */
  backendServers: BackendServerConfig[];
  /** This thread logs the init scripts that fail (one thread does, so each failure is one log line). */
  logInit: boolean;
  /** Count the workspace lines scripts run (coverage) in the VMs this thread builds. */
  collectLines: boolean;
}

/** An outcome as it crosses threads: without its postActions promise. */
export type WireOutcome = Omit<AuthOutcome, 'postActions'>;

/** Requests a worker acknowledges (ack) when done. */
export type WorkerTask =
  | { t: 'prepare'; config: AuthStudioConfig; sources: Record<string, string>; logInit: boolean }
  | { t: 'commit' }
  | { t: 'abort' }
  | { t: 'redis'; settings: RedisSettings | null }
  | { t: 'stats' }
  | { t: 'metrics' }
  /** Count lines in VMs built from now on (or stop); the ack's value is the LineHitList counted since the last ask. */
  | { t: 'lines'; collect: boolean }
  | { t: 'close'; deadlineMs?: number };

export type ToWorker =
  | { t: 'auth'; id: number; req: AuthRequest; recordEvents: boolean }
  | { t: 'hook'; id: number; location: string; req: HookHttpRequest; recordEvents?: boolean }
  /** backend_server_monitoring changed the servers alive (no answer). */
  | { t: 'backend-servers'; servers: BackendServerConfig[] }
  | (WorkerTask & { id: number })
  | { t: 'replies'; replies: RedisReply[] };

/** The trace records of one request's post actions. */
export interface PostRecords { id: number; records: StageRecord[] }

/** The answer to one Redis call of a worker. */
export interface RedisReply { id: number; ok: boolean; value?: unknown; error?: string }

export type FromWorker =
  | { t: 'ready' }
  | { t: 'failed'; error: string; code?: string; location?: SourceLocation }
  /** `posts`: post actions of earlier requests that finished since the last message (they ride along). */
  /** `calls`: Redis calls issued since the last message (a detached brute-force give-back), run before the answer. */
  | { t: 'done'; id: number; outcome?: WireOutcome; error?: string; code?: string; posts?: PostRecords[]; calls?: RedisCall[] }
  /** Post actions that finished while no other message went out (sent within POST_FLUSH_MS). */
  | { t: 'posts'; posts: PostRecords[] }
  | { t: 'hook-done'; id: number; result?: HookResult | null; error?: string }
  | { t: 'log'; line: string }
  | { t: 'ack'; id: number; value?: unknown; error?: string; code?: string; location?: SourceLocation }
  /** Redis calls in the order the worker issued them; the main thread starts them in that order. */
  | { t: 'redis-calls'; calls: RedisCall[] };

export type RedisCall = { id: number } & RedisCallBody;

/** A Redis command (or batch) a worker runs on the main thread's embedded store. */
export type RedisCallBody =
  | { op: 'command'; cmd: string; args: unknown[] }
  | { op: 'batch' | 'exec'; commands: RedisCommand[]; atomic: boolean }
  /** An atomic script (engine/redis/atomic-script.ts) by its registered name; `detached`: no reply (id 0). */
  | { op: 'script'; name: string; keys: string[]; args: Array<string | number>; detached?: boolean };

/** A synchronous nauthilus_cache call: one of SharedCache's methods with its arguments. */
export interface CacheCall {
  method: 'get' | 'set' | 'delete' | 'has' | 'keys' | 'size' | 'flush' | 'push' | 'popAll';
  args: unknown[];
}
