// The studio service: the one implementation of the studio contract (workspace, reload, simulator, traffic, Redis,
// export/import, logs) that every transport (in-process, HTTP + events, Electron IPC) exposes.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type {
  AddHookInput, CollectionRunInput, CollectionRunResult, ConvertOptions, ConvertReport, CoverageReport,
  DebugBreakpointInfo, DebugBreakpointSpec, DebugFrameInfo, DebugLaunchInput, DebugScopeInfo, DebugVariable,
  Diagnostic, DovecotPresetInfo, DovecotRunInput, DovecotRunResult, EnvironmentsInfo, ExportOptions, ExportReport,
  FileContent, FileEntry, HookCallInput, HookCallResult, ImportOptions, ImportReport, KeyPage, KeyValue,
  LuaModuleLocation, PresetInfo, ProtectionList, RecordingStatus, RedisStatus, RedisTestResult, ReloadResult,
  SavedRequestInfo, SaveRequestInput, SaveResult, SearchInput, SearchResult, ServedRequest, ServedRequestDetail,
  SimulateInput, SimulationResult, StudioErrorInfo, StudioMethods, StudioProfile, StudioStatus, TrafficOptions,
  TrafficSummary, UnblockInput, UnblockResult, WhatIfInput, WhatIfReport,
} from '../api/contract';
import type { AuthEngine } from '../engine';
import type { AuthStudioConfig } from '../config/types';
import { checkWorkspace } from '../check';
import { AuthStudioError } from '../errors/registry';
import { errorInfo, toDiagnostics } from './diagnostics';
import { listDovecotPresets } from './dovecot-presets';
import { checkDovecotInput, runDovecot, withStudioUrl } from './dovecot-runner';
import { DovecotStandIns } from './dovecot-stand-ins';
import { StudioEventBus } from './event-bus';
import { exportBundle } from './export';
import { convertConfigFile } from '../config/convert/convert';
import { FileWatcher } from './file-watcher';
import { HotReloader } from './hot-reload';
import { StudioCoverage } from './coverage';
import { importNauthilusConfig } from './import';
import { listPresets } from './presets';
import { listBlocked, unblock } from './protection';
import { RedisBrowser } from './redis-browser';
import { RuntimeErrorBook, studioErrorText, studioFrames } from './runtime-errors';
import { redisSettingsFor, redisStatus, testRedis } from './redis-switch';
import type { StudioSettings } from './settings';
import { Simulator } from './simulator';
import { StudioDebugger } from './studio-debugger';
import { TrafficRunner } from './traffic';
import { StudioCorpus } from './what-if';
import type { Workspace } from './workspace';
import { isInside, realPathSoFar } from './workspace-paths';
import { resolveLuaModule, searchWorkspace } from './workspace-search';
import { addHookToConfig, callHook } from './hook-caller';
import { RequestHistory } from './request-history';
import { environmentsInfo, listSavedRequests, runCollection, savedRequestPath, savedRequestText } from './saved-requests';

export interface StudioServiceDeps {
  engine: AuthEngine;
  /** The app the engine serves on: simulations and traffic go through its routes. */
  app: FastifyInstance;
  workspace: Workspace;
  settings: StudioSettings;
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Watch the workspace for external edits (default true). */
  watch?: boolean;
  /** Set when the workspace did not load at start: its diagnostics, shown until a reload succeeds. */
  startup?: ReloadResult;
  /** A Redis chosen for this run only (`--redis`): wins over the saved studio choice until the next switch. */
  redis?: string;
}

/** Plain-object argument of a call (transports may pass null or nothing). */
function argOf<T>(arg: T | undefined | null): T {
  if (arg !== undefined && arg !== null && (typeof arg !== 'object' || Array.isArray(arg))) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'the argument must be a JSON object');
  }
  return (arg ?? {}) as T;
}

/** File system failures (permissions, disk full) are the user's to fix, not bugs. */
function fsFailure(e: unknown, what: string): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!(e instanceof AuthStudioError) && typeof code === 'string' && code.startsWith('E')) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${what} failed: ${code} (${(e as Error).message})`, { cause: e });
  }
  throw e;
}

export class StudioService implements StudioMethods {
  readonly events = new StudioEventBus();
  readonly engine: AuthEngine;
  readonly workspace: Workspace;
  private readonly reloader: HotReloader;
  private readonly simulator: Simulator;
  private readonly traffic: TrafficRunner;
  private readonly redis: RedisBrowser;
  private readonly watcher: FileWatcher | undefined;
  private readonly standIns = new DovecotStandIns();
  private readonly runtimeErrors: RuntimeErrorBook;
  private readonly coverage: StudioCoverage;
  private readonly corpus: StudioCorpus;
  private readonly history: RequestHistory;
  private readonly debug: StudioDebugger;
  /** The Redis in use when it is not the config's: applied to server.redis on every reload. */
  private redisChoice: string | undefined;

  constructor(private readonly deps: StudioServiceDeps) {
    this.engine = deps.engine;
    this.redisChoice = deps.redis ?? deps.settings.redisUrl;
    this.workspace = deps.workspace;
    this.reloader = new HotReloader({
      engine: deps.engine, workspace: deps.workspace, bus: this.events, logger: deps.logger, env: deps.env,
      redisOverride: () => this.redisChoice,
    });
    if (deps.startup) this.reloader.last = deps.startup;
    this.simulator = new Simulator(deps.engine, deps.app);
    this.traffic = new TrafficRunner(deps.engine, deps.app, this.events);
    this.redis = new RedisBrowser(() => deps.engine.services.redis);
    this.runtimeErrors = new RuntimeErrorBook(deps.engine, this.events, deps.workspace.root);
    this.corpus = new StudioCorpus(deps.workspace, deps.engine, deps.env);
    this.history = new RequestHistory(deps.engine, deps.app, (e) => this.events.emit('request', e));
    this.debug = new StudioDebugger({
      bus: this.events, root: deps.workspace.root, configFile: () => deps.workspace.configFile, redis: () => deps.engine.services.redis,
    });
    this.reloader.snapshot();
    this.coverage = new StudioCoverage({ engine: deps.engine, workspace: deps.workspace, reload: () => this.reloader.reload('coverage', []) });
    if (deps.watch ?? true) {
      this.watcher = new FileWatcher(deps.workspace.root, (paths) => {
        this.reloader.onExternalChange(paths).catch((e: unknown) => deps.logger.error({ err: String(e) }, 'handling an external change failed'));
      });
      this.watcher.start();
    }
  }

  /** How a failure looks to clients (workspace-relative locations; bugs without details). */
  errorInfo(e: unknown): StudioErrorInfo {
    if (!(e instanceof AuthStudioError)) this.deps.logger.error({ err: (e as Error)?.stack ?? String(e) }, 'studio call failed unexpectedly');
    return errorInfo(e, this.workspace.root);
  }

  async getStatus(): Promise<StudioStatus> {
    const status: StudioStatus = {
      workspace: this.workspace.root, config_file: this.workspace.configRel, generation: this.engine.generation,
      healthy: this.reloader.healthy, diagnostics: this.reloader.diagnostics, redis: await this.getRedis(), in_flight: this.engine.busy,
      profile: profileOf(this.engine.config),
      hooks: this.engine.config.lua.customHooks.map((h) => ({ location: h.location, method: h.method, script: h.script.displayPath })),
    };
    if (this.reloader.last) status.last_reload = this.reloader.last;
    status.runtime_errors = this.runtimeErrors.list();
    return status;
  }

  async listFiles(): Promise<FileEntry[]> {
    return this.workspace.list();
  }

  async readFile(arg: { path: string }): Promise<FileContent> {
    return this.workspace.read(argOf(arg).path);
  }

  async saveFile(arg: { path: string; content: string; base_version?: string }): Promise<SaveResult> {
    const a = argOf(arg);
    let w;
    try {
      w = this.workspace.write(a.path, a.content, { baseVersion: a.base_version });
    } catch (e) {
      return fsFailure(e, `saving "${String(a.path)}"`);
    }
    return { path: w.rel, version: w.version, ...(await this.afterChange([w.rel])) };
  }

  async createFile(arg: { path: string; content?: string; kind?: 'file' | 'directory' }): Promise<SaveResult> {
    const a = argOf(arg);
    try {
      if (a.kind === 'directory') {
        const d = this.workspace.mkdir(a.path);
        return { path: d.rel, ...(await this.afterChange([d.rel])) };
      }
      const w = this.workspace.write(a.path, a.content ?? '', { mustNotExist: true });
      return { path: w.rel, version: w.version, ...(await this.afterChange([w.rel])) };
    } catch (e) {
      return fsFailure(e, `creating "${String(a.path)}"`);
    }
  }

  async renameFile(arg: { from: string; to: string }): Promise<SaveResult> {
    const a = argOf(arg);
    const from = this.workspace.paths.normalise(a.from);
    const moved = this.workspace.list().filter((e) => e.kind === 'file' && e.path.startsWith(from + '/')).map((e) => e.path.slice(from.length));
    let r;
    try {
      r = this.workspace.rename(a.from, a.to);
    } catch (e) {
      return fsFailure(e, `renaming "${String(a.from)}"`);
    }
    const changed = [r.from, r.to, ...moved.flatMap((m) => [r.from + m, r.to + m])];
    return { path: r.to, ...(await this.afterChange(changed)) };
  }

  async deleteFile(arg: { path: string; recursive?: boolean }): Promise<SaveResult> {
    const a = argOf(arg);
    let r;
    try {
      r = this.workspace.remove(a.path, a.recursive === true);
    } catch (e) {
      return fsFailure(e, `deleting "${String(a.path)}"`);
    }
    return { path: r.rel, ...(await this.afterChange([...new Set([r.rel, ...r.files])])) };
  }

  async searchWorkspace(arg: SearchInput): Promise<SearchResult> {
    return searchWorkspace(this.workspace, argOf(arg));
  }

  async resolveLuaModule(arg: { name: string }): Promise<LuaModuleLocation> {
    const c = this.engine.config;
    return resolveLuaModule(this.workspace, argOf(arg).name, c.lua.config.packagePath, c.baseDir);
  }

  /** Announce a studio change and reload when it touched the config or a script. */
  private async afterChange(paths: string[]): Promise<{ reload?: ReloadResult }> {
    const relevant = this.reloader.noteStudioChange(paths);
    this.events.emit('files', { paths, source: 'studio' });
    return relevant ? { reload: await this.reloader.reload('save', paths) } : {};
  }

  async reload(): Promise<ReloadResult> {
    return this.reloader.reload('manual', []);
  }

  async checkWorkspace(): Promise<Diagnostic[]> {
    const problems = await checkWorkspace(this.workspace.configFile);
    return problems.flatMap((p) => toDiagnostics(p, this.workspace.root));
  }

  async listPresets(): Promise<PresetInfo[]> {
    return listPresets();
  }

  async debugSetBreakpoints(arg: { path: string; breakpoints: DebugBreakpointSpec[] }): Promise<DebugBreakpointInfo[]> {
    const a = argOf(arg);
    if (typeof a.path !== 'string' || !Array.isArray(a.breakpoints)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'debugSetBreakpoints needs a path and a list of breakpoints');
    return this.debug.setBreakpoints(a.path, a.breakpoints);
  }

  async debugLaunch(arg: DebugLaunchInput): Promise<{ started: boolean }> {
    return this.debug.launch(argOf(arg));
  }

  async debugDovecot(arg: DovecotRunInput): Promise<{ started: boolean }> {
    const a = argOf(arg);
    checkDovecotInput(this.workspace, a as unknown as Record<string, unknown>); // a malformed request is refused now
    const env = withStudioUrl(this.deps.env ?? process.env, this.deps.app.server);
    return this.debug.launchDovecot((dbg) => runDovecot(this.workspace, this.standIns, a, env, undefined, dbg));
  }

  async debugStackTrace(arg: { thread: number }): Promise<DebugFrameInfo[]> {
    return this.debug.stackTrace(Number(argOf(arg).thread));
  }

  async debugScopes(arg: { thread: number; frame: number }): Promise<DebugScopeInfo[]> {
    const a = argOf(arg);
    return this.debug.scopes(Number(a.thread), Number(a.frame));
  }

  async debugVariables(arg: { ref: number }): Promise<DebugVariable[]> {
    return this.debug.variables(Number(argOf(arg).ref));
  }

  async debugEvaluate(arg: { thread: number; frame: number; expression: string }): Promise<DebugVariable> {
    const a = argOf(arg);
    return this.debug.evaluate(Number(a.thread), Number(a.frame), String(a.expression ?? ''));
  }

  async debugResume(arg: { thread: number; step?: 'next' | 'stepIn' | 'stepOut' }): Promise<{ resumed: boolean }> {
    const a = argOf(arg);
    return this.debug.resume(Number(a.thread), a.step);
  }

  async debugStop(): Promise<{ stopped: boolean }> {
    return this.debug.stop();
  }

  async simulate(arg: SimulateInput): Promise<SimulationResult> {
    const r = await this.simulator.simulate(argOf(arg));
    // traceback frames as the editor opens them: workspace-relative
    for (const s of r.trace) {
      if (s.traceback) s.traceback = studioFrames(s.traceback, this.workspace.root, this.engine.config.baseDir);
      if (s.error) s.error = studioErrorText(s.error, this.workspace.root, this.engine.config.baseDir);
    }
    return r;
  }

  async listDovecotPresets(): Promise<DovecotPresetInfo[]> {
    return listDovecotPresets();
  }

  async runDovecot(arg: DovecotRunInput): Promise<DovecotRunResult> {
    const env = withStudioUrl(this.deps.env ?? process.env, this.deps.app.server);
    return runDovecot(this.workspace, this.standIns, argOf(arg), env, this.coverage.dovecotListener);
  }

  async startTraffic(arg: TrafficOptions): Promise<TrafficSummary> {
    return this.traffic.start(argOf(arg));
  }

  async cancelTraffic(arg: { run_id: string }): Promise<TrafficSummary> {
    return this.traffic.cancel(argOf(arg).run_id);
  }

  async getTraffic(arg: { run_id: string; wait?: boolean }): Promise<TrafficSummary> {
    const a = argOf(arg);
    return this.traffic.get(a.run_id, a.wait === true);
  }

  async listBlocked(): Promise<ProtectionList> {
    return listBlocked(this.engine);
  }

  async unblock(arg: UnblockInput): Promise<UnblockResult> {
    return unblock(this.engine, argOf(arg));
  }

  async getRedis(): Promise<RedisStatus> {
    return redisStatus(this.engine.services.redis, this.deps.settings.redisUrl !== undefined, this.engine.keptEmbeddedStore);
  }

  async testRedis(arg: { url: string }): Promise<RedisTestResult> {
    return testRedis(redisSettingsFor(argOf(arg).url, this.engine.config.server.redis));
  }

  async switchRedis(arg: { url: string; save?: boolean }): Promise<RedisStatus> {
    const a = argOf(arg);
    await this.engine.switchRedis(redisSettingsFor(a.url, this.engine.config.server.redis));
    this.redisChoice = a.url;
    if (a.save !== false) this.deps.settings.setRedisUrl(a.url);
    const status = await this.getRedis();
    this.events.emit('redis', status);
    return status;
  }

  async scanKeys(arg?: { pattern?: string; cursor?: string; count?: number }): Promise<KeyPage> {
    return this.redis.scan(argOf(arg));
  }

  async getKey(arg: { key: string }): Promise<KeyValue> {
    return this.redis.get(argOf(arg).key);
  }

  async deleteKey(arg: { key: string }): Promise<{ deleted: boolean }> {
    return this.redis.del(argOf(arg).key);
  }

  async flushNamespace(): Promise<{ deleted: number }> {
    return this.redis.flush();
  }

  async exportBundle(arg: ExportOptions): Promise<ExportReport> {
    const a = argOf(arg);
    try {
      return exportBundle({
        configFile: this.workspace.configFile, out: a.out, prefix: a.prefix, env: this.deps.env,
        studioRedisUrl: a.include_secrets === true ? this.deps.settings.redisUrl : undefined,
        includeSecrets: a.include_secrets === true, format: a.format,
      });
    } catch (e) {
      return fsFailure(e, 'the export');
    }
  }

  async convertConfig(arg: ConvertOptions): Promise<ConvertReport> {
    const a = argOf(arg);
    if (a.to !== '1.x' && a.to !== '3.x') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'to must be "1.x" or "3.x"', { path: 'to' });
    const r = convertConfigFile(this.workspace.configFile, a.to);
    return { from: r.from, to: r.to, yaml: r.doc.toString(), notes: r.notes };
  }

  async importConfig(arg: ImportOptions): Promise<ImportReport> {
    const a = argOf(arg);
    try {
      if (typeof a.into === 'string' && path.isAbsolute(a.into)) {
        const into = realPathSoFar(a.into);
        if (isInside(this.workspace.root, into) || isInside(into, this.workspace.root)) {
          throw new AuthStudioError('AS_ERR_BAD_REQUEST', `into must be a new folder outside the open workspace (${this.workspace.root}): the studio would serve the imported files as its own`, { path: 'into' });
        }
      }
      return importNauthilusConfig({ config: a.config, into: a.into, scriptsRoot: a.scripts_root, env: this.deps.env });
    } catch (e) {
      return fsFailure(e, 'the import');
    }
  }

  async startCoverage(): Promise<CoverageReport> {
    return this.coverage.start();
  }

  async stopCoverage(): Promise<CoverageReport> {
    return this.coverage.stop();
  }

  async getCoverage(): Promise<CoverageReport> {
    return this.coverage.get();
  }

  async runTestsWithCoverage(): Promise<CoverageReport> {
    return this.coverage.runTests();
  }

  async setRecording(arg: { enabled: boolean; passwords?: boolean }): Promise<RecordingStatus> {
    const a = argOf(arg);
    if (typeof a.enabled !== 'boolean') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'enabled must be true or false', { path: 'enabled' });
    return this.corpus.setRecording(a.enabled, a.passwords === true);
  }

  async getRecording(): Promise<RecordingStatus> {
    return this.corpus.status();
  }

  async whatIf(arg: WhatIfInput): Promise<WhatIfReport> {
    return this.corpus.whatIf(argOf(arg));
  }

  async callHook(arg: HookCallInput): Promise<HookCallResult> {
    return callHook(this.engine, this.deps.app, argOf(arg));
  }

  async addHook(arg: AddHookInput): Promise<SaveResult> {
    const a = argOf(arg);
    const cfg = this.workspace.read(this.workspace.configRel);
    const next = addHookToConfig(cfg.content, this.engine.config.layout ?? '1.x', a);
    return this.saveFile({ path: this.workspace.configRel, content: next, base_version: cfg.version });
  }

  async listRequests(arg?: { since?: string }): Promise<ServedRequest[]> {
    return this.history.list(argOf(arg).since);
  }

  async getRequest(arg: { id: string }): Promise<ServedRequestDetail> {
    return this.history.get(argOf(arg).id);
  }

  async clearRequests(): Promise<{ cleared: number }> {
    return { cleared: this.history.clear() };
  }

  async listSavedRequests(): Promise<SavedRequestInfo[]> {
    return listSavedRequests(this.workspace);
  }

  async saveRequest(arg: SaveRequestInput): Promise<SaveResult> {
    const a = argOf(arg);
    const rel = savedRequestPath(String(a.name ?? ''));
    const content = savedRequestText(a);
    try {
      const w = this.workspace.write(rel, content, a.overwrite === true ? {} : { mustNotExist: true });
      return { path: w.rel, version: w.version, ...(await this.afterChange([w.rel])) };
    } catch (e) {
      return fsFailure(e, `saving "${rel}"`);
    }
  }

  async runCollection(arg?: CollectionRunInput): Promise<CollectionRunResult> {
    return runCollection(this.workspace, argOf(arg));
  }

  async getEnvironments(): Promise<EnvironmentsInfo> {
    return environmentsInfo(this.workspace);
  }

  /** Stop watching, cancel traffic runs, drop subscribers (the engine and app are closed by their owner). */
  async close(): Promise<void> {
    this.watcher?.close();
    this.runtimeErrors.close();
    this.corpus.close();
    this.history.close();
    await this.debug.stop();
    await this.traffic.closeAll();
    await this.standIns.close();
    this.events.removeAll();
  }
}

/** The workspace's target Nauthilus version as the status shows it (the serving config's, kept while a reload fails). */
function profileOf(config: AuthStudioConfig): StudioProfile {
  return { nauthilus: config.profile ?? '1.10', layout: config.layout ?? '1.x', detected: config.profileExplicit !== true };
}
