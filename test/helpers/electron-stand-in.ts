// Test helper, preloaded with `node -r`: answers `require('electron')` with a stand-in of the Electron API so the real
// main script (dist/main/electron-main.js) runs in plain Node. It behaves like a packaged app (isPackaged, a
// resources folder, a user data folder from AS_STAND_IN_RESOURCES / AS_STAND_IN_USER_DATA) and reports what the app
// did as lines `@stand-in {json}` on stdout: the page it loaded (fetched through the app's own app:// handler),
// the IPC channels, the file Help > Lua API Reference opens, errors shown, and the exit code. SIGTERM makes the app quit as Electron's would.
import fs from 'node:fs';
import Module from 'node:module';

type Listener = (...args: unknown[]) => unknown;
type ProtocolHandler = (request: { url: string; method: string }) => Response | Promise<Response>;

const STAND_IN_PREFIX = '@stand-in ';
function report(event: Record<string, unknown>): void {
  process.stdout.write(`${STAND_IN_PREFIX}${JSON.stringify(event)}\n`);
}

const appListeners = new Map<string, Listener[]>();
const protocolHandlers = new Map<string, ProtocolHandler>();
const handled: string[] = [];
type MenuItem = { label?: string; click?: () => void; submenu?: MenuItem[] };
let menu: MenuItem[] = [];
(process as NodeJS.Process & { resourcesPath?: string }).resourcesPath = process.env.AS_STAND_IN_RESOURCES;

async function fetchApp(url: string): Promise<{ status: number; type: string | null; bytes: number; text: string }> {
  const handler = protocolHandlers.get(new URL(url).protocol.replace(/:$/, ''));
  if (!handler) return { status: 0, type: null, bytes: 0, text: '' };
  const res = await handler({ url, method: 'GET' });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), bytes: text.length, text };
}

const electron = {
  app: {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    whenReady: () => new Promise<void>((resolve) => setImmediate(resolve)),
    on(event: string, listener: Listener) {
      appListeners.set(event, [...(appListeners.get(event) ?? []), listener]);
    },
    getPath: (name: string) => {
      if (name !== 'userData') throw new Error(`stand-in: getPath(${name}) is not provided`);
      return process.env.AS_STAND_IN_USER_DATA!;
    },
    getName: () => 'AuthStudio',
    quit() {
      let prevented = false;
      for (const l of appListeners.get('before-quit') ?? []) l({ preventDefault: () => { prevented = true; } });
      if (!prevented) electron.app.exit(0);
    },
    exit(code = 0) {
      report({ event: 'exit', code });
      process.exit(code);
    },
  },
  BrowserWindow: class {
    readonly webContents = {
      id: 1, isDestroyed: () => false, send: () => undefined, on: () => undefined, setWindowOpenHandler: () => undefined,
      session: { setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined },
    };

    constructor(private readonly options: { webPreferences: { preload: string; sandbox: boolean } }) {
      for (const l of appListeners.get('web-contents-created') ?? []) l({}, this.webContents);
    }

    async loadURL(url: string) {
      const index = await fetchApp(url);
      const script = /<script[^>]+src="([^"]+)"/.exec(index.text)?.[1];
      const app = script ? await fetchApp(new URL(script, url).href) : undefined;
      report({
        event: 'loaded', url, index: { status: index.status, type: index.type }, script: script && { src: script, status: app?.status, bytes: app?.bytes },
        preload: { path: this.options.webPreferences.preload, exists: fs.existsSync(this.options.webPreferences.preload) }, sandbox: this.options.webPreferences.sandbox,
        ipc: [...handled].sort(),
      });
      // what a user does next: Help > Lua API Reference (reported by shell.openPath)
      const items = (m: MenuItem[]): MenuItem[] => m.flatMap((i) => [i, ...items(i.submenu ?? [])]);
      items(menu).find((i) => i.label === 'Lua API Reference')?.click?.();
    }

    once() {}
    on() {}
    show() {}
    focus() {}
    restore() {}
    isMinimized() { return false; }
  },
  ipcMain: { handle: (channel: string) => void handled.push(channel), removeHandler: () => undefined },
  protocol: {
    handle: (scheme: string, handler: ProtocolHandler) => void protocolHandlers.set(scheme, handler),
    registerSchemesAsPrivileged: () => undefined,
  },
  Menu: { buildFromTemplate: (t: MenuItem[]) => t, setApplicationMenu: (m: MenuItem[]) => { menu = m; } },
  shell: {
    openPath: async (p: string) => {
      report({ event: 'open-path', path: p, exists: fs.existsSync(p) });
      return '';
    },
    openExternal: async () => undefined,
  },
  dialog: { showErrorBox: (title: string, content: string) => report({ event: 'error-box', title, content }) },
};

// `require('electron')` from the app gets the stand-in
const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
(Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load = function (request: string, ...rest: unknown[]) {
  return request === 'electron' ? electron : load.call(this, request, ...rest);
};
