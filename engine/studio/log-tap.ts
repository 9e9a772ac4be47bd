// The studio's logger: pino lines go to the console as usual and, parsed, to the live log stream of the clients.
import pino, { type Logger } from 'pino';
import type { LogLine } from '../api/contract';
import type { StudioEventBus } from './event-bus';

const LEVELS: Record<number, LogLine['level']> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino destination that forwards each line to an optional echo stream and to the studio's 'log' event. */
export class LogTap {
  private bus: StudioEventBus | undefined;

  constructor(private readonly echo?: { write(line: string): unknown }) {}

  /** Start delivering lines to this bus (the service attaches itself once it exists). */
  attach(bus: StudioEventBus): void {
    this.bus = bus;
  }

  detach(): void {
    this.bus = undefined;
  }

  /** Called by pino with one JSON line (newline included). */
  write(line: string): void {
    this.echo?.write(line);
    const bus = this.bus;
    if (!bus || bus.listenerCount('log') === 0) return;
    const parsed = parseLine(line);
    if (parsed) bus.emit('log', parsed);
  }
}

/** One pino JSON line as a LogLine; undefined for anything else. */
export function parseLine(line: string): LogLine | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { level, time, msg, pid: _pid, hostname: _host, session, ...fields } = raw;
  const out: LogLine = {
    time: typeof time === 'number' ? time : Date.now(),
    level: LEVELS[level as number] ?? 'info',
    msg: typeof msg === 'string' ? msg : '',
    fields,
  };
  if (typeof session === 'string') out.session = session;
  return out;
}

/** A pino logger writing through a LogTap (echoing to `echo`, e.g. stdout, when given). */
export function createStudioLogger(level: string, echo?: { write(line: string): unknown }): { logger: Logger; tap: LogTap } {
  const tap = new LogTap(echo);
  return { logger: pino({ level }, tap), tap };
}
