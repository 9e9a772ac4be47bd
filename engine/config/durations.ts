// Go-style durations ("1h30m", "500ms") and byte sizes ("32MiB", "1GB") as written in the config.

import { AuthStudioError, type SourceLocation } from '../errors/registry';

/** Where a value came from, for the error a bad value raises: a key path, a file location, or both. */
export type ValueOrigin = string | { path?: string; location?: SourceLocation };

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

function fail(message: string, where: ValueOrigin | undefined): never {
  const opts = typeof where === 'string' ? { path: where } : where ?? {};
  const prefix = opts.path ? `${opts.path}: ` : '';
  throw new AuthStudioError('AS_ERR_CONFIG_TYPE', prefix + message, opts);
}

/**
 * Parses a duration the way Go's `time.ParseDuration` does ("300ms", "1.5h", "2h45m", "-10s", "0"),
 * and also a bare number (or a string of only digits) as seconds.
 * Returns milliseconds (possibly fractional for ns/µs units).
 * @throws AuthStudioError AS_ERR_CONFIG_TYPE naming `where` when the text is not a duration.
 */
export function parseDuration(s: string | number, where?: ValueOrigin): number {
  if (typeof s === 'number') {
    if (!Number.isFinite(s)) fail(`expected a duration, got ${s}`, where);
    return s * 1000;
  }
  const text = s.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const bad = (): never => fail(`expected a duration like "30s", "10m" or "1h30m", got "${s}"`, where);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '') bad();
  const part = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/;
  let total = 0;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return bad();
    const unit = DURATION_UNITS_MS[m[2]];
    if (unit === undefined) return bad();
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/**
 * Parses a byte size: a bare integer (bytes) or a number with a unit, case-insensitive:
 * B; KB, MB, GB, TB (powers of 1000); KiB, MiB, GiB, TiB and the single letters K, M, G, T (powers of 1024).
 * Returns whole bytes (rounded).
 * @throws AuthStudioError AS_ERR_CONFIG_TYPE naming `where` when the text is not a size.
 */
export function parseSize(s: string | number, where?: ValueOrigin): number {
  if (typeof s === 'number') {
    if (!Number.isFinite(s) || s < 0) fail(`expected a size in bytes, got ${s}`, where);
    return Math.round(s);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(s.trim());
  const unit = m ? (m[2] === '' ? 1 : SIZE_UNITS[m[2].toLowerCase()]) : undefined;
  if (!m || unit === undefined) {
    return fail(`expected a size like "32MiB", "512KiB", "1GB" or a number of bytes, got "${s}"`, where);
  }
  return Math.round(Number(m[1]) * unit);
}

/** Milliseconds to whole seconds, rounding up so a non-zero duration never becomes 0. */
export function msToSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
