// The studio page: lays out the tree, editor, simulator, dock and status bar around one StudioClient, and keeps
// them in step with the engine's events. The transport (HTTP or Electron IPC) is chosen by the entry.
import type { StudioClient } from '../../engine/api/contract';
import { exportDialog } from './dialogs/export-dialog';
import { newScriptDialog } from './dialogs/new-script-dialog';
import { h, replace } from './dom';
import type { ScriptKind } from './file-kinds';
import { setApiProfile } from './editor/lua-api-index';
import { registerLuaCompletion } from './editor/lua-completion';
import { registerLuaHover } from './editor/lua-hover';
import { WorkspaceEditor } from './editor/workspace-editor';
import { explain } from './errors';
import { LiveVersion } from './live-version';
import { monaco } from './monaco-env';
import { failure, info, initNotify, success, warning } from './notify';
import { LogsPanel } from './panels/logs-panel';
import { BreakpointGutter } from './editor/breakpoint-gutter';
import { DebugPanel } from './panels/debug-panel';
import { DovecotRunnerPanel } from './panels/dovecot-runner-panel';
import { PanelDock } from './panels/panel-dock';
import { ProblemsPanel } from './panels/problems-panel';
import { RedisPanel } from './panels/redis-panel';
import { SimulatorPanel } from './panels/simulator-panel';
import { TrafficPanel } from './panels/traffic-panel';
import { FileTree } from './sidebar/file-tree';
import { StatusBar } from './status-bar';
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
  // completion and hover follow the workspace's profile; a reload that changes `nauthilus:` re-reads the status
  setApiProfile(state.status?.profile?.nauthilus);
  state.on('status', (s) => setApiProfile(s.profile?.nauthilus));
  registerLuaCompletion(monaco);
  registerLuaHover(monaco);

  const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const editor = new WorkspaceEditor(state);
  const openAt = (file: string, line?: number) => void editor.open(file, line);
  initNotify(toasts, openAt);

  const createScript = (kind?: ScriptKind) => void newScriptDialog(state, kind).then((p) => (p ? editor.open(p) : undefined));
  const tree = new FileTree(state, {
    open: (p) => openAt(p),
    newScript: createScript,
    refresh: () => void state.refreshFiles().catch((e: unknown) => failure(e, 'Refreshing the files')),
  });
  editor.onActive((p) => tree.setActive(p));

  const problems = new ProblemsPanel(state, openAt);
  const redis = new RedisPanel(state);
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
    { id: 'redis', label: 'Redis', el: redis.el },
    { id: 'debug', label: 'Debug', el: debug.el },
  ]);
  client.onDebugStopped(() => dock.select('debug'));
  problems.onCount((n) => dock.setBadge('problems', n));
  problems.render();
  dock.onSelect((id) => {
    if (id === 'redis') void redis.scan();
  });
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
  const live = new LiveVersion(state, () => dock.select('problems'));

  const reload = async () => {
    try {
      const r = await client.reload();
      await state.applyReload(r);
      if (r.ok) success('Reloaded', `Live: generation ${r.generation}`);
      else warning('Reload failed', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`);
    } catch (e) {
      failure(e, 'Reload');
    }
  };
  const header = h('header', { class: 'app-header' },
    h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◆'), 'AuthStudio'),
    h('div', { class: 'workspace-path', title: 'Workspace folder' }, state.status?.workspace ?? ''),
    live.el,
    h('div', { class: 'header-actions' },
      h('button', { onclick: () => createScript() }, 'New script'),
      h('button', { onclick: () => { dock.select('problems'); void problems.check(); } }, 'Check'),
      h('button', { onclick: () => void reload() }, 'Reload'),
      h('button', { class: 'primary', onclick: () => void exportDialog(state) }, 'Export…')));

  replace(root, h('div', { class: 'app' },
    header,
    h('aside', { class: 'sidebar' }, tree.el),
    h('main', { class: 'center' }, editor.el, dock.el),
    simulator.el,
    runner.el,
    new StatusBar(state).el), toasts);

  client.onReload((r) => {
    if (r.trigger === 'external') {
      if (r.ok) info(`Reloaded after an edit outside the studio`, `${r.files.join(', ')} · generation ${r.generation} is live`);
      else warning('A change outside the studio does not load', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`);
    }
    void state.applyReload(r);
  });
  client.onFilesChanged(() => void state.refreshFiles().catch(() => undefined));
  client.onRedisChanged(() => void state.refreshStatus().catch(() => undefined));
  client.onTrafficDone(() => void state.refreshStatus().catch(() => undefined));
  setInterval(() => {
    state.refreshStatus().then(() => state.setConnected(true), () => state.setConnected(false));
  }, POLL_MS);
}
