// The Electron transport, renderer side: a StudioClient over the preload's bridge (window.authstudio), which
// carries only the studio's methods and events over validated IPC channels.
import {
  clientFromTransport, StudioError, type StudioClient, type StudioErrorInfo, type StudioEventName,
  type StudioMethodName, type Unsubscribe,
} from '../../../engine/api/contract';

/** What a call answers over IPC: errors travel as data (Electron would flatten a thrown error to its message). */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: StudioErrorInfo };

/** The object main/preload.ts exposes as `window.authstudio`. */
export interface StudioBridge {
  invoke(method: StudioMethodName, arg: unknown): Promise<IpcReply>;
  on(event: StudioEventName, listener: (payload: unknown) => void): Unsubscribe;
}

declare global {
  interface Window {
    authstudio?: StudioBridge;
  }
}

/**
 * A StudioClient for the desktop app.
 * @example const client = window.authstudio ? createIpcClient(window.authstudio) : createHttpClient(location.origin);
 */
export function createIpcClient(bridge: StudioBridge): StudioClient {
  return clientFromTransport({
    async call(name, arg) {
      let reply: IpcReply;
      try {
        reply = await bridge.invoke(name, arg);
      } catch (e) {
        throw new StudioError({ code: 'AS_ERR_INTERNAL', status: 500, message: `the app's main process did not answer ${name}: ${(e as Error)?.message ?? e}` });
      }
      if (!reply.ok) throw new StudioError(reply.error);
      return reply.result;
    },
    subscribe: (event, listener) => bridge.on(event, listener),
    connect: async () => undefined,
    close: async () => undefined,
  });
}
