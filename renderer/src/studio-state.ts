// What every part of the UI shares: the client, the studio status, the workspace files, and change notifications.
import type { CoverageReport, Diagnostic, FileEntry, ReloadResult, RuntimeProblem, StudioClient, StudioStatus } from '../../engine/api/contract';
import { UiMemory } from './ui-memory';

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
  environment: string | undefined;
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
  /** The environment chosen in the Collections panel (its variables replace {{name}} in requests). */
  environment: string | undefined;
  /** Variables by environment (tests/environments.yml), as last read. */
  environments: Record<string, Record<string, string>> = {};
  private readonly listeners = new Map<Topic, Set<(v: never) => void>>();

  /** What this page remembers across a reload (per workspace; see ui-memory.ts). */
  memory: UiMemory = new UiMemory('default');

  constructor(readonly client: StudioClient, readonly env: BootEnv) {}

  /** Remember per workspace once the status names it. */
  useMemoryOf(workspace: string): void {
    this.memory = new UiMemory(workspace);
  }

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

  async refreshEnvironments(): Promise<void> {
    this.environments = (await this.client.getEnvironments()).environments;
    if (this.environment !== undefined && !(this.environment in this.environments)) this.setEnvironment(undefined);
  }

  setEnvironment(name: string | undefined): void {
    this.environment = name || undefined;
    this.emit('environment', this.environment);
  }

  /** `text` with {{name}} replaced by the chosen environment's variables (unknown names stay as written). */
  substitute(text: string): string {
    const vars = (this.environment && this.environments[this.environment]) || {};
    return text.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (m, name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : m));
  }

  setConnected(ok: boolean): void {
    if (ok === this.connected) return;
    this.connected = ok;
    this.emit('connection', ok);
  }
}
