// "Copy as curl": the exact request the engine was sent (method, URL, headers, body) as a shell command.

/** `s` quoted for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Headers curl sets itself (or that describe this one connection): left out. */
const SKIP = new Set(['host', 'content-length', 'connection', 'user-agent']);

/**
 * A curl command for the request.
 * @example curlCommand('http://127.0.0.1:9080', { method: 'POST', url: '/api/v1/auth/json', headers: { 'content-type': 'application/json' }, body: '{"username":"alice"}' })
 */
export function curlCommand(base: string, r: { method: string; url: string; headers: Record<string, string>; body?: string }): string {
  const parts = ['curl', '-sS', '-i'];
  if (r.method === 'HEAD') parts.push('-I');
  else if (r.method !== 'GET' || r.body) parts.push('-X', r.method);
  parts.push(shellQuote(base.replace(/\/+$/, '') + r.url));
  for (const [k, v] of Object.entries(r.headers)) if (!SKIP.has(k.toLowerCase())) parts.push('-H', shellQuote(`${k}: ${v}`));
  if (r.body) parts.push('--data-raw', shellQuote(r.body));
  return parts.join(' ');
}
