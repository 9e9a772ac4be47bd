// Log lines shaped like Dovecot 2.3's auth log: `auth-worker: Error: lua(user,rip,<session>): db-lua: ...`.
import type { DovecotLogLine } from './types';

const LEVEL_WORD: Record<DovecotLogLine['level'], string> = {
  debug: 'Debug', info: 'Info', warning: 'Warning', error: 'Error', fatal: 'Fatal', panic: 'Panic',
};

/** Frames of the harness' own Lua chunks (chunk names "=[dovecot prelude]" etc.). */
const HARNESS_FRAME = /^\t\[dovecot [a-z-]+\]:\d+: in (.*)$/;
const C_FRAME = /^\t\[C\]: in /;

/**
 * Remove the harness from a Lua traceback so it reads as Dovecot's: a harness function the script called
 * becomes `[C]: in method 'add_header'` (in Dovecot it is a C function), everything below the entry
 * function (the dispatcher and its xpcall) and every frame inside the harness disappear.
 */
export function cleanTraceback(text: string): string {
  const at = text.indexOf('\nstack traceback:\n');
  if (at < 0) return text;
  const head = text.slice(0, at + '\nstack traceback:'.length);
  let frames = text.slice(at + '\nstack traceback:\n'.length).split('\n');
  const cut = frames.findIndex((f) => f === "\t[C]: in function 'xpcall'");
  if (cut >= 0) frames = frames.slice(0, cut);
  const out: string[] = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const caller = frames[i + 1];
    const callerIsScript = caller !== undefined && !HARNESS_FRAME.test(caller) && !C_FRAME.test(caller);
    const m = HARNESS_FRAME.exec(f);
    if (m) {
      if (callerIsScript) out.push(`\t[C]: in ${m[1].includes('<[dovecot') ? '?' : m[1]}`);
      continue;
    }
    if (C_FRAME.test(f) && caller !== undefined && HARNESS_FRAME.test(caller)) continue;
    out.push(f);
  }
  return out.length ? `${head}\n${out.join('\n')}` : head;
}

/** Collects the lines one harness run logs, with the request prefix and the auth settings applied. */
export class DovecotLog {
  readonly lines: DovecotLogLine[] = [];
  /** `lua(user,rip,<session>): ` for the request being served; empty outside a request. */
  requestPrefix = '';

  /** 2.4: the request a line is about (its prefix is `auth-worker(user,rip)<session>: request [1]: Level: NAME: `). */
  request24?: { user?: string; rip?: string; session?: string; mech?: string };

  constructor(private readonly opts: { blocking: boolean; authVerbose: boolean; authDebug: boolean; version?: '2.3' | '2.4'; passdbName?: string }) {}

  get version(): '2.3' | '2.4' {
    return this.opts.version ?? '2.3';
  }

  /** The process that runs the script: auth-worker with blocking=yes, auth otherwise. */
  get worker(): string {
    return this.opts.blocking ? 'auth-worker' : 'auth';
  }

  /** A line exactly as given (multi-line text becomes one line per text line, as Dovecot writes it). */
  write(level: DovecotLogLine['level'], text: string, proc = this.worker): void {
    text.split('\n').forEach((line, i) => {
      // the log process writes the continuation lines of a fatal error as errors (observed on 2.3.19.1)
      // (2.4.1 keeps them fatal)
      const lvl = i > 0 && level === 'fatal' && this.version === '2.3' ? 'error' : level;
      this.lines.push({ level: lvl, text: `${proc}: ${LEVEL_WORD[lvl]}: ${line}` });
    });
  }

  /** dovecot.i_* and events without a request: always logged (Dovecot logs i_debug too). */
  global(level: DovecotLogLine['level'], msg: string): void {
    this.write(level, msg);
  }

  /** A line about the request (req:log_*, Dovecot's own verdict lines); info needs auth_verbose, debug auth_debug. */
  request(level: DovecotLogLine['level'], msg: string, proc = this.worker): void {
    if (level === 'debug' && !this.opts.authDebug) return;
    if (level === 'info' && !this.opts.authVerbose) return;
    if (this.version === '2.4' && this.request24) {
      // 2.4 prefixes every line of the message (observed on 2.4.1); the request number counts per worker process
      // the auth process names the mechanism instead of the worker's request number
      const r = this.request24;
      const worker = proc !== 'auth';
      const who = `${proc}(${r.user ?? ''}${r.rip ? `,${r.rip}` : ''}${!worker && r.mech ? `,sasl:${r.mech.toLowerCase()}` : ''})${r.session ? `<${r.session}>` : ''}`;
      const num = worker ? ' request [1]:' : '';
      for (const line of msg.split('\n')) this.lines.push({ level, text: `${who}:${num} ${LEVEL_WORD[level]}: ${this.opts.passdbName ?? 'lua'}: ${line}` });
      return;
    }
    const [first, ...rest] = msg.split('\n');
    this.lines.push({ level, text: `${proc}: ${LEVEL_WORD[level]}: ${this.requestPrefix}${first}` });
    for (const line of rest) this.lines.push({ level, text: `${proc}: ${LEVEL_WORD[level]}: ${line}` });
  }

  /** The auth worker died (a Dovecot assertion or a Lua panic): what the auth process logs then. */
  crash(panic: string, user: string, request = 'PASSV'): void {
    // an empty text: the worker died on a signal (no panic line)
    if (panic) this.write('panic', panic);
    const how = this.version === '2.4' ? ': Connection closed' : '';
    this.write('error', `auth-worker: Aborted ${request} request for ${user}: Worker process died unexpectedly${how}`, 'auth');
  }
}

/** `lua(user,rip,<session>): ` as auth_request_get_log_prefix builds it. */
export function requestPrefix(user: string | undefined, rip: string | undefined, session: string | undefined, master = false): string {
  let s = `lua(${user ?? '?'}`;
  if (rip) s += `,${rip}`;
  // a lookup in a `master = yes` passdb
  if (master) s += ',master';
  if (session) s += `,<${session}>`;
  return `${s}): `;
}
