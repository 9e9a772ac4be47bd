// The in-process transport: a StudioClient calling the service directly, with the same JSON boundary as the wire.
import {
  clientFromTransport, StudioError, type StudioClient, type StudioErrorInfo, type StudioEventMap,
  type StudioEventName, type StudioMethods, type Unsubscribe,
} from './contract';

/** What the in-process client drives: the service's methods, its event bus and its error mapping. */
export interface InProcessBackend extends StudioMethods {
  events: { on<K extends StudioEventName>(name: K, listener: (payload: StudioEventMap[K]) => void): Unsubscribe };
  errorInfo(e: unknown): StudioErrorInfo;
}

/** Arguments and results cross as JSON, so the in-process transport behaves exactly like the remote ones. */
function viaJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * A client for tests, the CLI and the Electron main process.
 * @example
 * const client = createInProcessClient(studio.service);
 * const files = await client.listFiles();
 */
export function createInProcessClient(service: InProcessBackend): StudioClient {
  return clientFromTransport({
    async call(name, arg) {
      let result: unknown;
      try {
        const fn = service[name] as (a: unknown) => Promise<unknown>;
        result = await fn.call(service, viaJson(arg));
      } catch (e) {
        throw new StudioError(viaJson(service.errorInfo(e)));
      }
      return viaJson(result);
    },
    subscribe: (event, listener) => service.events.on(event, (payload) => listener(viaJson(payload))),
    connect: async () => undefined,
    close: async () => undefined,
  });
}
