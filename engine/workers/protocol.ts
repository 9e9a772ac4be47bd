// Messages between the engine (main thread) and its pipeline worker threads.
//
//   main --init{config, redis}--> worker --ready | failed-->
//   main --auth{id, req}--> worker runs the whole pipeline --done{id, outcome}--> (response sent)
//                                                          --post{id, records}--> (post actions finished)
//   main --reload{id, config} | redis{id, settings}--> worker --ack{id, error?}-->
//   worker --redis-call{id, ...}--> main (embedded Redis lives on the main thread) --reply{id, ...}-->
//   worker --cache-call on its own port, waits on a shared flag--> main: nauthilus_cache is synchronous in Lua
import type { MessagePort } from 'node:worker_threads';
import type { AuthStudioConfig, RedisSettings } from '../config/types';
import type { AuthRequest } from '../pipeline/auth-request';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { StageRecord } from '../pipeline/trace';
import type { RedisCommand } from '../redis/store';
import type { SourceLocation } from '../errors/registry';

/** What a worker needs to build its pipeline. `redis` is null when it must use the main thread's embedded store. */
export interface WorkerInit {
  config: AuthStudioConfig;
  redis: RedisSettings | null;
  /** Environment for os.getenv in scripts (the engine's, which may not be process.env). */
  env: Record<string, string | undefined>;
  /** Port for synchronous nauthilus_cache calls, and the flag the worker waits on. */
  cachePort: MessagePort;
  cacheFlag: SharedArrayBuffer;
}

/** An outcome as it crosses threads: without its postActions promise. */
export type WireOutcome = Omit<AuthOutcome, 'postActions'>;

/** Requests a worker acknowledges (ack) when done. */
export type WorkerTask =
  | { t: 'reload'; config: AuthStudioConfig }
  | { t: 'redis'; settings: RedisSettings | null }
  | { t: 'stats' }
  | { t: 'metrics' }
  | { t: 'close'; deadlineMs?: number };

export type ToWorker =
  | { t: 'auth'; id: number; req: AuthRequest; recordEvents: boolean }
  | (WorkerTask & { id: number })
  | { t: 'reply'; id: number; ok: boolean; value?: unknown; error?: string };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'failed'; error: string; code?: string; location?: SourceLocation }
  | { t: 'done'; id: number; outcome?: WireOutcome; error?: string; code?: string }
  | { t: 'post'; id: number; records: StageRecord[] }
  | { t: 'ack'; id: number; value?: unknown; error?: string }
  | ({ t: 'redis-call'; id: number } & RedisCallBody);

/** A Redis command (or batch) a worker runs on the main thread's embedded store. */
export type RedisCallBody =
  | { op: 'command'; cmd: string; args: unknown[] }
  | { op: 'batch' | 'exec'; commands: RedisCommand[]; atomic: boolean }
  /** An atomic script (engine/redis/atomic-script.ts) by its registered name. */
  | { op: 'script'; name: string; keys: string[]; args: Array<string | number> };

/** A synchronous nauthilus_cache call: one of SharedCache's methods with its arguments. */
export interface CacheCall {
  method: 'get' | 'set' | 'delete' | 'has' | 'keys' | 'size' | 'flush' | 'push' | 'popAll';
  args: unknown[];
}
