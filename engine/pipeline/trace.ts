// The per-stage record of one request: what ran, how long, what it decided (CLI, studio and logs share it).
// The type lives in the studio contract, which the renderer reads too; the engine produces it.
import type { StageKind, TraceStage } from '../api/contract-types';

export type { StageKind };
export type StageRecord = TraceStage;

/** Milliseconds with µs precision, as traces show them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
