// Where this thread's Lua is: the deadline of the synchronous Lua run in progress, for a watchdog on another thread.
//
// Synchronous wasm cannot be interrupted on its own thread (a long C call such as string.find ignores the count
// hook, finalizers run with hooks off). A pipeline worker publishes each run's deadline here; the main thread
// terminates a worker that stays past it. On the main thread the beacon does nothing.

/** Publishes the deadline (epoch ms) of the Lua run in progress; 0 when no Lua runs. */
export interface RunBeacon {
  /** A run starts; returns the previous deadline for leave(). */
  enter(deadlineMs: number): number;
  leave(previous: number): void;
}

const NONE: RunBeacon = { enter: () => 0, leave: () => undefined };
let current: RunBeacon = NONE;

/** The beacon Lua runs on this thread report to. */
export function runBeacon(): RunBeacon {
  return current;
}

/** A beacon over shared memory: slot 0 of `shared` holds the deadline (Float64). */
export function installSharedBeacon(shared: SharedArrayBuffer): void {
  const cell = new Float64Array(shared);
  current = {
    enter(deadlineMs) {
      const prev = cell[0];
      cell[0] = prev > 0 ? Math.min(prev, deadlineMs) : deadlineMs;
      return prev;
    },
    leave(previous) {
      cell[0] = previous;
    },
  };
}
