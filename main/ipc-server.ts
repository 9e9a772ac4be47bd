// The studio over Electron IPC, main side: each method's channel runs the in-process StudioClient for the window,
// after checking who is asking and what; events go back to the window on one channel.
import { EVENT_OF_SUBSCRIBER, STUDIO_METHODS, StudioError, type StudioClient, type StudioErrorInfo, type StudioMethodName, type Unsubscribe } from '../engine/api/contract';
import type { IpcMainInvokeEventShape, IpcMainShape, WebContentsShape } from './electron-shapes';
import { CALL_CHANNELS, EVENT_CHANNEL, channelOf, validateCall } from './ipc-channels';

/** What every call answers (errors as data: Electron would reduce a thrown error to its message). */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: StudioErrorInfo };

export interface StudioIpc {
  /** Send every studio event to these contents until the returned function is called (or they are destroyed). */
  forwardEventsTo(contents: WebContentsShape): Unsubscribe;
  /** Remove the handlers and stop forwarding. */
  dispose(): void;
}

function errorOf(e: unknown): StudioErrorInfo {
  if (e instanceof StudioError) return e.info;
  return { code: 'AS_ERR_INTERNAL', status: 500, message: 'internal error (logged by the app)' };
}

/**
 * Handle the studio's channels. `isTrusted` decides whether a call comes from the studio page (its frame URL).
 * @example registerStudioIpc(ipcMain, createInProcessClient(studio.service), (e) => isAppUrl(e.senderFrame?.url))
 */
export function registerStudioIpc(ipcMain: IpcMainShape, client: StudioClient, isTrusted: (event: IpcMainInvokeEventShape) => boolean): StudioIpc {
  for (const method of STUDIO_METHODS) {
    ipcMain.handle(channelOf(method), async (event, arg): Promise<IpcReply> => {
      if (!isTrusted(event)) return { ok: false, error: { code: 'AS_ERR_FORBIDDEN', status: 403, message: 'only the studio page may call the studio' } };
      const v = validateCall(method, arg);
      if (!v.ok) return v;
      try {
        const fn = client[v.method as StudioMethodName] as (a: unknown) => Promise<unknown>;
        return { ok: true, result: await fn.call(client, v.arg) };
      } catch (e) {
        return { ok: false, error: errorOf(e) };
      }
    });
  }
  const forwards = new Set<Unsubscribe>();
  return {
    forwardEventsTo(contents) {
      const offs = Object.entries(EVENT_OF_SUBSCRIBER).map(([subscribe, name]) =>
        (client[subscribe as keyof typeof EVENT_OF_SUBSCRIBER] as (l: (p: unknown) => void) => Unsubscribe)((payload) => {
          if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload);
        }));
      const off = () => {
        for (const o of offs) o();
        forwards.delete(off);
      };
      forwards.add(off);
      return off;
    },
    dispose() {
      for (const ch of CALL_CHANNELS) ipcMain.removeHandler(ch);
      for (const off of [...forwards]) off();
    },
  };
}
