// Formatting of durations, times and sizes for the panels.

/** "0.42 ms", "12.3 ms", "1.25 s". */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${value < 100 ? value.toFixed(1) : Math.round(value)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

/** Wall-clock time of a timestamp, "14:03:07". */
export function clock(t: number | Date = Date.now()): string {
  const d = t instanceof Date ? t : new Date(t);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** "1,234". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A TTL as the Redis panel shows it. */
export function ttl(seconds: number): string {
  if (seconds === -1) return 'no expiry';
  if (seconds === -2) return 'gone';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** A value of unknown shape as short text. */
export function preview(v: unknown, max = 120): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? '' : s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
