// Run one Lua stage (feature, filter, action, backend call) on its pool and turn it into a trace record.
import { AuthStudioError } from '../errors/registry';
import type { ScriptPool } from '../lua/script-pool';
import type { CallContext } from '../lua/call-context';
import type { DispatchKind } from '../lua/vm';
import type { ShapedLuaRequest } from './lua-request';
import { roundMs, type StageKind, type StageRecord } from './trace';

export interface StageRun {
  record: StageRecord;
  /** The dispatcher's return values (empty on error). */
  values: unknown[];
  error?: AuthStudioError;
}

/**
 * Run `kind` of the script at `displayPath` in `pool` with the encoded request. Errors never escape:
 * they come back in `error` and the record (result "error"), and the caller decides (always tempfail).
 */
export async function runLuaStage(
  pool: ScriptPool, stage: StageKind, name: string, displayPath: string, kind: DispatchKind,
  encoded: string | ShapedLuaRequest, call: CallContext, timeoutMs: number, extra: unknown[] = [],
): Promise<StageRun> {
  const t0 = performance.now();
  call.stageLogs = [];
  call.stage = stage;
  const setsBefore = call.statusSets;
  const eventsBefore = call.events.length;
  const spansBefore = call.tracing?.spanCount ?? 0;
  const record: StageRecord = { stage, name, duration_ms: 0, result: 'ok', logs: {} };
  let values: unknown[] = [];
  let error: AuthStudioError | undefined;
  try {
    values = await pool.use((vm, script) => vm.dispatch(kind, script(displayPath), encoded, extra, call, timeoutMs));
  } catch (e) {
    error = e instanceof AuthStudioError ? e : new AuthStudioError('AS_ERR_LUA_RUNTIME', String((e as Error)?.message ?? e), { cause: e });
    record.result = 'error';
    record.error = error.format();
    if (error.traceback) record.traceback = error.traceback;
  }
  record.duration_ms = roundMs(performance.now() - t0);
  for (const [k, v] of call.stageLogs) record.logs[k] = v;
  if (call.statusSets !== setsBefore && call.statusMessage !== undefined) record.status_message = call.statusMessage;
  if (call.recordEvents && call.events.length > eventsBefore) record.events = call.events.slice(eventsBefore);
  if (call.tracing && call.tracing.spanCount > spansBefore) {
    const spans = call.tracing.spansSince(spansBefore);
    if (spans.length) record.spans = spans;
  }
  return { record, values, error };
}

/**
 * The status message of a stage whose scripts Nauthilus 1.10 runs side by side and then merges
 * (lualib.MergeStatusAndLogs): the first script that set one keeps it; within one script its last call counts.
 * Features and filters each start afresh, so a filter's message replaces a feature's.
 */
export class StageStatus {
  private first: string | undefined;

  constructor(private readonly call: CallContext) {}

  /** After each script of the stage: a later script's message gives way to the first one's. */
  settle(record: StageRecord): void {
    if (record.status_message === undefined) return;
    if (this.first === undefined) this.first = record.status_message;
    else this.call.statusMessage = this.first;
  }
}
