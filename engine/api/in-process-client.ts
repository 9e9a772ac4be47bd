// The in-process transport: a StudioClient calling the service directly, with the same JSON boundary as the wire.
import {
  EVENT_OF_SUBSCRIBER, STUDIO_METHODS, StudioError, type StudioClient, type StudioErrorInfo, type StudioEventMap,
  type StudioEventName, type StudioEvents, type StudioMethods, type Unsubscribe,
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
  const subscriptions = new Set<Unsubscribe>();
  const methods: Record<string, (arg?: unknown) => Promise<unknown>> = {};
  for (const name of STUDIO_METHODS) {
    methods[name] = async (arg?: unknown) => {
      let result: unknown;
      try {
        const fn = service[name] as (a: unknown) => Promise<unknown>;
        result = await fn.call(service, viaJson(arg ?? {}));
      } catch (e) {
        throw new StudioError(viaJson(service.errorInfo(e)));
      }
      return viaJson(result);
    };
  }
  const subscribers: Record<string, (listener: (payload: unknown) => void) => Unsubscribe> = {};
  for (const [method, event] of Object.entries(EVENT_OF_SUBSCRIBER)) {
    subscribers[method] = (listener) => {
      const off = service.events.on(event, (payload) => listener(viaJson(payload)));
      const unsubscribe = () => {
        off();
        subscriptions.delete(unsubscribe);
      };
      subscriptions.add(unsubscribe);
      return unsubscribe;
    };
  }
  return {
    ...(methods as unknown as StudioMethods),
    ...(subscribers as unknown as StudioEvents),
    connect: async () => undefined,
    close: async () => {
      for (const off of [...subscriptions]) off();
    },
  };
}
