// The studio window: isolated, sandboxed, no Node in the page; the preload is the only bridge to the engine.
import type { BrowserWindowOptionsShape } from './electron-shapes';

/**
 * Options for the one BrowserWindow.
 * @example new BrowserWindow(buildWindowOptions(path.join(__dirname, 'preload.bundle.js')))
 */
export function buildWindowOptions(preloadPath: string, opts: { devTools?: boolean } = {}): BrowserWindowOptionsShape {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'AuthStudio',
    show: false,
    backgroundColor: '#14171d',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: opts.devTools ?? true,
    },
  };
}

/** Why a set of window options is unsafe, or an empty list (a check the app runs before opening the window). */
export function unsafeWindowOptions(o: BrowserWindowOptionsShape): string[] {
  const w = o.webPreferences;
  const problems: string[] = [];
  if (!w.contextIsolation) problems.push('contextIsolation must be on');
  if (!w.sandbox) problems.push('sandbox must be on');
  if (w.nodeIntegration || w.nodeIntegrationInWorker || w.nodeIntegrationInSubFrames) problems.push('Node integration must be off');
  if (!w.webSecurity || w.allowRunningInsecureContent) problems.push('web security must be on');
  if (w.webviewTag) problems.push('<webview> must be off');
  if (!w.preload) problems.push('a preload is needed');
  return problems;
}
