// The workspace's corpus in the studio: recording its own requests (opt-in, passwords only when asked) and the
// what-if before a save: every recorded request through the live generation and through the edited files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordingStatus, WhatIfInput, WhatIfReport } from '../api/contract-types';
import type { AuthEngine } from '../engine';
import { loadConfigFile } from '../config/load';
import { AuthStudioError } from '../errors/registry';
import { CorpusRecorder, readCorpus } from '../replay/corpus';
import { CorpusKey } from '../replay/password-key';
import { changeSummary, replayCorpus } from '../replay/replay-run';
import type { Workspace } from './workspace';
import { PRIVATE_DIR, isInside } from './workspace-paths';

/** Where a workspace keeps its corpus (private: never listed, watched or exported). */
export const CORPUS_REL = `${PRIVATE_DIR}/corpus`;

/** A what-if runs the newest this many requests (a save should not wait for a whole corpus; `authstudio replay` runs it all). */
export const WHAT_IF_MAX_ENTRIES = 5000;

/** Files a what-if runs for: the config and scripts (other saves cannot change a decision). */
const ENGINE_FILE = /\.(lua|ya?ml)$/i;

export class StudioCorpus {
  private recorder: CorpusRecorder | undefined;
  private count = 0;

  constructor(private readonly workspace: Workspace, private readonly engine: AuthEngine, private readonly env: Record<string, string | undefined> = process.env) {}

  get dir(): string {
    return path.join(this.workspace.root, CORPUS_REL);
  }

  status(): RecordingStatus {
    return { enabled: this.recorder !== undefined, passwords: this.recorder?.recordsPasswords ?? false, dir: CORPUS_REL, recorded: this.count + (this.recorder?.written ?? 0) };
  }

  setRecording(enabled: boolean, passwords: boolean): RecordingStatus {
    if (this.recorder) {
      this.count += this.recorder.written;
      this.recorder.stop();
      this.recorder = undefined;
    }
    if (enabled) {
      const key = passwords ? CorpusKey.load({ create: true, env: this.env }) : undefined;
      this.recorder = new CorpusRecorder(this.dir, key).attach(this.engine);
    }
    return this.status();
  }

  /** The corpus through the live generation (before) and the workspace with `content` at `path` (after). */
  async whatIf(input: WhatIfInput): Promise<WhatIfReport> {
    const empty = (corpus: boolean, summary: string): WhatIfReport => ({
      before_label: 'live', after_label: 'edited', entries: 0, changed: [], now_refused: 0, now_accepted: 0, without_password: 0, skipped: [], corpus, summary,
    });
    if (typeof input.path !== 'string' || typeof input.content !== 'string') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'whatIf needs a path and the content to try', { path: 'path' });
    const { rel } = this.workspace.paths.resolve(input.path);
    if (!fs.existsSync(this.dir)) return empty(false, 'no recorded requests in this workspace');
    const corpus = readCorpus(this.dir);
    if (corpus.entries.length === 0) return empty(false, 'no recorded requests in this workspace');
    const entries = corpus.entries.slice(-WHAT_IF_MAX_ENTRIES);
    const n = entries.length;
    if (!ENGINE_FILE.test(rel)) return { ...empty(true, `no change in ${n} recorded request${n === 1 ? '' : 's'}`), entries: n };
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-whatif-'));
    try {
      // the edited version: the workspace as it is, with the editor's text in place of the file
      fs.cpSync(this.workspace.root, copy, { recursive: true, filter: (src) => !isInside(path.join(this.workspace.root, PRIVATE_DIR), src) && path.basename(src) !== 'node_modules' });
      fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
      fs.writeFileSync(path.join(copy, rel), input.content);
      const edited = loadConfigFile(path.join(copy, path.relative(this.workspace.root, this.workspace.configFile)), { redisOverride: 'mock', env: this.env });
      const report = await replayCorpus(entries, { label: 'live', config: this.engine.config }, { label: 'edited', config: edited }, {
        key: CorpusKey.load({ create: false, env: this.env }), skipped: corpus.skipped,
      });
      return { ...report, corpus: true, summary: changeSummary(report) };
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }

  close(): void {
    this.recorder?.stop();
    this.recorder = undefined;
  }
}
