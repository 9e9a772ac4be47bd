// The fields of a structured log line (print_result's JSON object or its `key=value key=value` text), for the trace.

/** At most this many fields are kept of one line. */
const MAX_FIELDS = 50;
const KEY_AT = /(?:^| )([A-Za-z_][\w.-]*)=/g;

/**
 * `{"a":1,"b":"x"}` or `a=1 b=x y` -> `{ a: '1', b: 'x y' }` (values as text, nested JSON as compact JSON);
 * undefined for a line that is neither (free text stays a line).
 * @example logFields('result=ok user=alice') // { result: 'ok', user: 'alice' }
 */
export function logFields(line: string): Record<string, string> | undefined {
  const text = line.trim();
  if (text.startsWith('{')) return jsonFields(text);
  return keyValueFields(text);
}

function jsonFields(text: string): Record<string, string> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, MAX_FIELDS)) {
    out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

function keyValueFields(text: string): Record<string, string> | undefined {
  const keys = [...text.matchAll(KEY_AT)];
  if (keys.length === 0 || keys[0].index !== 0) return undefined;
  const out: Record<string, string> = {};
  keys.slice(0, MAX_FIELDS).forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const end = i + 1 < keys.length ? keys[i + 1].index ?? text.length : text.length;
    out[m[1]] = text.slice(start, end).trim();
  });
  return out;
}
