// Worker threads' log lines on the engine's logger (the studio's live log shows them; serve writes them directly).
import type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A worker's pino line, logged again on `logger` (with this thread's time, pid and hostname). */
export function relayLog(logger: Logger, line: string): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _host, ...fields } = parsed;
  logger[LEVEL_NAMES[level as number] ?? 'info'](fields, typeof msg === 'string' ? msg : '');
}
