// Failed-attempt throttle for /api/v1/jwt/token and /refresh, per client address (the socket peer, never a header).
//
//   failure --> count in a 1-minute window --5th failure--> blocked 2 minutes: every request answers 429 + Retry-After
//
// The figures are Nauthilus 1.10's (server/middleware/auth/basic.go: 1 min window, 5 failures, 2 min block, 429 with
// Retry-After). While blocked even the right password gets 429, so guessing cannot go on behind the refusals.

const WINDOW_MS = 60_000;
const THRESHOLD = 5;
const BLOCK_MS = 120_000;
/** Addresses remembered at most (the oldest is forgotten first), so a spray of addresses cannot grow memory. */
const MAX_ENTRIES = 10_000;

interface Entry { windowEnd: number; failures: number; blockedUntil: number }

export class TokenThrottle {
  private readonly byAddress = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfterSec(address: string): number {
    const e = this.byAddress.get(address);
    if (!e) return 0;
    const t = this.now();
    if (e.blockedUntil > t) return Math.max(1, Math.ceil((e.blockedUntil - t) / 1000));
    return 0;
  }

  /** Count one failed attempt (wrong password, refused refresh token, malformed request). */
  fail(address: string): void {
    const t = this.now();
    let e = this.byAddress.get(address);
    if (!e || e.windowEnd <= t) {
      e = { windowEnd: t + WINDOW_MS, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
    }
    this.byAddress.delete(address); // re-insert: the map's order is least recently failed first
    e.failures += 1;
    if (e.failures >= THRESHOLD) e.blockedUntil = t + BLOCK_MS;
    this.byAddress.set(address, e);
    if (this.byAddress.size > MAX_ENTRIES) this.byAddress.delete(this.byAddress.keys().next().value as string);
  }
}
