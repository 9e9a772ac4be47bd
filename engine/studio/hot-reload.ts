// Hot reload: after a save or an external edit, validate the config and rebuild the engine's scripts; keep the old
// version serving when anything fails and report diagnostics.
//
//   save / watcher batch --(echo of our own write? drop)--> relevant (config or *.lua)? --> reload queue
//   reload: loadConfigFile (validation) -> engine.reload (fresh VMs, init scripts, atomic swap) -> 'reload' event
//   Reloads run one at a time; changes arriving meanwhile are merged into one follow-up reload.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Diagnostic, ReloadResult } from '../api/contract';
import type { AuthEngine } from '../engine';
import { loadConfigFile } from '../config/load';
import { toDiagnostics } from './diagnostics';
import { numberTextProblems } from '../check';
import type { StudioEventBus } from './event-bus';
import { versionOf, type Workspace } from './workspace';

export interface HotReloaderDeps {
  engine: AuthEngine;
  workspace: Workspace;
  bus: StudioEventBus;
  logger: Logger;
  /** The studio's Redis choice ("mock" or a URL), applied to the config's server.redis on every load. */
  redisOverride: () => string | undefined;
  env?: Record<string, string | undefined>;
}

interface Queued {
  trigger: ReloadResult['trigger'];
  files: Set<string>;
  promise: Promise<ReloadResult>;
  resolve: (r: ReloadResult) => void;
}

export class HotReloader {
  /** The last reload's outcome (also after a failure: its diagnostics are what the UI shows). */
  last: ReloadResult | undefined;
  private readonly fingerprints = new Map<string, string>();
  private running: Promise<ReloadResult> | undefined;
  private queued: Queued | undefined;

  constructor(private readonly deps: HotReloaderDeps) {}

  /** False while the last reload failed (the previous version keeps serving). */
  get healthy(): boolean {
    return this.last?.ok ?? true;
  }

  get diagnostics(): Diagnostic[] {
    return this.last?.diagnostics ?? [];
  }

  /** A change to this file changes what the engine runs. */
  isRelevant(rel: string): boolean {
    return rel === this.deps.workspace.configRel || rel.endsWith('.lua');
  }

  /** Record what relevant files hold now, so later watcher events can tell a real change from an echo. */
  snapshot(): void {
    for (const e of this.deps.workspace.list()) if (e.kind === 'file' && this.isRelevant(e.path)) this.fingerprints.set(e.path, this.fingerprint(e.path));
  }

  /** The studio itself changed these paths (a save, rename, delete): remember their state; true when one is relevant. */
  noteStudioChange(paths: string[]): boolean {
    for (const p of paths) this.fingerprints.set(p, this.fingerprint(p));
    return paths.some((p) => this.isRelevant(p));
  }

  /** A watcher batch: drop echoes of the studio's own writes, announce the rest, reload when one is relevant. */
  async onExternalChange(paths: string[]): Promise<ReloadResult | undefined> {
    const changed = paths.filter((p) => {
      const fp = this.fingerprint(p);
      if (this.fingerprints.get(p) === fp) return false;
      this.fingerprints.set(p, fp);
      return true;
    });
    if (changed.length === 0) return undefined;
    this.deps.bus.emit('files', { paths: changed, source: 'external' });
    const relevant = changed.filter((p) => this.isRelevant(p));
    return relevant.length ? this.reload('external', relevant) : undefined;
  }

  /** Reload now (or right after the one running); resolves with the outcome that includes these files. */
  reload(trigger: ReloadResult['trigger'], files: string[]): Promise<ReloadResult> {
    if (!this.running) {
      this.running = this.run(trigger, files).finally(() => {
        this.running = undefined;
        const next = this.queued;
        this.queued = undefined;
        if (next) this.reload(next.trigger, [...next.files]).then(next.resolve);
      });
      return this.running;
    }
    if (!this.queued) {
      let resolve!: (r: ReloadResult) => void;
      const promise = new Promise<ReloadResult>((r) => (resolve = r));
      this.queued = { trigger, files: new Set(), promise, resolve };
    }
    for (const f of files) this.queued.files.add(f);
    if (trigger === 'save') this.queued.trigger = 'save';
    return this.queued.promise;
  }

  private async run(trigger: ReloadResult['trigger'], files: string[]): Promise<ReloadResult> {
    const { engine, workspace, logger } = this.deps;
    const t0 = performance.now();
    let result: ReloadResult;
    try {
      const config = loadConfigFile(workspace.configFile, { redisOverride: this.deps.redisOverride(), env: this.deps.env });
      const report = await engine.reload(config);
      // warnings that do not stop a reload (a division's result concatenated: Lua 5.1 "3", Lua 5.4 "3.0")
      const known = () => workspace.list().filter((x) => x.kind === 'file').map((x) => x.path);
      const diagnostics = numberTextProblems(config).flatMap((p) => toDiagnostics(p, workspace.root, known));
      result = { ok: true, trigger, files, generation: report.generation, duration_ms: ms(t0), diagnostics };
      logger.info({ trigger, files, duration_ms: result.duration_ms, generation: result.generation }, 'reloaded');
    } catch (e) {
      const known = () => workspace.list().filter((x) => x.kind === 'file').map((x) => x.path);
      const diagnostics = toDiagnostics(e, workspace.root, known);
      result = { ok: false, trigger, files, generation: engine.generation, duration_ms: ms(t0), diagnostics };
      logger.warn({ trigger, files, diagnostics: diagnostics.map(formatDiagnostic) }, 'reload failed: the previous version keeps serving');
    }
    this.last = result;
    this.deps.bus.emit('reload', result);
    return result;
  }

  private fingerprint(rel: string): string {
    const abs = path.join(this.deps.workspace.root, ...rel.split('/'));
    try {
      const st = fs.statSync(abs);
      return st.isFile() ? versionOf(fs.readFileSync(abs)) : 'directory';
    } catch {
      return 'gone';
    }
  }
}

/** `file:line:column: message`, as editors print it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}${d.line !== undefined ? `:${d.line}` : ''}${d.column !== undefined ? `:${d.column}` : ''}: ${d.message}`;
}

function ms(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}
