// Numbers as text the way Nauthilus' Go side writes them: gopher-lua's LNumber.String and go-redis' float64 arguments.

/** Go's %v (strconv 'g', shortest) for a float64 that gopher-lua does not treat as an integer. */
export function goShortestG(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  const [mant, e] = n.toExponential().split('e');
  const exp = Number(e);
  // Go switches to the exponent form below 1e-4 and from 1e6 on (precision 6 for the shortest form)
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/**
 * gopher-lua's LNumber.String (what CheckString, tostring and `..` give in Nauthilus): integral values
 * that fit an int64 print without a fraction (`3`, not `3.0`); others use Go's %v (`1.5`, `1e-05`, `1.2345675e+06`).
 */
export function luaNumberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  return goShortestG(n);
}

/**
 * go-redis' encoding of a float64 argument (strconv.FormatFloat(f, 'f', -1, 64)): never an exponent,
 * `3` for 3.0, `0.0000001` for 1e-7; infinities as `+Inf`/`-Inf`.
 */
export function goRedisFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isInteger(n)) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  const s = String(n);
  if (!s.includes('e')) return s;
  // only tiny magnitudes are left here (large values are integers): 1.5e-7 -> 0.00000015
  const [mant, e] = n.toExponential().split('e');
  const digits = mant.replace('-', '').replace('.', '');
  return `${n < 0 ? '-' : ''}0.${'0'.repeat(-Number(e) - 1)}${digits}`;
}
