// The corpus folder: append-only JSON lines files, rotated at a size bound, the oldest dropped past a count bound.
//   DIR/requests-<start ms>-<seq>.jsonl   one entry per line, in the order the engine answered
import fs from 'node:fs';
import path from 'node:path';
import type { AuthEngine } from '../engine';
import type { AuthRequest } from '../pipeline/auth-request';
import type { AuthOutcome } from '../pipeline/pipeline';
import { AuthStudioError } from '../errors/registry';
import { entryOf, entryProblem, type CorpusEntry } from './corpus-entry';
import type { CorpusKey } from './password-key';

const FILE_RE = /^requests-(\d+)-(\d+)\.jsonl$/;

export interface CorpusLimits {
  /** Start a new file past this size (default 8 MiB). */
  fileBytes: number;
  /** Keep at most this many files; the oldest go first (default 16). */
  files: number;
}

const DEFAULT_LIMITS: CorpusLimits = { fileBytes: 8 * 1024 * 1024, files: 16 };

/** The corpus files of a folder, oldest first. */
export function corpusFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => FILE_RE.test(n)).sort((a, b) => {
    const [, ta, sa] = FILE_RE.exec(a)!;
    const [, tb, sb] = FILE_RE.exec(b)!;
    return Number(ta) - Number(tb) || Number(sa) - Number(sb);
  });
}

/** Writes entries for every request an engine answers (attach) or that it is given (record). */
export class CorpusRecorder {
  private fd: number | undefined;
  private bytes = 0;
  private seq = 0;
  private detach: (() => void) | undefined;
  /** Entries written since this recorder started. */
  written = 0;

  constructor(readonly dir: string, private readonly key: CorpusKey | undefined, private readonly limits: CorpusLimits = DEFAULT_LIMITS) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new AuthStudioError('AS_ERR_CLI_USAGE', `--record ${dir}: cannot create the corpus folder (${(e as Error).message})`, { cause: e });
    }
  }

  get recordsPasswords(): boolean {
    return this.key !== undefined;
  }

  /** Record every auth request `engine` answers until `stop()`. */
  attach(engine: AuthEngine): this {
    const onAuth = (req: AuthRequest, out: AuthOutcome) => {
      try {
        this.record(req, out);
      } catch (e) {
        engine.logger.warn({ err: (e as Error).message, dir: this.dir }, 'recording a request in the corpus failed');
      }
    };
    engine.events.on('auth', onAuth);
    this.detach = () => engine.events.off('auth', onAuth);
    return this;
  }

  record(req: AuthRequest, out: AuthOutcome): void {
    const line = JSON.stringify(entryOf(req, out, this.key)) + '\n';
    if (this.fd === undefined || this.bytes + line.length > this.limits.fileBytes) this.rotate();
    // one write per entry: a crash loses at most the line being written, which the reader then skips
    fs.writeSync(this.fd!, line);
    this.bytes += Buffer.byteLength(line);
    this.written++;
  }

  private rotate(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    const name = `requests-${Date.now()}-${String(this.seq++).padStart(4, '0')}.jsonl`;
    this.fd = fs.openSync(path.join(this.dir, name), 'a', 0o600);
    this.bytes = 0;
    const files = corpusFiles(this.dir);
    for (const old of files.slice(0, Math.max(0, files.length - this.limits.files))) fs.rmSync(path.join(this.dir, old), { force: true });
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A corpus read back: its entries, oldest first, and the lines that could not be used (file:line: why). */
export interface CorpusContent {
  entries: CorpusEntry[];
  skipped: string[];
}

export function readCorpus(dir: string): CorpusContent {
  let files: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a folder');
    files = corpusFiles(dir);
  } catch (e) {
    throw new AuthStudioError('AS_ERR_CLI_USAGE', `replay: ${dir} is not a corpus folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); record one with \`authstudio serve --record ${dir}\``, { cause: e });
  }
  const out: CorpusContent = { entries: [], skipped: [] };
  for (const name of files) {
    const lines = fs.readFileSync(path.join(dir, name), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        out.skipped.push(`${name}:${i + 1}: not valid JSON (a line cut short when the recorder stopped?)`);
        return;
      }
      const problem = entryProblem(parsed);
      if (problem) out.skipped.push(`${name}:${i + 1}: ${problem}`);
      else out.entries.push(parsed as CorpusEntry);
    });
  }
  return out;
}
