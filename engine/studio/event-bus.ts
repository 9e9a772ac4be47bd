// The studio's typed event bus: what the service emits and every transport forwards (onX subscriptions).
import { EventEmitter } from 'node:events';
import type { StudioEventMap, StudioEventName, Unsubscribe } from '../api/contract';

/** A typed EventEmitter for the studio events; a throwing listener never breaks the emitter. */
export class StudioEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit<K extends StudioEventName>(name: K, payload: StudioEventMap[K]): void {
    for (const l of this.emitter.listeners(name)) {
      try {
        (l as (p: StudioEventMap[K]) => void)(payload);
      } catch {
        // a broken subscriber (a closed socket, a UI bug) must not stop the others or the service
      }
    }
  }

  on<K extends StudioEventName>(name: K, listener: (payload: StudioEventMap[K]) => void): Unsubscribe {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Subscribe to every event at once (transports that forward all of them). */
  onAny(listener: <K extends StudioEventName>(name: K, payload: StudioEventMap[K]) => void, names: readonly StudioEventName[]): Unsubscribe {
    const offs = names.map((n) => this.on(n, (p) => listener(n, p)));
    return () => offs.forEach((off) => off());
  }

  listenerCount(name: StudioEventName): number {
    return this.emitter.listenerCount(name);
  }

  removeAll(): void {
    this.emitter.removeAllListeners();
  }
}
