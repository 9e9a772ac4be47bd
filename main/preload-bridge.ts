// What the preload exposes to the page as `window.authstudio`: invoke(method, arg) for the studio's methods and
// on(event, listener) for its events — checked here before anything is sent, and never ipcRenderer itself.
import type { StudioEventName, StudioMethodName, Unsubscribe } from '../engine/api/contract';
import type { IpcRendererShape } from './electron-shapes';
import { EVENT_CHANNEL, channelOf, isStudioEvent, validateCall } from './ipc-channels';
import type { IpcReply } from './ipc-server';

/** The bridge object (frozen; contextBridge copies it into the page's world). */
export interface StudioBridge {
  invoke(method: StudioMethodName, arg: unknown): Promise<IpcReply>;
  on(event: StudioEventName, listener: (payload: unknown) => void): Unsubscribe;
}

/**
 * Build the bridge over `ipc` (the preload's ipcRenderer).
 * @example contextBridge.exposeInMainWorld('authstudio', createStudioBridge(ipcRenderer));
 */
export function createStudioBridge(ipc: IpcRendererShape): StudioBridge {
  const listeners = new Map<StudioEventName, Set<(payload: unknown) => void>>();
  let attached = false;
  const dispatch = (_event: unknown, name: unknown, payload: unknown) => {
    if (!isStudioEvent(name)) return;
    for (const l of [...(listeners.get(name) ?? [])]) {
      try {
        l(payload);
      } catch {
        // a listener's bug must not stop the others
      }
    }
  };
  return Object.freeze({
    invoke(method: StudioMethodName, arg: unknown): Promise<IpcReply> {
      const v = validateCall(method, arg);
      if (!v.ok) return Promise.resolve(v);
      return ipc.invoke(channelOf(v.method), v.arg) as Promise<IpcReply>;
    },
    on(event: StudioEventName, listener: (payload: unknown) => void): Unsubscribe {
      if (!isStudioEvent(event)) throw new TypeError(`authstudio.on: "${String(event).slice(0, 40)}" is not a studio event`);
      if (typeof listener !== 'function') throw new TypeError('authstudio.on: the listener must be a function');
      if (!attached) {
        ipc.on(EVENT_CHANNEL, dispatch);
        attached = true;
      }
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return () => {
        listeners.get(event)?.delete(listener);
      };
    },
  });
}
