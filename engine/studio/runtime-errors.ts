// Runtime errors of scripts, as the studio's Problems list them: from simulated requests, traffic runs and real
// traffic alike, one entry per place and message (with a count and when it was last seen).
//
//   engine 'auth' (trace + post actions) --error stage--> add / count  --> 'runtimeErrors' event (coalesced)
//                                        --clean stage--> drop that stage's entries
//   studio 'reload' ok with files         --------------> drop entries in those files (their next version is live)
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeProblem, TraceFrame, TraceStage } from '../api/contract-types';
import type { AuthEngine } from '../engine';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { StudioEventBus } from './event-bus';
import { parseLuaError } from '../lua/lua-error';
import { workspaceFile } from './diagnostics';

/**
 * A traceback's file as the workspace names it. Scripts are named relative to the working directory, required
 * modules relative to the config's folder: a name that is no file from the working directory is tried there.
 */
export function studioFile(file: string, root: string, baseDir: string): string {
  if (path.isAbsolute(file) || file.startsWith('...') || fs.existsSync(path.resolve(process.cwd(), file))) return workspaceFile(file, root);
  return workspaceFile(path.resolve(baseDir, file), root);
}

/** `file:line: message` with the file workspace-relative (other texts as they are). */
export function studioErrorText(text: string, root: string, baseDir: string): string {
  const parsed = parseLuaError(text);
  if (parsed.file === undefined || !text.startsWith(`${parsed.file}:`)) return text;
  return studioFile(parsed.file, root, baseDir) + text.slice(parsed.file.length);
}

/** The frames with workspace-relative files. */
export function studioFrames(frames: TraceFrame[], root: string, baseDir: string): TraceFrame[] {
  return frames.map((f) => ({ ...f, file: studioFile(f.file, root, baseDir) }));
}

/** At most this many distinct problems are kept (the oldest seen goes first). */
const MAX_PROBLEMS = 100;
/** Events are coalesced: one per this many ms at most while traffic keeps failing. */
const EMIT_EVERY_MS = 100;
/** Stage kinds that run a workspace script: a clean run of one clears its problems. */
const SCRIPT_STAGES = new Set(['feature', 'filter', 'action', 'post_action', 'backend', 'hook']);

export class RuntimeErrorBook {
  private readonly problems = new Map<string, RuntimeProblem>();
  private timer: NodeJS.Timeout | undefined;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly engine: AuthEngine, private readonly bus: StudioEventBus, private readonly root: string) {
    const onAuth = (_req: unknown, out: AuthOutcome) => {
      this.observe(out.trace, out.session);
      out.postActions.then((records) => this.observe(records, out.session), () => undefined);
    };
    engine.events.on('auth', onAuth);
    this.offs.push(() => engine.events.off('auth', onAuth));
    this.offs.push(bus.on('reload', (r) => {
      if (r.ok) this.dropFiles(r.files);
    }));
  }

  /** The problems, most recently seen first. */
  list(): RuntimeProblem[] {
    return [...this.problems.values()].sort((a, b) => b.last_seen - a.last_seen).map((p) => ({ ...p }));
  }

  /** Count the failed stages of one request's records; a script stage that ran clean clears its own problems. */
  observe(records: TraceStage[], session?: string): void {
    let changed = false;
    for (const r of records) {
      if (r.result === 'error' && r.error) {
        this.add(r, session);
        changed = true;
      } else if (SCRIPT_STAGES.has(r.stage)) {
        for (const [k, p] of this.problems) {
          if (p.stage === r.stage && p.name === r.name) {
            this.problems.delete(k);
            changed = true;
          }
        }
      }
    }
    if (changed) this.schedule();
  }

  private add(r: TraceStage, session: string | undefined): void {
    const parsed = parseLuaError(r.error ?? '');
    const baseDir = this.engine.config.baseDir;
    const traceback = r.traceback ? studioFrames(r.traceback, this.root, baseDir) : undefined;
    const top = traceback?.[0];
    const file = parsed.file !== undefined ? studioFile(parsed.file, this.root, baseDir) : top?.file;
    const line = parsed.line ?? top?.line;
    const key = `${r.stage}\0${r.name}\0${file ?? ''}:${line ?? ''}\0${parsed.message}`;
    const now = Date.now();
    const seen = this.problems.get(key);
    if (seen) {
      seen.count++;
      seen.last_seen = now;
      if (session) seen.session = session;
      if (traceback) seen.traceback = traceback;
      return;
    }
    if (this.problems.size >= MAX_PROBLEMS) {
      const oldest = [...this.problems.entries()].sort((a, b) => a[1].last_seen - b[1].last_seen)[0];
      this.problems.delete(oldest[0]);
    }
    this.problems.set(key, {
      ...(file ? { file } : {}), ...(line !== undefined ? { line } : {}),
      message: parsed.message, stage: r.stage, name: r.name, traceback: traceback ?? [],
      count: 1, first_seen: now, last_seen: now, ...(session ? { session } : {}),
    });
  }

  private dropFiles(files: string[]): void {
    if (files.length === 0) return;
    const changed = new Set(files);
    let dropped = false;
    for (const [k, p] of this.problems) {
      if ((p.file && changed.has(p.file)) || p.traceback.some((f) => changed.has(f.file))) {
        this.problems.delete(k);
        dropped = true;
      }
    }
    if (dropped) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.bus.emit('runtimeErrors', { problems: this.list() });
    }, EMIT_EVERY_MS);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const off of this.offs.splice(0)) off();
  }
}
