// A Dovecot 2.3 Lua passdb/userdb script run as Dovecot 2.3.19 runs it: loaded once, script_init, one
// entry function per lookup, Dovecot's checks on what comes back, and Dovecot's log lines.
//
//   load(): read file -> run top level -> script_init() (must return 0)      (a failure is fatal in Dovecot)
//   passdb(login): auth_password_verify(req, pass) if defined and the mech is plaintext,
//                  else auth_passdb_lookup(req) + Dovecot's password / nopassword check
//   userdb(login): auth_userdb_lookup(req)        iterate(): auth_userdb_iterate()
//   close(): script_deinit()
import type { LineDebugger } from '../lua/debug-port';
import type { LineListener } from '../lua/line-hook';
import fs from 'node:fs';
import path from 'node:path';
import { DovecotCall } from './call';
import { DovecotVm, DovecotCallTimeout } from './dovecot-vm';
import { hostFunctions, ScriptFiles } from './dovecot-global';
import { cleanTraceback } from './log';
import { buildRequestVars, PLAINTEXT_MECHS } from './req';
import { decodeReturn, passdbClientView, userdbClientView, lookupVerdict, type ScriptReturn } from './fields';
import { finishPassdb } from './passdb';
import { USERDB_RESULTS as U, PASSDB_RESULTS as P, passdbStatusName, userdbStatusName, type DovecotAction, type DovecotLogin, type DovecotResult, type DovecotSettings, type DovecotLogLine } from './types';

/** Where the script comes from. */
export interface DovecotScriptOptions extends DovecotSettings {
  /** Host path of the script. */
  file: string;
  /** The path Dovecot's config names (shown in errors and tracebacks); default: `file` made absolute. */
  displayPath?: string;
  /** Source to run instead of the file's content (an unsaved editor buffer). */
  source?: string;
  /** A second Lua passdb with `master = yes` (master-user logins `user*master`, see `masterSeparator`). */
  masterScript?: { file: string; source?: string; displayPath?: string };
  /** Told about each line of the script the harness runs (coverage: `authstudio test --coverage`). */
  lineListener?: LineListener;
  /** A debugger attached when the script loads pauses its lines (engine/debug/; docs/debugging.md). */
  debugger?: LineDebugger;
}

const DEFAULT_CALL_TIMEOUT_MS = 180_000;

/** One loaded Dovecot Lua script. Calls are run one at a time, in order, like one auth worker. */
export class DovecotScript {
  /** Set when loading or script_init failed: Dovecot stops with this fatal error; every lookup is a temporary failure. */
  initError?: string;
  /** Log lines of loading and script_init. */
  readonly loadLogs: DovecotLogLine[] = [];
  readonly loadNotes: string[] = [];
  readonly displayPath: string;
  private vm?: DovecotVm;
  private closed = false;
  private call: DovecotCall;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

  private constructor(private readonly opts: DovecotScriptOptions) {
    this.displayPath = opts.displayPath ?? path.resolve(opts.file);
    this.call = new DovecotCall(opts);
    this.timeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** Load a script (never throws for the script's own mistakes: see `initError`). */
  static async load(opts: DovecotScriptOptions): Promise<DovecotScript> {
    const s = new DovecotScript(opts);
    if (opts.masterScript) {
      // Dovecot initialises the master passdbs first
      s.master = await DovecotScript.load({ ...opts, ...opts.masterScript, masterScript: undefined });
      s.loadLogs.push(...s.master.loadLogs);
      s.loadNotes.push(...s.master.loadNotes);
      if (s.master.initError) {
        s.initError = s.master.initError;
        return s;
      }
    }
    await s.init();
    return s;
  }

  /** The `master = yes` passdb, when one is configured. */
  private master?: DovecotScript;

  private async init(): Promise<void> {
    this.call = new DovecotCall(this.opts);
    const call = this.call;
    try {
      let src = this.opts.source;
      if (src === undefined) {
        try {
          src = fs.readFileSync(this.opts.file, 'utf8');
        } catch (e) {
          return this.fatal(`${this.v24 ? `Lua script '${this.displayPath}': ` : ''}access(${this.displayPath}) failed: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
        }
      }
      // luaL_loadfile skips a BOM and a first line starting with '#' (keeping line numbers)
      src = src.replace(/^\uFEFF/, '').replace(/^#[^\n]*/, '');
      const files = new ScriptFiles(path.dirname(path.resolve(this.opts.file)), this.opts.pathMap);
      this.vm = await DovecotVm.create(hostFunctions(() => this.call, files, this.opts), this.opts.lineListener, this.opts.debugger);
      const [tag, msg] = await this.vm.call('chunk', [src, '@' + this.displayPath], this.timeoutMs, () => call.abort.abort());
      if (tag === 'load_error') return this.fatal(`${this.v24 ? `Lua script '${this.displayPath}': ` : ''}lua_load(${this.displayPath}) failed: ${msg}`);
      // 2.4 runs the top level inside dlua_script_init
      if (tag === 'error') return this.fatal(`${this.v24 ? 'script_init() failed: ' : ''}lua_pcall(${this.displayPath}) failed: ${cleanTraceback(String(msg))}`);
      const settings = Object.entries(this.opts.luaSettings ?? {});
      const [itag, imsg] = await this.vm.call('init', [settings], this.timeoutMs, () => call.abort.abort());
      if (itag === 'error') return this.fatal(cleanTraceback(String(imsg)));
    } catch (e) {
      this.fatal(e instanceof DovecotCallTimeout ? `the script's top level or script_init() did not finish: ${e.message}` : String(e));
    } finally {
      this.loadLogs.push(...call.log.lines);
      this.loadNotes.push(...call.notes);
    }
  }

  private get v24(): boolean {
    return this.opts.dovecot === '2.4';
  }

  /** What the auth process logs before it exits (2.3: passdb_lua_preinit; 2.4: i_fatal with the error as is). */
  private fatalLine(): string {
    return this.v24 ? `passdb-lua: ${this.initError}` : `passdb-lua: initialization failed: ${this.initError}`;
  }

  private fatal(msg: string): void {
    this.initError = msg;
    // the auth process (not the worker) initialises the passdb; Dovecot's master keeps restarting it
    this.call.log.write('fatal', this.fatalLine(), 'auth');
  }

  /** A login: the passdb lookup Dovecot runs for it, with Dovecot's verdict. */
  passdb(login: DovecotLogin): Promise<DovecotResult> {
    const sep = (this.opts.masterSeparator ?? (this.master ? '*' : ''))[0];
    const at = sep ? login.user.lastIndexOf(sep) : -1;
    if (this.master && at >= 0 && !this.initError) {
      // auth_request_set_username: `login*master` (the last separator) looks up the master in the master passdb
      const masterUser = login.user.slice(at + 1);
      return this.master.passdb({ ...login, user: masterUser, loginUser: login.user.slice(0, at) }).then((r) => {
        // a failure names the master user it was about (`user=` of Dovecot's FAIL reply)
        if (r.outcome !== 'ok' && r.status !== 'AUTH_PROCESS_BROKEN') r.fields = { user: masterUser.toLowerCase(), ...r.fields };
        return r;
      });
    }
    return this.serial(async () => {
      const reloaded = await this.ensureLoaded();
      const vars = buildRequestVars(login, 'passdb', this.opts.dovecot);
      const call = this.begin(login, vars, reloaded);
      if (this.initError) return this.broken(call, 'passdb');
      if (!this.vm) return this.result(call, 'passdb', '', P.PASSDB_RESULT_INTERNAL_FAILURE, {}, passdbClientView(-1));
      const hasVerify = PLAINTEXT_MECHS.has(vars.mech ?? vars.mechanism) && (await this.vm.call('has', ['auth_password_verify'], this.timeoutMs))[0] === true;
      const entry = hasVerify ? 'auth_password_verify' : 'auth_passdb_lookup';
      let ret: ScriptReturn;
      try {
        ret = decodeReturn(await (hasVerify
          ? this.vm.call('password_verify', [vars, login.password ?? ''], this.timeoutMs, () => call.abort.abort())
          : this.vm.call('passdb_lookup', [vars], this.timeoutMs, () => call.abort.abort())));
        ret = harnessStop(ret, entry, this.timeoutMs);
      } catch (e) {
        ret = { kind: 'error', text: timeoutText(e, entry) };
        if (e instanceof DovecotCallTimeout) this.vm = undefined;
      }
      const done = await finishPassdb(call, ret, { entry, login, mech: vars.mech ?? vars.mechanism, user: vars.user, scriptPath: this.displayPath, loginUser: vars.login_user });
      return this.result(call, 'passdb', entry, done.code, done.fields, passdbClientView(done.code), done.scriptStatus);
    });
  }

  /** A userdb lookup for `login.user` (no password is given to the script). */
  userdb(login: DovecotLogin): Promise<DovecotResult> {
    return this.serial(async () => {
      const reloaded = await this.ensureLoaded();
      const vars = buildRequestVars(login, 'userdb', this.opts.dovecot);
      const call = this.begin(login, vars, reloaded);
      const entry = 'auth_userdb_lookup';
      if (this.initError) return this.broken(call, 'userdb');
      if (!this.vm) return this.userdbResult(call, entry, U.USERDB_RESULT_INTERNAL_FAILURE, {});
      let ret: ScriptReturn;
      try {
        ret = harnessStop(decodeReturn(await this.vm.call('userdb_lookup', [vars], this.timeoutMs, () => call.abort.abort())), entry, this.timeoutMs);
      } catch (e) {
        ret = { kind: 'error', text: timeoutText(e, entry) };
        if (e instanceof DovecotCallTimeout) this.vm = undefined;
      }
      if (ret.kind !== 'status') {
        if (ret.kind === 'panic') call.log.crash(`Lua script '${this.displayPath}': ${ret.text}`, vars.user);
        else if (ret.kind === 'assert') call.log.crash(ret.text, vars.user, 'USER');
        else call.log.request('error', `userdb-lua: ${cleanTraceback(ret.text)}`);
        return this.userdbResult(call, entry, U.USERDB_RESULT_INTERNAL_FAILURE, {}, undefined);
      }
      const v = lookupVerdict(ret, 'userdb');
      if (v.error !== undefined) call.log.request('error', `userdb-lua: ${v.error}`);
      return this.userdbResult(call, entry, v.code, v.code === U.USERDB_RESULT_OK ? v.exported?.fields ?? {} : {}, ret.code);
    });
  }

  /** auth_userdb_iterate(): the user names (`doveadm user '*'`). */
  iterate(): Promise<DovecotResult> {
    return this.serial(async () => {
      const reloaded = await this.ensureLoaded();
      const call = this.begin({ user: '' }, undefined, reloaded);
      call.log.requestPrefix = 'lua(?): ';
      const entry = 'auth_userdb_iterate';
      if (this.initError) return this.broken(call, 'iterate');
      if (!this.vm) return this.userdbResult(call, entry, U.USERDB_RESULT_INTERNAL_FAILURE, {});
      let values: unknown[];
      try {
        values = await this.vm.call('userdb_iterate', [], this.timeoutMs, () => call.abort.abort());
      } catch (e) {
        values = ['error', timeoutText(e, entry)];
        if (e instanceof DovecotCallTimeout) this.vm = undefined;
      }
      if (values[0] !== 'users') {
        if (values[0] === 'error') call.log.request('error', cleanTraceback(String(values[1])));
        return this.userdbResult(call, entry, U.USERDB_RESULT_INTERNAL_FAILURE, {});
      }
      const r = this.userdbResult(call, entry, U.USERDB_RESULT_OK, {});
      r.users = values.slice(1).map(String);
      return r;
    });
  }

  /** Run script_deinit() and free the Lua state; returns what deinit logged. */
  close(): Promise<DovecotLogLine[]> {
    return this.serial(async () => {
      this.closed = true;
      const call = this.begin({ user: '' }, undefined);
      const vm = this.vm;
      this.vm = undefined;
      if (vm && !this.initError) {
        try {
          const [tag, msg] = await vm.call('deinit', [], this.timeoutMs, () => call.abort.abort());
          if (tag === 'error') call.log.global('error', cleanTraceback(String(msg)));
        } catch (e) {
          call.log.global('error', `script_deinit() failed: ${(e as Error).message}`);
        }
      }
      vm?.close();
      return call.log.lines;
    });
  }

  /** After a call ran out of time its Lua state is gone: load the script again (Dovecot would still be waiting). */
  private async ensureLoaded(): Promise<string | undefined> {
    if (this.vm || this.initError || this.closed) return undefined;
    await this.init();
    return 'the previous call ran out of time: the script was loaded again (top level and script_init ran again)';
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private begin(login: DovecotLogin, vars: Record<string, string> | undefined, reloaded?: string): DovecotCall {
    this.call = new DovecotCall(this.opts, login, vars);
    if (reloaded) this.call.note(reloaded);
    if (this.initError) this.call.note(`the script did not load, so Dovecot's auth process would not run: ${this.initError.split('\n')[0]}`);
    return this.call;
  }

  /**
   * The auth service never started: the login process greets with `* BYE Auth process broken` and every
   * restart of the auth process logs the fatal error again (no lookup runs; doveadm cannot connect).
   */
  private broken(call: DovecotCall, action: DovecotAction): DovecotResult {
    call.log.write('fatal', this.fatalLine(), 'auth');
    const r = this.result(call, action, '', P.PASSDB_RESULT_INTERNAL_FAILURE, {}, AUTH_BROKEN);
    r.status = 'AUTH_PROCESS_BROKEN';
    return r;
  }

  private result(call: DovecotCall, action: DovecotAction, entry: string, code: number, fields: Record<string, string>, view: ReturnType<typeof passdbClientView>, scriptStatus?: number): DovecotResult {
    return {
      action, entry, status: passdbStatusName(code), code, scriptStatus, fields,
      outcome: view.outcome, imap: view.imap, failCode: view.failCode,
      http: call.http, logs: call.log.lines, stdout: call.stdout, notes: call.notes, durationMs: Date.now() - call.started,
    };
  }

  private userdbResult(call: DovecotCall, entry: string, code: number, fields: Record<string, string>, scriptStatus?: number): DovecotResult {
    const view = userdbClientView(code);
    return {
      action: entry === 'auth_userdb_iterate' ? 'iterate' : 'userdb', entry, status: userdbStatusName(code), code, scriptStatus, fields,
      outcome: view.outcome, failCode: view.failCode,
      http: call.http, logs: call.log.lines, stdout: call.stdout, notes: call.notes, durationMs: Date.now() - call.started,
    };
  }
}

const AUTH_BROKEN = { outcome: 'tempfail' as const, imap: '* BYE Auth process broken' };

/** A time-limit stop surfaces as a JS error inside Lua; report it as the harness' own verdict. */
function harnessStop(ret: ScriptReturn, entry: string, timeoutMs: number): ScriptReturn {
  if (ret.kind !== 'error' || !/\[harness\] .*timeout exceeded/.test(ret.text)) return ret;
  return { kind: 'error', text: `${entry}: the script ran longer than ${timeoutMs} ms (the harness gave up; Dovecot would wait)` };
}

function timeoutText(e: unknown, entry: string): string {
  if (e instanceof DovecotCallTimeout) return `${entry}: ${e.message} (the harness gave up; Dovecot would wait)`;
  return `${entry}: ${(e as Error)?.message ?? String(e)}`;
}
