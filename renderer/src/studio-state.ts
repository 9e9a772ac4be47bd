// What every part of the UI shares: the client, the studio status, the workspace files, and change notifications.
import type { CoverageReport, Diagnostic, FileEntry, ReloadResult, RuntimeProblem, StudioClient, StudioStatus } from '../../engine/api/contract';

/** How the page was started (filled in by the entry: web page or Electron window). */
export interface BootEnv {
  /** Where the auth endpoints listen, as the user would type it (e.g. 127.0.0.1:9080). */
  listen: string;
  transport: 'http' | 'ipc';
}

/** Worker pools as the engine reports them (shown when the status carries them). */
export type PoolStats = Record<string, { vms: number; busy: number; queued: number }>;

interface Topics {
  status: StudioStatus;
  files: FileEntry[];
  reload: ReloadResult;
  connection: boolean;
  coverage: CoverageReport | undefined;
}
type Topic = keyof Topics;

/** The shared state; components subscribe to the topics they draw. */
export class StudioState {
  status: StudioStatus | undefined;
  files: FileEntry[] = [];
  lastReload: ReloadResult | undefined;
  /** When this page last saw a reload happen (the result itself carries no time). */
  lastReloadAt: number | undefined;
  connected = false;
  /** The line coverage the editor colours and the Coverage panel lists (undefined: none shown). */
  coverage: CoverageReport | undefined;
  private readonly listeners = new Map<Topic, Set<(v: never) => void>>();

  constructor(readonly client: StudioClient, readonly env: BootEnv) {}

  /** Subscribe; returns the unsubscribe function. */
  on<K extends Topic>(topic: K, fn: (v: Topics[K]) => void): () => void {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic)!.add(fn as (v: never) => void);
    return () => this.listeners.get(topic)?.delete(fn as (v: never) => void);
  }

  private emit<K extends Topic>(topic: K, v: Topics[K]): void {
    for (const fn of [...(this.listeners.get(topic) ?? [])]) (fn as (v: Topics[K]) => void)(v);
  }

  /** Problems of the workspace as the engine last saw them. */
  get diagnostics(): Diagnostic[] {
    return this.status?.diagnostics ?? [];
  }

  /** Scripts' runtime errors (simulations, traffic, real requests) since their file's version went live. */
  get runtimeErrors(): RuntimeProblem[] {
    return this.status?.runtime_errors ?? [];
  }

  /** The engine's runtimeErrors event: the list changed (redrawn as a status change). */
  applyRuntimeErrors(problems: RuntimeProblem[]): void {
    if (!this.status) return;
    this.status = { ...this.status, runtime_errors: problems };
    this.emit('status', this.status);
  }

  async refreshStatus(): Promise<StudioStatus> {
    const s = await this.client.getStatus();
    this.status = s;
    if (s.last_reload) this.lastReload = s.last_reload;
    this.emit('status', s);
    return s;
  }

  /** Show a coverage report (or none) in the editor's gutter and the Coverage panel. */
  setCoverage(r: CoverageReport | undefined): void {
    this.coverage = r;
    this.emit('coverage', r);
  }

  async refreshFiles(): Promise<FileEntry[]> {
    this.files = await this.client.listFiles();
    this.emit('files', this.files);
    return this.files;
  }

  /** A reload happened (after a save, an external edit or on request): tell everyone, then re-read the status. */
  async applyReload(r: ReloadResult): Promise<void> {
    this.lastReload = r;
    this.lastReloadAt = Date.now();
    this.emit('reload', r);
    await this.refreshStatus();
  }

  setConnected(ok: boolean): void {
    if (ok === this.connected) return;
    this.connected = ok;
    this.emit('connection', ok);
  }
}
