// The studio page: lays out the tree, editor, simulator, dock and status bar around one StudioClient, and keeps
// them in step with the engine's events. The transport (HTTP or Electron IPC) is chosen by the entry.
import type { StudioClient } from '../../engine/api/contract';
import { studioCommands } from './commands/studio-commands';
import { exportDialog } from './dialogs/export-dialog';
import { deleteDialog, renameDialog } from './dialogs/file-dialogs';
import { newScriptDialog } from './dialogs/new-script-dialog';
import { h, replace } from './dom';
import type { ScriptKind } from './file-kinds';
import { setApiProfile } from './editor/lua-api-index';
import { registerLuaCompletion } from './editor/lua-completion';
import { registerLuaDefinition, workspaceUri } from './editor/lua-definition';
import { registerLuaFormatting } from './editor/lua-format';
import { ConfigSchema } from './editor/yaml-config';
import { registerYamlFormatting } from './editor/yaml-format';
import { registerLuaHover } from './editor/lua-hover';
import { WorkspaceEditor } from './editor/workspace-editor';
import { explain } from './errors';
import { setFileLinks } from './file-links';
import { LiveVersion } from './live-version';
import { monaco } from './monaco-env';
import { dismissTopic, failure, info, initNotify, success, warning } from './notify';
import { CoveragePanel } from './panels/coverage-panel';
import { LogsPanel } from './panels/logs-panel';
import { BreakpointGutter } from './editor/breakpoint-gutter';
import { DebugPanel } from './panels/debug-panel';
import { DovecotRunnerPanel } from './panels/dovecot-runner-panel';
import { PanelDock } from './panels/panel-dock';
import { SplitLayout } from './panels/split-layout';
import { ProblemsPanel } from './panels/problems-panel';
import { ProtectionPanel } from './panels/protection-panel';
import { RedisPanel } from './panels/redis-panel';
import { SimulatorPanel } from './panels/simulator-panel';
import { TrafficPanel } from './panels/traffic-panel';
import { CollectionsPanel } from './panels/collections-panel';
import { HookRunnerPanel } from './panels/hook-runner-panel';
import { RequestsPanel } from './panels/requests-panel';
import { FileTree } from './sidebar/file-tree';
import { workspacePath } from './script-paths';
import { StatusBar } from './status-bar';
import { RecordingToggle } from './recording-toggle';
import { StudioState, type BootEnv } from './studio-state';
import './styles/studio.css';

const POLL_MS = 5000;

/** Build the studio UI in `root` and connect it to the studio behind `client`. */
export async function boot(root: HTMLElement, client: StudioClient, env: BootEnv): Promise<void> {
  const state = new StudioState(client, env);
  try {
    await client.connect();
    await Promise.all([state.refreshStatus(), state.refreshFiles()]);
    state.setConnected(true);
  } catch (e) {
    const x = explain(e);
    replace(root, h('div', { class: 'fatal' }, h('h1', {}, 'AuthStudio cannot reach its studio'), h('p', {}, x.title), h('p', { class: 'muted' }, x.hint),
      h('button', { class: 'primary', onclick: () => location.reload() }, 'Try again')));
    return;
  }
  state.useMemoryOf(state.status?.workspace ?? 'default');
  // completion and hover follow the workspace's profile; a reload that changes `nauthilus:` re-reads the status
  setApiProfile(state.status?.profile?.nauthilus, state.status?.profile?.detected);
  state.on('status', (s) => setApiProfile(s.profile?.nauthilus, s.profile?.detected));
  registerLuaCompletion(monaco);
  registerLuaHover(monaco);
  registerLuaFormatting((e) => failure(e, 'Formatting the Lua file'));
  registerYamlFormatting((e) => failure(e, 'Formatting the YAML file'));
  // the config file gets completion, hover and validation from the engine's schema (1.x or 3.x layout)
  const configSchema = new ConfigSchema();
  const followConfig = () => configSchema.setConfigFile(state.status?.config_file ? workspaceUri(state.status.config_file) : undefined);
  followConfig();
  state.on('status', followConfig);

  const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const editor = new WorkspaceEditor(state);
  const openAt = (file: string, line?: number) => void editor.open(file, line);
  initNotify(toasts, openAt);
  // a "not live" warning is about the last change: once a newer version is live (or the problems are gone), it goes
  state.on('reload', (r) => r.ok && dismissTopic('not-live'));
  state.on('status', (s) => s.healthy && dismissTopic('not-live'));
  // every file:line the studio shows (trace, logs, problems, toasts) opens the file there
  setFileLinks(openAt, (name) => workspacePath(name, state.status?.workspace ?? '', state.files));
  registerLuaDefinition(client, (p, line, column) => void editor.open(p, line, column));
  const rename = (p: string) => void renameDialog(state, p, editor);
  const remove = (p: string) => void deleteDialog(state, p, editor);

  const createScript = (kind?: ScriptKind) => void newScriptDialog(state, kind).then((p) => (p ? editor.open(p) : undefined));
  const tree = new FileTree(state, {
    open: (p) => openAt(p),
    rename,
    remove,
    newScript: createScript,
    refresh: () => void state.refreshFiles().catch((e: unknown) => failure(e, 'Refreshing the files')),
  });
  editor.onActive((p) => tree.setActive(p));

  const problems = new ProblemsPanel(state, openAt, editor.lint);
  const redis = new RedisPanel(state);
  const protection = new ProtectionPanel(state);
  const coverage = new CoveragePanel(state, openAt);
  const simulator = new SimulatorPanel(state, openAt);
  const gutter = new BreakpointGutter(editor.editor, client, () => editor.activePath);
  const debug = new DebugPanel({
    client,
    target: () => {
      const active = editor.activePath;
      const dovecot = active !== undefined && editor.isDovecot(active) ? runner.input() : undefined;
      return dovecot ? { dovecot } : { login: simulator.input() };
    },
    showLine: (at) => {
      gutter.setCurrent(at);
      if (at) void editor.open(at.path, at.line);
    },
  });
  const dock = new PanelDock([
    { id: 'problems', label: 'Problems', el: problems.el },
    { id: 'logs', label: 'Logs', el: new LogsPanel(state).el },
    { id: 'traffic', label: 'Traffic', el: new TrafficPanel(state).el },
    { id: 'protection', label: 'Protection', el: protection.el },
    { id: 'redis', label: 'Redis', el: redis.el },
    { id: 'coverage', label: 'Coverage', el: coverage.el },
    { id: 'requests', label: 'Requests', el: new RequestsPanel(state, openAt).el },
    { id: 'hooks', label: 'Hook runner', el: new HookRunnerPanel(state, openAt).el },
    { id: 'collections', label: 'Collections', el: new CollectionsPanel(state, openAt).el },
    { id: 'debug', label: 'Debug', el: debug.el },
  ]);
  client.onDebugStopped(() => dock.select('debug'));
  problems.onCount((n) => dock.setBadge('problems', n));
  problems.render();
  protection.onCount((n) => dock.setBadge('protection', n));
  dock.onSelect((id) => {
    if (id === 'redis') void redis.scan();
    state.memory.set('dock', id);
    if (id === 'protection') void protection.refresh();
    if (id === 'coverage') void coverage.refresh();
  });
  const dockTab = state.memory.get<string>('dock');
  if (dockTab) dock.select(dockTab);
  // the right column shows the Dovecot runner for Dovecot scripts and the simulator for everything else
  const runner = new DovecotRunnerPanel(state, openAt);
  const showRunnerFor = (p: string | undefined) => {
    const dovecot = p !== undefined && editor.isDovecot(p);
    runner.setScript(dovecot ? { path: p, text: () => editor.textOf(p) ?? { content: '', dirty: false } } : undefined);
    runner.el.hidden = !dovecot;
    simulator.el.hidden = dovecot;
  };
  editor.onActive(showRunnerFor);
  showRunnerFor(undefined);
  // open tabs and the active one come back after a page reload
  const rememberTabs = () => state.memory.set('tabs', { open: editor.openPaths, active: editor.activePath });
  editor.onActive(rememberTabs);
  window.addEventListener('pagehide', () => {
    rememberTabs();
    state.memory.flush();
  });
  const tabs = state.memory.get<{ open: string[]; active?: string }>('tabs');
  if (tabs) void restoreTabs(editor, tabs, state.files.map((f) => f.path));
  const live = new LiveVersion(state, () => dock.select('problems'));

  const reload = async () => {
    try {
      const r = await client.reload();
      await state.applyReload(r);
      if (r.ok) success('Reloaded', `Live: generation ${r.generation}`);
      else warning('Reload failed', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`, undefined, 'not-live');
    } catch (e) {
      failure(e, 'Reload');
    }
  };
  const check = () => {
    dock.select('problems');
    void problems.check();
  };
  const header = h('header', { class: 'app-header' },
    h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◆'), 'AuthStudio'),
    h('div', { class: 'workspace-path', title: 'Workspace folder' }, state.status?.workspace ?? ''),
    live.el,
    h('div', { class: 'header-actions' },
      h('button', { onclick: () => createScript() }, 'New script'),
      h('button', { onclick: check }, 'Check'),
      h('button', { onclick: () => void reload() }, 'Reload'),
      h('button', { class: 'primary', onclick: () => void exportDialog(state) }, 'Export…')));

  const recording = new RecordingToggle(client);
  const center = h('main', { class: 'center' }, editor.el, dock.el);
  const app = h('div', { class: 'app' },
    header,
    h('aside', { class: 'sidebar' }, tree.el),
    center,
    simulator.el,
    runner.el,
    new StatusBar(state, [recording.el]).el);
  replace(root, app, toasts);
  const layout = new SplitLayout(app, center);
  dock.setCollapsed(layout.isCollapsed('dock'));
  dock.onCollapseRequest((c) => layout.setCollapsed('dock', c));
  layout.onCollapse((side, c) => {
    if (side === 'dock') dock.setCollapsed(c);
  });
  studioCommands({
    state, editor, dock, layout, check, reload: () => void reload(), simulate: () => void simulator.send(),
    newScript: () => createScript(), exportBundle: () => void exportDialog(state), rename, remove,
  });

  client.onReload((r) => {
    if (r.trigger === 'external') {
      if (r.ok) info(`Reloaded after an edit outside the studio`, `${r.files.join(', ')} · generation ${r.generation} is live`);
      else warning('A change outside the studio does not load', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`, undefined, 'not-live');
    }
    void state.applyReload(r);
  });
  client.onFilesChanged(() => void state.refreshFiles().catch(() => undefined));
  client.onRedisChanged(() => void state.refreshStatus().catch(() => undefined));
  client.onRuntimeErrors((e) => state.applyRuntimeErrors(e.problems));
  client.onTrafficDone(() => {
    void state.refreshStatus().catch(() => undefined);
    recording.refresh();
  });
  setInterval(() => {
    state.refreshStatus().then(() => state.setConnected(true), () => state.setConnected(false));
  }, POLL_MS);
}

/** Reopen the remembered tabs (files deleted since are skipped), then the active one. */
async function restoreTabs(editor: WorkspaceEditor, tabs: { open: string[]; active?: string }, files: string[]): Promise<void> {
  const exists = new Set(files);
  for (const p of tabs.open ?? []) if (exists.has(p)) await editor.open(p).catch(() => undefined);
  if (tabs.active && exists.has(tabs.active)) await editor.open(tabs.active).catch(() => undefined);
}
