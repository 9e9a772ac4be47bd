// Go encoding/json stream helpers for the `json` module: the next value of a stream, Indent, HTML escaping.

export type NextJson = ['ok', unknown, number] | ['more'] | ['eof'] | ['err', string];

const SPACE = new Set([' ', '\t', '\r', '\n']);

/** Index just after the value starting at `start`, or -1 when the buffer ends inside it. */
function valueEnd(buf: string, start: number, eof: boolean): number {
  const c = buf[start];
  if (c === '{' || c === '[') {
    let depth = 0;
    let inString = false;
    for (let i = start; i < buf.length; i++) {
      const ch = buf[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
    }
    return -1;
  }
  if (c === '"') {
    for (let i = start + 1; i < buf.length; i++) {
      if (buf[i] === '\\') i++;
      else if (buf[i] === '"') return i + 1;
    }
    return -1;
  }
  let i = start;
  while (i < buf.length && /[-+.0-9a-zA-Z]/.test(buf[i])) i++;
  // a number or literal at the end of the buffer may go on in the next chunk, as Go's decoder waits for
  return i < buf.length || eof ? i : -1;
}

/**
 * The next JSON value of a stream buffer, as Go's json.Decoder reads values one after another: 'more' when
 * the buffer ends inside it (read on), 'eof' when only white space is left at the end of the stream.
 * The number is the count of UTF-8 bytes consumed (Go's input offset counts bytes).
 */
export function nextJsonValue(buf: string, eof: boolean): NextJson {
  let start = 0;
  while (start < buf.length && SPACE.has(buf[start])) start++;
  if (start >= buf.length) return eof ? ['eof'] : ['more'];
  const end = valueEnd(buf, start, eof);
  if (end === start) return ['err', `invalid character '${buf[start]}' looking for beginning of value`];
  if (end < 0) return eof ? ['err', 'unexpected EOF'] : ['more'];
  try {
    return ['ok', JSON.parse(buf.slice(start, end)), Buffer.byteLength(buf.slice(0, end))];
  } catch (e) {
    return ['err', (e as Error).message];
  }
}

/** Go's json.Marshal escapes <, > and & (and U+2028/U+2029) inside strings, always. */
export function escapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's json.Indent of compact JSON: one element per line, prefix on each new line, "key": value, empty [] and {} kept. */
export function indentJson(json: string, prefix: string, indent: string): string {
  let out = '';
  let depth = 0;
  const newline = (): string => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j;
    } else if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      if (json[i + 1] === close) { out += ch + close; i++; continue; }
      depth++;
      out += ch + newline();
    } else if (ch === '}' || ch === ']') {
      depth--;
      out += newline() + ch;
    } else if (ch === ',') out += ',' + newline();
    else if (ch === ':') out += ': ';
    else out += ch;
  }
  return out;
}
