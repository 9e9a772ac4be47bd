// The application menu: standard edit and view entries, the workspace folder, and quit. Ctrl/Cmd+S is left to
// the page (the editor saves), so the menu binds no accelerator the editor needs.
import type { MenuItemShape } from './electron-shapes';

export interface MenuActions {
  /** Show the workspace folder in the file manager. */
  openWorkspaceFolder(): void;
  /** Open the Lua API reference (docs/lua-api.md) with the system viewer. */
  openDocs(): void;
  quit(): void;
}

/** The menu template for `platform` (process.platform). */
export function buildMenuTemplate(platform: string, appName: string, actions: MenuActions): MenuItemShape[] {
  const mac = platform === 'darwin';
  const template: MenuItemShape[] = [];
  if (mac) {
    template.push({ label: appName, submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { label: `Quit ${appName}`, accelerator: 'Cmd+Q', click: actions.quit }] });
  }
  template.push(
    {
      label: 'File',
      submenu: [
        { label: 'Show Workspace Folder', click: actions.openWorkspaceFolder },
        { type: 'separator' },
        mac ? { role: 'close' } : { label: 'Quit', accelerator: 'Ctrl+Q', click: actions.quit },
      ],
    },
    {
      label: 'Edit',
      // undo/redo stay with the editor (its own history); clipboard roles are needed on macOS for Cmd+C/V
      submenu: [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { label: 'Help', submenu: [{ label: 'Lua API Reference', click: actions.openDocs }] },
  );
  return template;
}

/** Every accelerator of a template (to check none collides with the editor's keys). */
export function acceleratorsOf(template: MenuItemShape[]): string[] {
  return template.flatMap((i) => [...(i.accelerator ? [i.accelerator] : []), ...acceleratorsOf(i.submenu ?? [])]);
}
