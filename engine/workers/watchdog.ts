// The main thread's watchdog over pipeline worker threads: a thread whose Lua run stays past its deadline is stuck
// in something the count hook cannot stop (a long C call such as string.find on a pathological pattern), and only
// ending the thread frees it. Each worker publishes its run's deadline through a run beacon (lua/run-beacon.ts).

/** How far past its deadline a Lua run may go before the watchdog ends its thread. */
export const WATCHDOG_GRACE_MS = 250;
const WATCHDOG_EVERY_MS = 50;

/** What the watchdog looks at: the worker's beacon cell (deadline in epoch ms, 0 when no Lua runs). */
export interface Watched {
  beacon: Float64Array;
  /** Set once the thread is being ended (the watchdog reports it only once). */
  killed?: unknown;
}

/**
 * Check `watched()` every 50 ms and call `onStuck` for each thread past its deadline plus the grace.
 * Returns a function that stops the watchdog. The timer does not keep the process alive.
 */
export function startWatchdog<T extends Watched>(watched: () => Iterable<T>, onStuck: (w: T, overMs: number) => void): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const w of watched()) {
      const deadline = w.beacon[0];
      if (deadline > 0 && now > deadline + WATCHDOG_GRACE_MS && !w.killed) onStuck(w, now - deadline);
    }
  }, WATCHDOG_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
