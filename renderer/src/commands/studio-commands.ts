// Every studio command with its key binding, registered in one place (the palette lists them; keys run them).
import type { PanelDock } from '../panels/panel-dock';
import type { SplitLayout } from '../panels/split-layout';
import type { StudioState } from '../studio-state';
import type { WorkspaceEditor } from '../editor/workspace-editor';
import { CommandRegistry } from './command-registry';
import { quickOpen, searchWorkspace } from './quick-open';

export interface StudioCommandTargets {
  state: StudioState;
  editor: WorkspaceEditor;
  dock: PanelDock;
  layout: SplitLayout;
  check(): void;
  reload(): void;
  simulate(): void;
  newScript(): void;
  exportBundle(): void;
  rename(path: string): void;
  remove(path: string): void;
}

/** The registry with the studio's commands, its keys bound on the window. */
export function studioCommands(t: StudioCommandTargets): CommandRegistry {
  const reg = new CommandRegistry();
  const openAt = (p: string, line?: number, column?: number) => void t.editor.open(p, line, column);
  const active = () => t.editor.activePath;
  const panel = (id: string, label: string) => ({ id: `panel.${id}`, label: `Show ${label}`, run: () => t.dock.select(id) });
  reg.register(
    { id: 'palette', label: 'Show all commands', keys: ['Ctrl+Shift+P', 'F1'], run: () => reg.openPalette() },
    { id: 'file.quickOpen', label: 'Go to file…', keys: ['Ctrl+P'], run: () => quickOpen(t.state, openAt) },
    { id: 'workspace.search', label: 'Search in the workspace…', keys: ['Ctrl+Shift+F'], run: () => searchWorkspace(t.state, openAt) },
    { id: 'file.save', label: 'Save the file', hint: 'Ctrl+S', run: () => void t.editor.save() },
    { id: 'file.format', label: 'Format the file', hint: navigator.platform.startsWith('Linux') ? 'Ctrl+Shift+I' : 'Shift+Alt+F', run: () => t.editor.format() },
    { id: 'file.rename', label: 'Rename the file…', run: () => { const p = active(); if (p) t.rename(p); } },
    { id: 'file.delete', label: 'Delete the file…', run: () => { const p = active(); if (p) t.remove(p); } },
    { id: 'file.close', label: 'Close the file', run: () => { const p = active(); if (p) t.editor.close(p); } },
    { id: 'script.new', label: 'New script…', run: () => t.newScript() },
    { id: 'workspace.check', label: 'Check the workspace', run: () => t.check() },
    { id: 'workspace.reload', label: 'Reload the engine', run: () => t.reload() },
    { id: 'simulate', label: 'Simulate a request', run: () => t.simulate() },
    { id: 'export', label: 'Export the production bundle…', run: () => t.exportBundle() },
    panel('problems', 'Problems'), panel('logs', 'Logs'), panel('traffic', 'Traffic'), panel('redis', 'Redis'),
    { id: 'layout.sidebar', label: 'Toggle the file tree', keys: ['Ctrl+B'], run: () => t.layout.toggle('sidebar') },
    { id: 'layout.dock', label: 'Toggle the bottom panel', keys: ['Ctrl+J'], run: () => t.layout.toggle('dock') },
    { id: 'layout.right', label: 'Toggle the simulator column', keys: ['Ctrl+Alt+B'], run: () => t.layout.toggle('right') },
    { id: 'layout.reset', label: 'Reset the layout', run: () => t.layout.reset() },
  );
  reg.bindKeys();
  return reg;
}
