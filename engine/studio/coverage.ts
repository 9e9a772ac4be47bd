// Line coverage in the studio: collected live from traffic, simulated requests and Dovecot runs (the engine's VMs
// are rebuilt with the line hook while it runs), or from a run of the workspace's test suite (with lcov written).
//
//   startCoverage -> engine.collectLines(recorder) + reload   (VMs now report lines; worker threads count their own)
//   getCoverage   -> worker threads' hits added to the recorder -> report
//   stopCoverage  -> last hits, engine.collectLines(undefined) + reload (VMs without the hook cost nothing)
import fs from 'node:fs';
import path from 'node:path';
import type { CoverageReport, FileCoverageInfo, ReloadResult } from '../api/contract';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import type { LineListener } from '../lua/line-hook';
import { CoverageRecorder, type FileCoverage } from '../testing/coverage';
import { luaFiles, runTestSuite } from '../testing/suite';
import type { Workspace } from './workspace';

/** Where a test-suite run's lcov goes (inside the studio's private folder, never served or exported). */
export const LCOV_FILE = path.join('.authstudio', 'coverage', 'lcov.info');

const percent = (covered: number, total: number) => (total === 0 ? 100 : Math.round((1000 * covered) / total) / 10);

/** The contract's shape of a recorder's report. */
export function coverageReport(files: FileCoverage[], source: CoverageReport['source'], collecting: boolean): CoverageReport {
  const out: FileCoverageInfo[] = files.map((f) => ({
    file: f.file, lines: f.lines.map((line) => ({ line, hits: f.hits.get(line) ?? 0 })), covered: f.covered, total: f.total, percent: percent(f.covered, f.total),
  }));
  const covered = out.reduce((n, f) => n + f.covered, 0);
  const total = out.reduce((n, f) => n + f.total, 0);
  return { source, collecting, files: out, covered, total, percent: percent(covered, total) };
}

export interface StudioCoverageDeps {
  engine: AuthEngine;
  workspace: Workspace;
  /** Rebuild the engine's VMs (through the studio's reloader, so the UI sees the new generation). */
  reload: () => Promise<ReloadResult>;
}

export class StudioCoverage {
  private live: CoverageRecorder | undefined;
  private collecting = false;
  private last: CoverageReport = { source: 'none', collecting: false, files: [], covered: 0, total: 0, percent: 100 };
  /** One start/stop/test run at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: StudioCoverageDeps) {}

  /** The listener Dovecot runs report to while live collection runs (undefined otherwise). */
  get dovecotListener(): LineListener | undefined {
    return this.collecting ? this.live?.listener : undefined;
  }

  start(): Promise<CoverageReport> {
    return this.serial(async () => {
      if (!this.collecting) {
        this.live = new CoverageRecorder(this.deps.workspace.root);
        this.collecting = true;
        await this.deps.engine.collectLines(this.live.listener);
        await this.reloadOrUndo();
      }
      return this.report();
    });
  }

  stop(): Promise<CoverageReport> {
    return this.serial(async () => {
      await this.stopLive();
      return this.report();
    });
  }

  async get(): Promise<CoverageReport> {
    return this.serial(() => this.report());
  }

  /** Run tests/*.test.yml with coverage; the report (and lcov) of that run becomes the latest. */
  runTests(): Promise<CoverageReport> {
    return this.serial(async () => {
      await this.stopLive(); // a test run replaces a live recording: the engine stops paying for the line hook
      const root = this.deps.workspace.root;
      const lcov = path.join(root, LCOV_FILE);
      fs.mkdirSync(path.dirname(lcov), { recursive: true });
      const r = await runTestSuite({ workspace: root, coverage: lcov, write: () => undefined });
      const failures = r.cases.filter((c) => !c.passed).map((c) => ({ name: c.name, file: c.file, line: c.line, message: c.failures.join('\n') }));
      this.last = { ...coverageReport(r.coverage ?? [], 'tests', false), tests: { passed: r.passed, failed: r.failed, failures }, lcov_file: lcov };
      this.live = undefined;
      return this.last;
    });
  }

  private async stopLive(): Promise<void> {
    if (!this.collecting || !this.live) return;
    this.collecting = false;
    this.live.addHits(await this.deps.engine.collectLines(undefined));
    await this.deps.reload();
  }

  private async report(): Promise<CoverageReport> {
    if (!this.live) return this.last;
    if (this.collecting) this.live.addHits(await this.deps.engine.takeLineHits());
    this.last = coverageReport(this.live.report(luaFiles(this.deps.workspace.root)), 'live', this.collecting);
    return this.last;
  }

  /** A reload that fails (the workspace has problems) leaves the old VMs: collection would record nothing, so undo. */
  private async reloadOrUndo(): Promise<void> {
    const r = await this.deps.reload();
    if (r.ok) return;
    this.collecting = false;
    await this.deps.engine.collectLines(undefined);
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `the workspace does not load (${r.diagnostics.length} problem(s), see Problems): coverage needs the scripts to run; fix them and start again`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
