// Line coverage of workspace Lua files: hits recorded by the VMs' line hook, a per-file summary, lcov output.
import fs from 'node:fs';
import path from 'node:path';
import type { LineListener } from '../lua/line-hook';
import type { LineHitList } from '../lua/line-hits';

/** Coverage of one file. */
export interface FileCoverage {
  /** Path relative to the workspace (as chunk names and traces show it). */
  file: string;
  /** Lines that can run (code lines and every line that ran). */
  lines: number[];
  /** Hit count by line. */
  hits: Map<number, number>;
  covered: number;
  total: number;
}

/** Hits by workspace file and line, from every VM that was given `listener`. */
export class CoverageRecorder {
  private readonly hits = new Map<string, Map<number, number>>();

  constructor(private readonly workspace: string) {}

  /** The line listener to give VMs (EngineOptions.lineListener, VmOptions.lineListener). */
  readonly listener: LineListener = (source, line) => {
    let byLine = this.hits.get(source);
    if (!byLine) {
      byLine = new Map();
      this.hits.set(source, byLine);
    }
    byLine.set(line, (byLine.get(line) ?? 0) + 1);
  };

  /** Add hits counted elsewhere (a worker thread's LineHits). */
  addHits(list: LineHitList): void {
    for (const [source, lines] of list) {
      let byLine = this.hits.get(source);
      if (!byLine) {
        byLine = new Map();
        this.hits.set(source, byLine);
      }
      for (const [l, n] of lines) byLine.set(l, (byLine.get(l) ?? 0) + n);
    }
  }

  /** Record a hit from a chunk named by host path (the Dovecot harness names chunks by the script's path). */
  hitHostPath(file: string, line: number): void {
    this.listener(this.relative(file), line);
  }

  /**
   * Hits keyed by workspace-relative path. Chunk names are relative to the workspace (a test VM) or to the
   * process's folder (an engine's pools name scripts as the config does): a name that is a workspace file is
   * taken as workspace-relative, any other as relative to the process's folder.
   */
  private byWorkspacePath(): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    for (const [source, byLine] of this.hits) {
      const inWorkspace = path.resolve(this.workspace, source);
      const file = this.relative(fs.existsSync(inWorkspace) ? inWorkspace : path.resolve(source));
      const into = out.get(file) ?? new Map<number, number>();
      for (const [l, n] of byLine) into.set(l, (into.get(l) ?? 0) + n);
      out.set(file, into);
    }
    return out;
  }

  relative(file: string): string {
    const rel = path.relative(this.workspace, path.resolve(this.workspace, file));
    return rel.split(path.sep).join('/');
  }

  /**
   * Coverage of `files` (workspace-relative .lua paths: every script of the workspace, run or not) and of any
   * other workspace file that ran. Files outside the workspace are left out.
   */
  report(files: string[]): FileCoverage[] {
    const merged = this.byWorkspacePath();
    const names = new Set(files.map((f) => this.relative(f)));
    for (const f of merged.keys()) if (!f.startsWith('..') && !path.isAbsolute(f)) names.add(f);
    const out: FileCoverage[] = [];
    for (const file of [...names].sort()) {
      let source = '';
      try {
        source = fs.readFileSync(path.join(this.workspace, file), 'utf8');
      } catch {
        continue;
      }
      const hits = merged.get(file) ?? new Map<number, number>();
      // lines that only close a block (`end`) report the implicit return when their function ran: not counted,
      // so a function's `end` does not make a run function look better covered than one that never ran
      const lines = codeLines(source);
      const covered = lines.filter((l) => (hits.get(l) ?? 0) > 0).length;
      out.push({ file, lines, hits, covered, total: lines.length });
    }
    return out;
  }
}

/**
 * Lines of a Lua source that hold code the hook can report: not blank, not only a comment, not inside a long
 * comment or long string, not only a closing keyword (`end`, `else`, `until`-less `}`/`)`). A static
 * approximation, as luacov's.
 */
export function codeLines(source: string): number[] {
  const out: number[] = [];
  const lines = source.split('\n');
  let longClose: string | null = null; // the ']==]' that ends the long comment or string we are in
  lines.forEach((raw, i) => {
    let text = raw;
    if (longClose) {
      const at = text.indexOf(longClose);
      if (at < 0) return;
      text = text.slice(at + longClose.length);
      longClose = null;
    }
    // drop long comments/strings that open on this line (closing on it or later), then line comments
    let code = '';
    let rest = text;
    for (;;) {
      const m = /--\[(=*)\[|\[(=*)\[|--/.exec(rest);
      if (!m) {
        code += rest;
        break;
      }
      code += rest.slice(0, m.index);
      if (m[0] === '--') break;
      const eq = m[1] ?? m[2] ?? '';
      const close = `]${eq}]`;
      if (m[0].startsWith('[')) code += 'x'; // a long string is a value: the line holds code
      const after = rest.slice(m.index + m[0].length);
      const end = after.indexOf(close);
      if (end < 0) {
        longClose = close;
        break;
      }
      rest = after.slice(end + close.length);
    }
    const t = code.trim();
    if (t === '' || /^(end|else|\}|\)|end\)|end,|\},|\);?|\}\)|end\))[;,]?$/.test(t)) return;
    out.push(i + 1);
  });
  return out;
}

/** The lcov tracefile of a report (SF paths relative to the workspace). */
export function toLcov(report: FileCoverage[]): string {
  const parts: string[] = [];
  for (const f of report) {
    parts.push('TN:', `SF:${f.file}`);
    for (const l of f.lines) parts.push(`DA:${l},${f.hits.get(l) ?? 0}`);
    parts.push(`LF:${f.total}`, `LH:${f.covered}`, 'end_of_record');
  }
  return parts.join('\n') + '\n';
}

/** A per-file table: covered/total lines and percentage, then the total. */
export function formatSummary(report: FileCoverage[]): string {
  const width = Math.max(4, ...report.map((f) => f.file.length));
  const pct = (c: number, t: number) => (t === 0 ? '100.0' : ((100 * c) / t).toFixed(1)).padStart(5) + '%';
  const lines = [`${'file'.padEnd(width)}  lines      cover`];
  let c = 0;
  let t = 0;
  for (const f of report) {
    c += f.covered;
    t += f.total;
    lines.push(`${f.file.padEnd(width)}  ${`${f.covered}/${f.total}`.padEnd(9)}  ${pct(f.covered, f.total)}`);
  }
  lines.push(`${'all files'.padEnd(width)}  ${`${c}/${t}`.padEnd(9)}  ${pct(c, t)}`);
  return lines.join('\n') + '\n';
}
