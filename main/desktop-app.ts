// The desktop app: the engine and studio service in the main process, one locked-down window showing the
// renderer over app://studio/, the studio reached through validated IPC, single instance, graceful shutdown.
//
//   electron-main.ts -> startDesktop(require('electron'))
//     app:// scheme privileged -> single-instance lock -> ready -> openStudio (engine listens for auth requests)
//     -> app protocol + IPC handlers -> window (guarded) -> quit: close window, studio, engine, then exit
import fs from 'node:fs';
import path from 'node:path';
import { createInProcessClient } from '../engine/api/in-process-client';
import { openStudio, type Studio } from '../engine/studio/open-studio';
import { buildMenuTemplate } from './app-menu';
import { APP_ORIGIN, APP_SCHEME_PRIVILEGES, registerAppProtocol } from './app-protocol';
import { chooseWorkspace, argValue, prepareWorkspace } from './desktop-workspace';
import type { BrowserWindowShape, ElectronMain, IpcMainInvokeEventShape, WebContentsShape } from './electron-shapes';
import { registerStudioIpc, type StudioIpc } from './ipc-server';
import { denyPermissions, guardNavigation, isAppUrl } from './navigation-guard';
import { buildWindowOptions, unsafeWindowOptions } from './window-options';

const ROOT = path.join(__dirname, '..', '..');
/** The built renderer (inside app.asar in a package, next to dist/). */
const RENDERER_DIST = path.join(ROOT, 'renderer', 'dist');
const PRELOAD = path.join(__dirname, 'preload.bundle.js');
const DEFAULT_LISTEN = '127.0.0.1:9080';

/** Only the studio page's own frame may call the studio. */
export function isTrustedSender(event: IpcMainInvokeEventShape): boolean {
  return isAppUrl(event.senderFrame?.url);
}

/** The page URL, telling the status bar where the auth endpoints listen. */
export function pageUrl(listenAddress: string): string {
  return `${APP_ORIGIN}/index.html?listen=${encodeURIComponent(listenAddress.replace(/^https?:\/\//, ''))}`;
}

/** Start the desktop app; resolves once the window shows the studio. */
export async function startDesktop(
  electron: ElectronMain, argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env, logs: { write(line: string): unknown } = process.stdout,
): Promise<void> {
  const { app, protocol, ipcMain, BrowserWindow, Menu, shell, dialog } = electron;
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let win: BrowserWindowShape | undefined;
  let studio: Studio | undefined;
  let ipc: StudioIpc | undefined;
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  // every web contents (the window, and anything it tries to open) stays on the studio
  app.on('web-contents-created', (_e: unknown, contents: WebContentsShape) => guardNavigation(contents, (url) => void shell.openExternal(url)));

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !studio) return;
    event.preventDefault();
    quitting = true;
    ipc?.dispose();
    // in-flight requests finish, post actions run, Redis and the VMs close; then the process ends
    studio.close().catch(() => undefined).then(() => app.exit(0));
  });
  app.on('window-all-closed', () => app.quit());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());

  await app.whenReady();
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath ?? ROOT;
  const workspace = prepareWorkspace(chooseWorkspace({
    argv, env, isPackaged: app.isPackaged, resourcesPath, userData: app.getPath('userData'), checkoutSample: path.join(ROOT, 'lua-plugins.d'),
  }));
  const listen = argValue(argv, 'listen') ?? env.AUTHSTUDIO_LISTEN ?? DEFAULT_LISTEN;
  try {
    studio = await openStudio({ workspace, listen, redis: argValue(argv, 'redis'), echoLogs: logs, routes: false, env });
  } catch (e) {
    dialog.showErrorBox('AuthStudio cannot open the workspace', `${workspace}\n\n${(e as Error)?.message ?? e}`);
    app.exit(1);
    return;
  }
  let address: string;
  try {
    address = await studio.app.listen({ host: studio.engine.config.server.host, port: studio.engine.config.server.port });
  } catch (e) {
    // another server has the port: the studio still works, auth requests get a free port instead
    studio.logger.warn({ listen, err: String(e) }, 'the auth port is taken: listening on a free port instead');
    address = await studio.app.listen({ host: '127.0.0.1', port: 0 });
  }

  registerAppProtocol(protocol, RENDERER_DIST);
  ipc = registerStudioIpc(ipcMain, createInProcessClient(studio.service), isTrustedSender);
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(process.platform, app.getName(), {
    openWorkspaceFolder: () => void shell.openPath(workspace),
    openDocs: () => {
      // packaged: an extra resource (a file inside app.asar cannot be opened by another program)
      const docs = path.join(app.isPackaged ? resourcesPath : ROOT, 'docs', 'lua-api.md');
      if (fs.existsSync(docs)) void shell.openPath(docs);
    },
    quit: () => app.quit(),
  })));

  const options = buildWindowOptions(PRELOAD, { devTools: !app.isPackaged });
  const unsafe = unsafeWindowOptions(options);
  if (unsafe.length) throw new Error(`refusing to open an unsafe window: ${unsafe.join('; ')}`);
  win = new BrowserWindow(options);
  denyPermissions(win.webContents.session);
  ipc.forwardEventsTo(win.webContents);
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = undefined;
  });
  await win.loadURL(pageUrl(address));
}
