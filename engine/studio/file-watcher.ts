// Watches a workspace for external edits (another editor, git checkout): one fs.watch per folder, debounced.
//
// fs.watch({recursive}) is not available on Linux with Node 20, so every folder gets its own watcher; new
// folders are picked up when they appear, removed ones are dropped. Events arrive in bursts (an editor
// writes a temp file, renames, touches): they are collected and delivered once the burst is quiet.
import fs from 'node:fs';
import path from 'node:path';
import { isIgnoredName } from './workspace';

export interface FileWatcherOptions {
  /** Quiet time before a batch is delivered (default 25 ms). */
  debounceMs?: number;
  /** A batch is delivered at the latest this long after its first event (default 250 ms). */
  maxWaitMs?: number;
}

/** Delivers batches of workspace-relative paths that changed on disk (created, modified, deleted, renamed). */
export class FileWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private closed = false;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly root: string,
    private readonly onChange: (paths: string[]) => void,
    opts: FileWatcherOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 25;
    this.maxWaitMs = opts.maxWaitMs ?? 250;
  }

  start(): void {
    this.watchTree(this.root);
  }

  /** Folders being watched (for status and tests). */
  get folderCount(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private watchTree(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return;
    let w: fs.FSWatcher;
    try {
      w = fs.watch(dir, { persistent: false }, (_event, filename) => this.onEvent(dir, filename === null ? undefined : String(filename)));
    } catch {
      return; // vanished between listing and watching
    }
    w.on('error', () => this.unwatch(dir));
    this.watchers.set(dir, w);
    for (const d of safeReaddir(dir)) {
      if (d.isDirectory() && !isIgnoredName(d.name)) this.watchTree(path.join(dir, d.name));
    }
  }

  private unwatch(dir: string): void {
    for (const [d, w] of this.watchers) {
      if (d === dir || d.startsWith(dir + path.sep)) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private onEvent(dir: string, filename: string | undefined): void {
    if (this.closed) return;
    if (filename === undefined) {
      // the platform did not say which entry: report the folder's files
      for (const d of safeReaddir(dir)) if (d.isFile() && !isIgnoredName(d.name)) this.mark(path.join(dir, d.name));
      return;
    }
    if (filename.split(/[\\/]/).some(isIgnoredName)) return;
    const abs = path.join(dir, filename);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(abs);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      if (!this.watchers.has(abs)) {
        this.watchTree(abs);
        for (const f of filesUnder(abs)) this.mark(f); // a folder moved in brings its files
      }
      return;
    }
    if (!st && this.watchers.has(abs)) this.unwatch(abs);
    this.mark(abs);
  }

  private mark(abs: string): void {
    this.pending.add(path.relative(this.root, abs).split(path.sep).join('/'));
    const now = Date.now();
    if (this.timer === undefined) this.firstPendingAt = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstPendingAt + this.maxWaitMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) return;
    const batch = [...this.pending].sort();
    this.pending.clear();
    this.onChange(batch);
  }
}

function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const d of safeReaddir(dir)) {
    if (isIgnoredName(d.name)) continue;
    const abs = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...filesUnder(abs));
    else if (d.isFile()) out.push(abs);
  }
  return out;
}
