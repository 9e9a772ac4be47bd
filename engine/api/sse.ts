// Server-Sent Events framing for the studio's event stream (the HTTP transport's events; no extra package needed).

/** One event as it goes on the wire: `event: name` and one `data:` line of JSON. */
export function formatSse(event: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole payload
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps proxies and idle timers from closing a quiet stream. */
export const SSE_HEARTBEAT = ': ping\n\n';

export interface SseMessage {
  event: string;
  data: string;
}

/** Parse one block (the text between blank lines); comments and unknown fields are skipped. */
export function parseSseBlock(block: string): SseMessage | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : undefined;
}

/** Splits a growing text buffer into complete blocks; returns them and the incomplete rest. */
export function splitSseBuffer(buffer: string): { blocks: string[]; rest: string } {
  const normalised = buffer.replace(/\r\n/g, '\n');
  const parts = normalised.split('\n\n');
  const rest = parts.pop() ?? '';
  return { blocks: parts, rest };
}
