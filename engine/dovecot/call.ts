// What the harness collects while one script call runs: logs, HTTP calls, prints, notes, the request.
import { DovecotLog, requestPrefix } from './log';
import type { DovecotHttpCall, DovecotLogin, DovecotSettings } from './types';

/** State of the call in progress; the host functions of the Lua side read and fill it. */
export class DovecotCall {
  readonly log: DovecotLog;
  readonly http: DovecotHttpCall[] = [];
  readonly stdout: string[] = [];
  readonly notes: string[] = [];
  readonly started = Date.now();
  /** Aborted when the call runs out of time: pending HTTP requests give up at once. */
  readonly abort = new AbortController();
  /** The request variables (`req.user`, ...) of the call; empty for load/init/deinit. */
  vars: Record<string, string> = {};
  passdbFields: Record<string, string> = {};
  userdbFields: Record<string, string> = {};

  constructor(settings: DovecotSettings, login?: DovecotLogin, vars?: Record<string, string>) {
    this.log = new DovecotLog({
      blocking: settings.blocking ?? true,
      authVerbose: settings.authVerbose ?? true,
      authDebug: settings.authDebug ?? false,
      version: settings.dovecot, passdbName: settings.passdbName,
    });
    if (vars) {
      this.vars = vars;
      this.log.requestPrefix = requestPrefix(vars.user, vars.rip ?? vars.remote_ip, vars.session, vars.login_user !== undefined);
      this.log.request24 = { user: vars.user, rip: vars.remote_ip, session: vars.session, mech: vars.mechanism };
    }
    if (login?.passdbFields) this.passdbFields = { ...login.passdbFields };
  }

  /** Record a harness remark once. */
  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }
}
