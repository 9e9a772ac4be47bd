// `authstudio test`: find the workspace's tests, run them one by one, report each, JUnit XML and line coverage.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigFile } from '../config/load';
import { isAuthStudioError } from '../errors/registry';
import { CoverageRecorder, formatSummary, toLcov, type FileCoverage } from './coverage';
import { runNauthilusFixture } from './nauthilus-runner';
import { runRequestTest, formatTrace, type CaseOutcome } from './run-request';
import { runDovecotTest } from './run-dovecot';
import { runHookTest } from './run-hook';
import { environmentVariables } from './environments';
import { findTestFiles, parseTestFile, type WorkspaceTest } from './test-files';
import { toJunit } from './junit';
import { TestRedis } from './test-redis';

export interface SuiteOptions {
  /** Workspace folder (holds authstudio.yml and tests/). */
  workspace: string;
  /** Write lcov here (and print the per-file summary). */
  coverage?: string;
  junit?: string;
  /** A real Redis (redis://HOST:PORT/DB, an empty database) instead of a fresh embedded one per test. */
  redis?: string;
  /** Only these test files (workspace-relative paths); default: every tests/**\/*.test.yml. */
  files?: string[];
  /** The environment of tests/environments.yml whose variables replace {{name}} in the files. */
  environment?: string;
  /** Where the report goes (stdout by default). */
  write?: (text: string) => void;
}

export interface CaseResult {
  name: string;
  kind: WorkspaceTest['kind'] | 'file';
  file: string;
  line: number;
  passed: boolean;
  failures: string[];
  durationMs: number;
  detail?: string;
  notes?: string[];
  /** What happened (decision and status), passed or not. */
  summary?: string;
}

export interface SuiteResult {
  cases: CaseResult[];
  passed: number;
  failed: number;
  coverage?: FileCoverage[];
}

/** Run every test of the workspace. Never throws for a test's own failure (a broken test file is a failed case). */
export async function runTestSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const workspace = path.resolve(opts.workspace);
  const config = loadConfigFile(path.join(workspace, 'authstudio.yml'), { redisOverride: opts.redis });
  const redis = TestRedis.for(config, opts.redis !== undefined);
  await redis.check(opts.redis ?? '');
  const recorder = opts.coverage ? new CoverageRecorder(workspace) : undefined;
  const listener = recorder?.listener;
  const cases: CaseResult[] = [];
  const vars = environmentVariables(workspace, opts.environment);
  const only = opts.files && new Set(opts.files.map((f) => f.split(path.sep).join('/')));
  const files = findTestFiles(path.join(workspace, 'tests')).filter((f) => !only || only.has(path.relative(workspace, f).split(path.sep).join('/')));
  if (files.length === 0) write(`no tests: ${path.join(opts.workspace, 'tests')} has no *.test.yml files\n`);
  for (const file of files) {
    let tests: WorkspaceTest[];
    try {
      tests = parseTestFile(workspace, file, vars);
    } catch (e) {
      const rel = path.relative(workspace, file).split(path.sep).join('/');
      const c: CaseResult = { name: rel, kind: 'file', file: rel, line: 1, passed: false, failures: [isAuthStudioError(e) ? e.format() : String(e)], durationMs: 0 };
      cases.push(c);
      report(write, c);
      continue;
    }
    for (const t of tests) {
      const t0 = performance.now();
      let out: CaseOutcome;
      try {
        out = await runOne(config, t, listener, redis);
      } catch (e) {
        out = { failures: [isAuthStudioError(e) ? e.format() : String((e as Error)?.message ?? e)] };
      }
      const detail = out.failures.length && out.trace?.length ? `${out.summary ?? ''}\n    trace:\n${formatTrace(out.trace)}` : out.failures.length ? out.summary : undefined;
      const c: CaseResult = { name: t.name, kind: t.kind, file: t.file, line: t.line, passed: out.failures.length === 0, failures: out.failures, durationMs: performance.now() - t0, detail, notes: out.notes, summary: out.summary };
      cases.push(c);
      report(write, c);
    }
  }
  const passed = cases.filter((c) => c.passed).length;
  const result: SuiteResult = { cases, passed, failed: cases.length - passed };
  write(`\n${passed} passed, ${result.failed} failed${redis.isReal ? ` (Redis: ${opts.redis})` : ''}\n`);
  if (recorder && opts.coverage) {
    result.coverage = recorder.report(luaFiles(workspace));
    write('\nLine coverage:\n' + formatSummary(result.coverage));
    fs.writeFileSync(opts.coverage, toLcov(result.coverage));
    write(`lcov written to ${opts.coverage}\n`);
  }
  if (opts.junit) {
    fs.writeFileSync(opts.junit, toJunit(result.cases));
    write(`JUnit XML written to ${opts.junit}\n`);
  }
  return result;
}

function runOne(config: Parameters<typeof runRequestTest>[0], t: WorkspaceTest, listener: CoverageRecorder['listener'] | undefined, redis: TestRedis): Promise<CaseOutcome> {
  switch (t.kind) {
    case 'request':
      return runRequestTest(config, t, listener, redis);
    case 'hook':
      return runHookTest(config, t, listener, redis);
    case 'dovecot':
      return runDovecotTest(config, t, listener, redis);
    case 'lua_test':
      return runNauthilusFixture({ config, script: t.script, callback: t.callback, fixture: t.mock, lineListener: listener, redis }).then((r) => ({
        failures: r.success ? [] : r.errors.length ? r.errors : ['the callback did not succeed'],
        notes: r.notes,
        summary: r.logs.length ? 'logs:\n' + r.logs.map((l) => `      ${l}`).join('\n') : undefined,
      }));
  }
}

function report(write: (s: string) => void, c: CaseResult): void {
  const ms = `${Math.round(c.durationMs)} ms`;
  write(`${c.passed ? 'ok  ' : 'FAIL'}  ${c.name}  (${c.file}:${c.line}, ${c.kind}, ${ms})\n`);
  for (const n of c.notes ?? []) write(`    note: ${n}\n`);
  if (c.passed) return;
  for (const f of c.failures) write(`    ✗ ${f}\n`);
  if (c.detail) write(`    ${c.detail}\n`);
}

/** Workspace .lua files outside tests/ (the scripts coverage is reported for, run or not). */
export function luaFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules' || (dir === root && e.name === 'tests')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...luaFiles(p, root));
    else if (e.name.endsWith('.lua')) out.push(path.relative(root, p));
  }
  return out;
}
