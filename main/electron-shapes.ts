// The few shapes of Electron's API the main process uses, declared here: the `electron` package is optional and
// absent on machines that cannot download its binary, yet main/ must compile and be tested everywhere.

/** An event whose default action a listener may cancel. */
export interface PreventableEvent {
  preventDefault(): void;
}

export interface WebPreferencesShape {
  preload: string;
  contextIsolation: boolean;
  sandbox: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInWorker: boolean;
  nodeIntegrationInSubFrames: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  navigateOnDragDrop: boolean;
  spellcheck: boolean;
  devTools: boolean;
}

export interface BrowserWindowOptionsShape {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  backgroundColor: string;
  webPreferences: WebPreferencesShape;
}

export interface SessionShape {
  setPermissionRequestHandler(handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
}

export interface WebContentsShape {
  readonly id: number;
  readonly session: SessionShape;
  on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: (event: PreventableEvent, url: string) => void): void;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowShape {
  readonly webContents: WebContentsShape;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
}

export interface IpcMainInvokeEventShape {
  sender: WebContentsShape;
  senderFrame: { url: string } | null;
}

export interface IpcMainShape {
  handle(channel: string, listener: (event: IpcMainInvokeEventShape, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcRendererShape {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
}

export interface ContextBridgeShape {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export interface MenuItemShape {
  label?: string;
  role?: string;
  type?: 'separator' | 'normal' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItemShape[];
}

export interface ProtocolShape {
  handle(scheme: string, handler: (request: { url: string; method: string }) => Response | Promise<Response>): void;
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>): void;
}

export interface ElectronAppShape {
  readonly isPackaged: boolean;
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<void>;
  on(event: 'second-instance' | 'window-all-closed' | 'web-contents-created', listener: (...args: never[]) => void): void;
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): void;
  getPath(name: 'userData'): string;
  getName(): string;
  quit(): void;
  exit(code?: number): void;
}

/** The part of `require('electron')` the desktop app uses. */
export interface ElectronMain {
  app: ElectronAppShape;
  BrowserWindow: new (options: BrowserWindowOptionsShape) => BrowserWindowShape;
  ipcMain: IpcMainShape;
  protocol: ProtocolShape;
  Menu: { buildFromTemplate(template: MenuItemShape[]): unknown; setApplicationMenu(menu: unknown): void };
  shell: { openPath(path: string): Promise<string>; openExternal(url: string): Promise<void> };
  dialog: { showErrorBox(title: string, content: string): void };
}
