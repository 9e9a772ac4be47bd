// Raw HTTP/1.1 over node:net for the access attack tests: the request line and headers go out byte for byte.
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, as latin1 text. */
  text: string;
}

/** Parse the first response in `text` (status line, headers, body up to the end). */
export function parseAnswer(text: string): RawAnswer {
  const cut = text.indexOf('\r\n\r\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, text };
}

/**
 * Send one request (Connection: close is added) and read until the server closes the connection.
 * `from` picks the local address (127.0.0.2 is a loopback address outside the default trusted_proxies).
 */
export function rawRequest(port: number, requestLine: string, headers: Record<string, string> = {}, body = '', from?: string): Promise<RawAnswer> {
  const lines = [requestLine, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  if (body !== '' || /^(POST|PUT|PATCH|DELETE) /.test(requestLine)) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress: from });
    const chunks: Buffer[] = [];
    sock.setTimeout(5000, () => sock.destroy(new Error(`no answer within 5 s to ${requestLine}`)));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' && chunks.length ? undefined : reject(e)));
    sock.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'))));
    sock.end(bytes);
  });
}

export const basicHeader = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
