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
import { dismissTopic, failure, info, initNotify, success, warning } from './notify';
import { LogsPanel } from './panels/logs-panel';
import { DovecotRunnerPanel } from './panels/dovecot-runner-panel';
import { PanelDock } from './panels/panel-dock';
import { ProblemsPanel } from './panels/problems-panel';
import { ProtectionPanel } from './panels/protection-panel';
import { RedisPanel } from './panels/redis-panel';
import { SimulatorPanel } from './panels/simulator-panel';
import { TrafficPanel } from './panels/traffic-panel';
import { FileTree } from './sidebar/file-tree';
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
  // completion and hover follow the workspace's profile; a reload that changes `nauthilus:` re-reads the status
  setApiProfile(state.status?.profile?.nauthilus);
  state.on('status', (s) => setApiProfile(s.profile?.nauthilus));
  registerLuaCompletion(monaco);
  registerLuaHover(monaco);

  const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const editor = new WorkspaceEditor(state);
  const openAt = (file: string, line?: number) => void editor.open(file, line);
  initNotify(toasts, openAt);
  // a "not live" warning is about the last change: once a newer version is live (or the problems are gone), it goes
  state.on('reload', (r) => r.ok && dismissTopic('not-live'));
  state.on('status', (s) => s.healthy && dismissTopic('not-live'));

  const createScript = (kind?: ScriptKind) => void newScriptDialog(state, kind).then((p) => (p ? editor.open(p) : undefined));
  const tree = new FileTree(state, {
    open: (p) => openAt(p),
    newScript: createScript,
    refresh: () => void state.refreshFiles().catch((e: unknown) => failure(e, 'Refreshing the files')),
  });
  editor.onActive((p) => tree.setActive(p));

  const problems = new ProblemsPanel(state, openAt);
  const redis = new RedisPanel(state);
  const protection = new ProtectionPanel(state);
  const dock = new PanelDock([
    { id: 'problems', label: 'Problems', el: problems.el },
    { id: 'logs', label: 'Logs', el: new LogsPanel(state).el },
    { id: 'traffic', label: 'Traffic', el: new TrafficPanel(state).el },
    { id: 'protection', label: 'Protection', el: protection.el },
    { id: 'redis', label: 'Redis', el: redis.el },
  ]);
  problems.onCount((n) => dock.setBadge('problems', n));
  problems.render();
  protection.onCount((n) => dock.setBadge('protection', n));
  dock.onSelect((id) => {
    if (id === 'redis') void redis.scan();
    if (id === 'protection') void protection.refresh();
  });
  const simulator = new SimulatorPanel(state, openAt);
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
      else warning('Reload failed', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`, undefined, 'not-live');
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

  const recording = new RecordingToggle(client);
  replace(root, h('div', { class: 'app' },
    header,
    h('aside', { class: 'sidebar' }, tree.el),
    h('main', { class: 'center' }, editor.el, dock.el),
    simulator.el,
    runner.el,
    new StatusBar(state, [recording.el]).el), toasts);

  client.onReload((r) => {
    if (r.trigger === 'external') {
      if (r.ok) info(`Reloaded after an edit outside the studio`, `${r.files.join(', ')} · generation ${r.generation} is live`);
      else warning('A change outside the studio does not load', `${r.diagnostics.length} problem(s); generation ${r.generation} keeps serving`, undefined, 'not-live');
    }
    void state.applyReload(r);
  });
  client.onFilesChanged(() => void state.refreshFiles().catch(() => undefined));
  client.onRedisChanged(() => void state.refreshStatus().catch(() => undefined));
  client.onTrafficDone(() => {
    void state.refreshStatus().catch(() => undefined);
    recording.refresh();
  });
  setInterval(() => {
    state.refreshStatus().then(() => state.setConnected(true), () => state.setConnected(false));
  }, POLL_MS);
}
