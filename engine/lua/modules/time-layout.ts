// Go reference-time layouts ("2006-01-02T15:04:05Z07:00"): format and parse as Go's time package does.
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ZONES = ['Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07', '-07:00:00', '-070000', '-07:00', '-0700', '-07'];

/** A layout element: literal text, a Go std token ("Jan", "15", "-07:00", ...) or fractional seconds. */
type Frac = { frac: '0' | '9'; digits: number; sep: string };
type Chunk = { lit: string } | { std: string } | Frac;

const isDigit = (s: string, i: number) => i < s.length && s[i] >= '0' && s[i] <= '9';

/** Go's nextStdChunk: the token at layout[i], if one starts there. */
function stdAt(l: string, i: number): string | Frac | undefined {
  const r = l.slice(i);
  const lower = (k: number) => k < r.length && r[k] >= 'a' && r[k] <= 'z';
  switch (r[0]) {
    case 'J': if (r.startsWith('January')) return 'January'; if (r.startsWith('Jan') && !lower(3)) return 'Jan'; break;
    case 'M':
      if (r.startsWith('Monday')) return 'Monday';
      if (r.startsWith('Mon') && !lower(3)) return 'Mon';
      if (r.startsWith('MST')) return 'MST';
      break;
    case '0': if (r[1] >= '1' && r[1] <= '6') return r.slice(0, 2); if (r.startsWith('002')) return '002'; break;
    case '1': return r[1] === '5' ? '15' : '1';
    case '2': return r.startsWith('2006') ? '2006' : '2';
    case '_':
      if (r[1] === '2') return r.startsWith('_2006') ? undefined : '_2';
      if (r.startsWith('__2')) return '__2';
      break;
    case '3': case '4': case '5': return r[0];
    case 'P': if (r[1] === 'M') return 'PM'; break;
    case 'p': if (r[1] === 'm') return 'pm'; break;
    case '-': case 'Z': return ZONES.find((z) => r.startsWith(z));
    case '.': case ',':
      if (r[1] === '0' || r[1] === '9') {
        let j = 1;
        while (r[j] === r[1]) j++;
        if (!isDigit(r, j)) return { frac: r[1] as '0' | '9', digits: j - 1, sep: r[0] };
      }
  }
  return undefined;
}

const layoutCache = new Map<string, Chunk[]>();

function chunks(layout: string): Chunk[] {
  const hit = layoutCache.get(layout);
  if (hit) return hit;
  const out: Chunk[] = [];
  let lit = '';
  for (let i = 0; i < layout.length;) {
    const s = stdAt(layout, i);
    if (s === undefined) { lit += layout[i++]; continue; }
    if (lit) out.push({ lit });
    lit = '';
    if (typeof s === 'string') { out.push({ std: s }); i += s.length; } else { out.push(s); i += s.digits + 1; }
  }
  if (lit) out.push({ lit });
  if (layoutCache.size < 256) layoutCache.set(layout, out);
  return out;
}

/** undefined: the process time zone; 'UTC'; or an IANA name. Throws for unknown names (Go's LoadLocation). */
export function loadLocation(name: string | undefined): string | undefined {
  if (name === undefined || name === 'Local') return undefined;
  if (name === '' || name === 'UTC') return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name;
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string | undefined, zoneName?: string): Intl.DateTimeFormat {
  const key = `${tz}|${zoneName}`;
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(zoneName ? zoneName : 'en-US', zoneName
      ? { timeZone: tz, timeZoneName: 'short' }
      : { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    fmtCache.set(key, f);
  }
  return f;
}

/** Offset of `tz` from UTC at instant `ms`, in seconds. */
function zoneOffset(ms: number, tz: string | undefined): number {
  if (tz === 'UTC') return 0;
  const p: Record<string, string> = {};
  for (const x of formatter(tz).formatToParts(ms)) p[x.type] = x.value;
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
  const d = new Date(0);
  d.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  d.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((d.getTime() - Math.floor(ms / 1000) * 1000) / 1000);
}

function zoneAbbr(ms: number, tz: string | undefined, offset: number): string {
  if (tz === 'UTC') return 'UTC';
  for (const loc of ['en-US', 'en-GB']) {
    const name = formatter(tz, loc).formatToParts(ms).find((x) => x.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{3,5}$/.test(name)) return name;
  }
  // tzdata names zones without an abbreviation by their offset: "+03", "+0530"
  const a = Math.abs(offset);
  const mm = Math.floor(a / 60) % 60;
  return (offset < 0 ? '-' : '+') + pad(Math.floor(a / 3600), 2) + (mm ? pad(mm, 2) : '');
}

const pad = (n: number, w: number, c = '0') => String(n).padStart(w, c);

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Wall-clock fields of an instant in a zone (shifting by the offset and reading the UTC fields). */
function civil(sec: number, offset: number) {
  const d = new Date((sec + offset) * 1000);
  const year = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const yday = DAYS_BEFORE[m] + d.getUTCDate() + (m > 1 && isLeap(year) ? 1 : 0);
  return { year, month: m + 1, day: d.getUTCDate(), wd: d.getUTCDay(), yday, hour: d.getUTCHours(), min: d.getUTCMinutes(), sec: d.getUTCSeconds() };
}

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

function formatZone(std: string, offset: number): string {
  if (std[0] === 'Z' && offset === 0) return 'Z';
  const a = Math.abs(offset);
  const colon = std.includes(':') ? ':' : '';
  let out = (offset < 0 ? '-' : '+') + pad(Math.floor(a / 3600), 2);
  if (std.length > 3) out += colon + pad(Math.floor(a / 60) % 60, 2);
  if (std.length >= 7) out += colon + pad(a % 60, 2);
  return out;
}

/** Format unix seconds (fractions allowed) with a Go layout in a zone, as Go's Time.Format does. */
export function goFormat(unix: number, layout: string, tz: string | undefined): string {
  let sec = Math.trunc(unix);
  let nsec = Math.trunc((unix - sec) * 1e9);
  if (nsec < 0) { sec--; nsec += 1e9; }
  const offset = zoneOffset(sec * 1000, tz);
  const t = civil(sec, offset);
  let out = '';
  for (const c of chunks(layout)) {
    if ('lit' in c) { out += c.lit; continue; }
    if ('frac' in c) {
      const digits = pad(nsec, 9).slice(0, c.digits);
      if (c.frac === '0') out += c.sep + digits;
      else if (/[1-9]/.test(digits)) out += c.sep + digits.replace(/0+$/, '');
      continue;
    }
    const h12 = t.hour % 12 || 12;
    const v: Record<string, () => string> = {
      January: () => MONTHS[t.month - 1], Jan: () => MONTHS[t.month - 1].slice(0, 3), 1: () => String(t.month), '01': () => pad(t.month, 2),
      Monday: () => DAYS[t.wd], Mon: () => DAYS[t.wd].slice(0, 3), 2: () => String(t.day), _2: () => pad(t.day, 2, ' '), '02': () => pad(t.day, 2),
      __2: () => pad(t.yday, 3, ' '), '002': () => pad(t.yday, 3), 15: () => pad(t.hour, 2), 3: () => String(h12), '03': () => pad(h12, 2),
      4: () => String(t.min), '04': () => pad(t.min, 2), 5: () => String(t.sec), '05': () => pad(t.sec, 2),
      2006: () => (t.year < 0 ? '-' + pad(-t.year, 4) : pad(t.year, 4)), '06': () => pad(((t.year % 100) + 100) % 100, 2),
      PM: () => (t.hour >= 12 ? 'PM' : 'AM'), pm: () => (t.hour >= 12 ? 'pm' : 'am'), MST: () => zoneAbbr(sec * 1000, tz, offset),
    };
    out += v[c.std] ? v[c.std]() : formatZone(c.std, offset);
  }
  return out;
}

const q = (s: string) => JSON.stringify(s);

/** Go's parseTimeZone: how many bytes of `v` look like a zone abbreviation (0 if none). */
function zoneNameLength(v: string): number {
  if (v.length < 3) return 0;
  if (v.startsWith('ChST') || v.startsWith('MeST')) return 4;
  if (v.startsWith('GMT')) {
    const m = /^GMT([+-]\d{1,2})?/.exec(v);
    return m && m[1] && Math.abs(Number(m[1])) <= 23 ? m[0].length : 3;
  }
  if (v[0] === '+' || v[0] === '-') {
    const m = /^[+-]\d{1,2}/.exec(v);
    return m && Math.abs(Number(m[0])) <= 23 ? m[0].length : 0;
  }
  const upper = /^[A-Z]{0,6}/.exec(v)![0].length;
  if (upper === 3) return 3;
  if (upper === 4 && (v[3] === 'T' || v.startsWith('WITA'))) return 4;
  if (upper === 5 && v[4] === 'T') return 5;
  return 0;
}

/** Go's skip: match a literal, runs of spaces in the layout matching runs of spaces in the value. */
function skipLiteral(value: string, prefix: string): string | undefined {
  let v = value;
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === ' ') {
      if (v.length > 0 && v[0] !== ' ') return undefined;
      p = p.replace(/^ +/, '');
      v = v.replace(/^ +/, '');
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) return undefined;
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

function wallToUnix(f: { year: number; month: number; day: number; hour: number; min: number; sec: number }, tz: string | undefined): number {
  const d = new Date(0);
  d.setUTCFullYear(f.year, f.month - 1, f.day);
  d.setUTCHours(f.hour, f.min, f.sec);
  const wall = d.getTime() / 1000;
  if (tz === 'UTC') return wall;
  // the offset at the wall time read as UTC, then corrected once (right except inside DST gaps)
  let guess = wall - zoneOffset(wall * 1000, tz);
  guess = wall - zoneOffset(guess * 1000, tz);
  return guess;
}

/**
 * Parse `value` with a Go layout as Go's time.Parse (UTC default) or ParseInLocation (tz) does.
 * Returns unix seconds (with fractions) or Go's error message.
 */
export function goParse(layout: string, value: string, tz: string | undefined): number | string {
  const cs = chunks(layout);
  let v = value;
  const f = { year: 0, month: -1, day: -1, yday: -1, hour: 0, min: 0, sec: 0 };
  let nsec = 0;
  let pm = false;
  let am = false;
  let utc = false;
  let offset: number | undefined;
  const bad = (elem: string, layoutElem: string) =>
    `parsing time ${q(value)} as ${q(layout)}: cannot parse ${q(elem)} as ${q(layoutElem)}`;
  const range = (what: string) => `parsing time ${q(value)}: ${what} out of range`;
  const num = (fixed: boolean, max = 2): number | undefined => {
    const m = new RegExp(`^\\d{${fixed ? max : 1},${max}}`).exec(v);
    if (!m) return undefined;
    v = v.slice(m[0].length);
    return Number(m[0]);
  };
  const frac = (n: number) => {
    const digits = v.slice(1, n).slice(0, 9);
    v = v.slice(n);
    return Number(digits.padEnd(9, '0'));
  };
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if ('lit' in c) {
      const rest = skipLiteral(v, c.lit);
      if (rest === undefined) return bad(v, c.lit);
      v = rest;
      continue;
    }
    const hold = v;
    let ok = true;
    if ('frac' in c) {
      if (c.frac === '0') {
        if (v.length < c.digits + 1 || !/^[.,]\d+$/.test(v.slice(0, c.digits + 1))) ok = false;
        else nsec = frac(c.digits + 1);
      } else if (/^[.,]\d/.test(v)) {
        nsec = frac(1 + /^[.,](\d+)/.exec(v)![1].length);
      }
      if (!ok) return bad(hold, c.sep + c.frac.repeat(c.digits));
      continue;
    }
    const std = c.std;
    let n: number | undefined;
    switch (std) {
      case '06': n = num(true); if (n === undefined) ok = false; else f.year = n >= 69 ? 1900 + n : 2000 + n; break;
      case '2006': n = num(true, 4); if (n === undefined) ok = false; else f.year = n; break;
      case 'Jan': case 'January': {
        const names = std === 'Jan' ? MONTHS.map((m) => m.slice(0, 3)) : MONTHS;
        const idx = names.findIndex((m) => v.slice(0, m.length).toLowerCase() === m.toLowerCase());
        if (idx < 0) ok = false; else { f.month = idx + 1; v = v.slice(names[idx].length); }
        break;
      }
      case 'Mon': case 'Monday': {
        const names = std === 'Mon' ? DAYS.map((d) => d.slice(0, 3)) : DAYS;
        const idx = names.findIndex((d) => v.slice(0, d.length).toLowerCase() === d.toLowerCase());
        if (idx < 0) ok = false; else v = v.slice(names[idx].length);
        break;
      }
      case '1': case '01': n = num(std === '01'); if (n === undefined) ok = false; else if (n < 1 || n > 12) return range('month'); else f.month = n; break;
      case '2': case '_2': case '02':
        if (std === '_2' && v[0] === ' ') v = v.slice(1);
        n = num(std === '02'); if (n === undefined) ok = false; else f.day = n;
        break;
      case '__2': case '002':
        if (std === '__2') v = v.replace(/^ {1,2}/, '');
        n = num(std === '002', 3); if (n === undefined) ok = false; else f.yday = n;
        break;
      case '15': n = num(false); if (n === undefined) ok = false; else if (n > 23) return range('hour'); else f.hour = n; break;
      case '3': case '03': n = num(std === '03'); if (n === undefined) ok = false; else if (n > 12) return range('hour'); else f.hour = n; break;
      case '4': case '04': n = num(std === '04'); if (n === undefined) ok = false; else if (n > 59) return range('minute'); else f.min = n; break;
      case '5': case '05':
        n = num(std === '05'); if (n === undefined) { ok = false; break; }
        if (n > 59) return range('second');
        f.sec = n;
        // fractional seconds in the value but not in the layout are accepted, as in Go
        if (/^[.,]\d/.test(v) && !(cs[i + 1] && 'frac' in cs[i + 1])) nsec = frac(1 + /^[.,](\d+)/.exec(v)![1].length);
        break;
      case 'PM': case 'pm': {
        const p = v.slice(0, 2);
        if (p === (std === 'PM' ? 'PM' : 'pm')) pm = true;
        else if (p === (std === 'PM' ? 'AM' : 'am')) am = true;
        else ok = false;
        if (ok) v = v.slice(2);
        break;
      }
      case 'MST': {
        if (v.startsWith('UTC')) { utc = true; v = v.slice(3); break; }
        const len = zoneNameLength(v);
        if (!len) { ok = false; break; }
        const name = v.slice(0, len);
        v = v.slice(len);
        const gmt = /^GMT([+-]\d+)$/.exec(name);
        offset = gmt ? Number(gmt[1]) * 3600 : 0; // Go fabricates a zone with offset 0 for unknown names
        break;
      }
      default: {
        if (std[0] === 'Z' && v[0] === 'Z') { v = v.slice(1); utc = true; break; }
        const colon = std.includes(':');
        const re = std.length === 3 ? /^([+-])(\d\d)/ : std.length >= 7
          ? (colon ? /^([+-])(\d\d):(\d\d):(\d\d)/ : /^([+-])(\d\d)(\d\d)(\d\d)/)
          : (colon ? /^([+-])(\d\d):(\d\d)/ : /^([+-])(\d\d)(\d\d)/);
        const m = re.exec(v);
        if (!m) { ok = false; break; }
        v = v.slice(m[0].length);
        offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
      }
    }
    if (!ok) return bad(hold, std);
  }
  if (v.length > 0) return `parsing time ${q(value)}: extra text: ${q(v)}`;
  if (pm && f.hour < 12) f.hour += 12;
  else if (am && f.hour === 12) f.hour = 0;
  if (f.yday >= 0) {
    const leap = isLeap(f.year);
    if (f.yday < 1 || f.yday > (leap ? 366 : 365)) return `parsing time ${q(value)}: day-of-year out of range`;
    let m = 12;
    while (m > 1 && DAYS_BEFORE[m - 1] + (m > 2 && leap ? 1 : 0) >= f.yday) m--;
    const d = f.yday - DAYS_BEFORE[m - 1] - (m > 2 && leap ? 1 : 0);
    if ((f.month >= 0 && f.month !== m) || (f.day >= 0 && f.day !== d)) return `parsing time ${q(value)}: day-of-year does not match ${f.month !== m ? 'month' : 'day'}`;
    f.month = m;
    f.day = d;
  }
  if (f.month < 0) f.month = 1;
  if (f.day < 0) f.day = 1;
  const dim = [31, isLeap(f.year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][f.month - 1];
  if (f.day < 1 || f.day > dim) return `parsing time ${q(value)}: day out of range`;
  const base = utc || offset !== undefined ? wallToUnix(f, 'UTC') - (offset ?? 0) : wallToUnix(f, tz);
  return base + nsec / 1e9;
}
