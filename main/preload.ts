// The window's preload (sandboxed; bundled into dist/main/preload.bundle.js by scripts/build-renderer.js):
// exposes window.authstudio, the studio's calls and events over validated IPC channels, and nothing else.
import type { ContextBridgeShape, IpcRendererShape } from './electron-shapes';
import { createStudioBridge } from './preload-bridge';

const { contextBridge, ipcRenderer } = require('electron') as { contextBridge: ContextBridgeShape; ipcRenderer: IpcRendererShape };
contextBridge.exposeInMainWorld('authstudio', createStudioBridge(ipcRenderer));
