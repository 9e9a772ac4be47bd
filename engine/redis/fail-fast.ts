// A Redis that stopped answering costs a request one command timeout, not one per command.
//
//   command --sent--> answer ............................ ok
//          \--no answer within command_timeout--> "Command timed out" --> OPEN
//   OPEN: every new command fails at once while the client is connected; a PING probe every PROBE_INTERVAL_MS --PONG--> closed again
//
// Without this, a frozen or partitioned Redis made each command of a request wait the full timeout in turn
// (a feature, the backend, the cache, brute force: 5 s each), and requests queued for a Lua VM behind them
// waited for all of those: 20 s and more per login.
import type { RedisClient } from './store';
import { AuthStudioError } from '../errors/registry';

/** How often an open breaker asks Redis whether it answers again. */
export const PROBE_INTERVAL_MS = 250;

/** Commands that wait on purpose: their age says nothing about whether Redis answers. */
const WAITING_COMMANDS = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop', 'xread', 'xreadgroup', 'wait', 'waitaof', 'subscribe', 'psubscribe', 'ssubscribe']);

interface PendingCommand {
  name: string;
  promise: Promise<unknown>;
  reject(e: Error): void;
}

type SendCommand = (command: PendingCommand, ...rest: unknown[]) => Promise<unknown>;

/** What the breaker of one client is doing (for tests and /healthz). */
export interface FailFastState {
  readonly open: boolean;
  /** Stop probing (the client is closing). */
  stop(): void;
}

/**
 * Wrap `client.sendCommand` (every command, pipeline and MULTI goes through it): after a command times out,
 * new commands fail at once with AS_ERR_REDIS until Redis answers a PING again.
 */
export function failFastWhenUnresponsive(client: RedisClient, timeoutMs: number): FailFastState {
  const target = client as unknown as { sendCommand: SendCommand; ping(): Promise<string>; status: string };
  const send = target.sendCommand.bind(client) as SendCommand;
  let open = false;
  let probing = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const probe = () => {
    timer = undefined;
    if (stopped) return;
    probing = true;
    let answer: Promise<string>;
    try {
      answer = target.ping();
    } finally {
      probing = false;
    }
    answer.then(
      (r) => {
        if (r === 'PONG') open = false;
        else schedule();
      },
      () => schedule(),
    );
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(probe, PROBE_INTERVAL_MS);
    timer.unref();
  };
  const trip = () => {
    if (open) return;
    open = true;
    schedule();
  };

  // commands waiting for an answer, oldest first: a new command checks the oldest itself, because a caller's own
  // timer (the Lua module's, set just before the command) can fire a moment before ioredis' and send the next one
  const pending = new Map<PendingCommand, number>();
  const nearlyTimedOut = timeoutMs - Math.min(500, timeoutMs / 10);
  const oldestTooOld = (now: number) => {
    for (const started of pending.values()) return now - started >= nearlyTimedOut;
    return false;
  };

  target.sendCommand = (command, ...rest) => {
    if (!probing && !open && oldestTooOld(performance.now())) trip();
    // only a connected client fails fast: while it (re)connects, ioredis sends its own INFO ready check, SELECT
    // and CLIENT SETNAME through here, and refusing those kept it reconnecting for ever (a Sentinel failover
    // under load never recovered); callers' commands wait in the offline queue meanwhile, bounded by the timeout
    if (open && !probing && target.status === 'ready') {
      command.reject(new AuthStudioError('AS_ERR_REDIS', `Redis is not answering (a command timed out after ${timeoutMs} ms); commands fail at once until it answers a PING again`));
      return command.promise;
    }
    const waits = WAITING_COMMANDS.has(String(command.name).toLowerCase());
    if (!waits) pending.set(command, performance.now());
    const p = send(command, ...rest);
    command.promise.then(
      () => pending.delete(command),
      (e: Error) => {
        pending.delete(command);
        if (!waits && e?.message === 'Command timed out') trip();
      },
    );
    return p;
  };
  return {
    get open() {
      return open;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
