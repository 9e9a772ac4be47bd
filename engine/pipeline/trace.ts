// The per-stage record of one request: what ran, how long, what it decided (CLI, studio and logs share it).
import type { CallEvent } from '../lua/call-context';

export type StageKind =
  | 'brute_force' | 'feature' | 'tls_encryption' | 'relay_domains' | 'rbl' | 'cache' | 'backend'
  | 'filter' | 'action' | 'post_action' | 'hook';

export interface StageRecord {
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
  /** Redis commands, HTTP calls and log lines made during this stage (studio traces only). */
  events?: CallEvent[];
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
