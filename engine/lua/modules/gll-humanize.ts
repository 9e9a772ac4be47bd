// `humanize` (nauthilus_gll_humanize): gopher-lua-libs v0.7.0 over go-humanize v1.0.1 (the version Nauthilus 1.10 builds with).
import type { LuaModule } from '../module';
import { checkArg, pair, fail } from '../values';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;

/** go-humanize's relative-time table: the first row whose bound is above the difference is used. */
const MAGNITUDES: Array<[bound: number, format: string, divBy: number]> = [
  [SECOND, 'now', SECOND], [2 * SECOND, '1 second %s', 1], [MINUTE, '%d seconds %s', SECOND],
  [2 * MINUTE, '1 minute %s', 1], [HOUR, '%d minutes %s', MINUTE], [2 * HOUR, '1 hour %s', 1],
  [DAY, '%d hours %s', HOUR], [2 * DAY, '1 day %s', 1], [WEEK, '%d days %s', DAY], [2 * WEEK, '1 week %s', 1],
  [MONTH, '%d weeks %s', WEEK], [2 * MONTH, '1 month %s', 1], [YEAR, '%d months %s', MONTH],
  [18 * MONTH, '1 year %s', 1], [2 * YEAR, '2 years %s', 1], [37 * YEAR, '%d years %s', YEAR],
  [Infinity, 'a long while %s', 1],
];

/** humanize.Time: `then` (Unix seconds) relative to now, "ago" or "from now". */
export function relativeTime(thenSec: number, nowMs: number): string {
  let diff = nowMs - thenSec * 1000;
  let label = 'ago';
  if (diff < 0) { label = 'from now'; diff = -diff; }
  const [, format, divBy] = MAGNITUDES.find(([bound]) => bound > diff)!;
  return format.replace('%d', String(Math.trunc(diff / divBy))).replace('%s', label);
}

/** Go's strconv.FormatFloat(x, 'f', prec): exact decimal value rounded half to even (JS's toFixed rounds ties up). */
export function goFixed(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(x);
  if (abs >= 1e21) return (x < 0 ? '-' : '') + BigInt(abs).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
  const [int, frac] = abs.toFixed(100).split('.');
  const kept = frac.slice(0, prec);
  const rest = frac.slice(prec);
  const last = Number((int + kept).slice(-1));
  const up = rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || last % 2 === 1));
  const digits = (BigInt(int + kept) + (up ? 1n : 0n)).toString().padStart(prec + 1, '0');
  const body = prec > 0 ? digits.slice(0, -prec) + '.' + digits.slice(-prec) : digits;
  return (x < 0 || Object.is(x, -0) ? '-' : '') + body;
}

/** humanize.Ftoa: six decimals, trailing zeros (and a bare point) removed. */
function ftoa(x: number): string {
  const s = goFixed(x, 6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const SI_PREFIX: Record<number, string> = {
  [-30]: 'q', [-27]: 'r', [-24]: 'y', [-21]: 'z', [-18]: 'a', [-15]: 'f', [-12]: 'p', [-9]: 'n', [-6]: 'µ', [-3]: 'm',
  0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E', 21: 'Z', 24: 'Y', 27: 'R', 30: 'Q',
};

/** humanize.SI: the value scaled to an SI prefix, then the unit. */
export function si(input: number, unit: string): string {
  if (input === 0) return '0 ' + unit;
  const mag = Math.abs(input);
  let exponent = Math.floor(Math.floor(Math.log(mag) / Math.log(10)) / 3) * 3;
  let value = mag / Math.pow(10, exponent);
  if (value === 1000) { exponent += 3; value = mag / Math.pow(10, exponent); }
  return ftoa(input < 0 ? -value : value) + ' ' + (SI_PREFIX[exponent] ?? '') + unit;
}

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** humanize.IBytes: powers of 1024, one decimal below 10. */
export function ibytes(n: number): string {
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(1024));
  const val = Math.floor((n / Math.pow(1024, e)) * 10 + 0.5) / 10;
  return (val < 10 ? goFixed(val, 1) : goFixed(val, 0)) + ' ' + IEC[e];
}

const KI = 1024;
const SIZES: Record<string, number> = {
  b: 1, '': 1, kib: KI, ki: KI, kb: 1e3, k: 1e3, mib: KI ** 2, mi: KI ** 2, mb: 1e6, m: 1e6,
  gib: KI ** 3, gi: KI ** 3, gb: 1e9, g: 1e9, tib: KI ** 4, ti: KI ** 4, tb: 1e12, t: 1e12,
  pib: KI ** 5, pi: KI ** 5, pb: 1e15, p: 1e15, eib: KI ** 6, ei: KI ** 6, eb: 1e18, e: 1e18,
};

/** humanize.ParseBytes: "42 MB", "1,5 GiB" is refused, "1,000 kB" drops the comma; Go's error texts. */
export function parseBytes(s: string): [number | undefined, string | undefined] {
  const numEnd = /^[0-9.,]*/.exec(s)![0].length;
  const num = s.slice(0, numEnd).replace(/,/g, '');
  if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) return [undefined, `strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`];
  let f = Number(num);
  if (!Number.isFinite(f)) return [undefined, `strconv.ParseFloat: parsing ${JSON.stringify(num)}: value out of range`];
  const extra = s.slice(numEnd).trim().toLowerCase();
  const m = SIZES[extra];
  if (m === undefined) return [undefined, `unhandled size name: ${extra}`];
  f *= m;
  if (f >= 18446744073709551615) return [undefined, `too large: ${s}`];
  return [Math.trunc(f), undefined];
}

export const gllHumanizeModule: LuaModule = {
  name: 'humanize',
  legacyLoaderName: 'nauthilus_gll_humanize',
  summary: 'Human-readable values: time (relative), ibytes, parse_bytes, si.',
  install() {
    return {
      functions: {
        time: (then: unknown) => {
          checkArg('time', 1, then, 'number');
          return relativeTime(Math.trunc(then as number), Date.now());
        },
        ibytes: (n: unknown) => {
          checkArg('ibytes', 1, n, 'number');
          const v = Math.trunc(n as number);
          if (v < 0) throw new Error("bad argument #1 to 'ibytes' (must be positive)");
          return ibytes(v);
        },
        parse_bytes: (s: unknown) => {
          checkArg('parse_bytes', 1, s, 'string', 'number');
          const [v, err] = parseBytes(String(s));
          return err === undefined ? pair(v, undefined) : fail(err);
        },
        si: (v: unknown, unit: unknown) => {
          // gopher-lua's CheckNumber also takes a numeric string
          const x = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
          checkArg('si', 1, x, 'number');
          checkArg('si', 2, unit, 'string', 'number');
          return si(x as number, String(unit));
        },
      },
    };
  },
};
