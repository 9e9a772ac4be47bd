// What the studio's trace (and the debugger's Host calls) shows of a host call's values: a Redis command's arguments
// and reply, an HTTP answer's body excerpt; bounded and with secrets masked.
import type { RedisClient } from '../../redis/store';

/** At most this many arguments, reply items and characters of one value are kept. */
const MAX_ITEMS = 20;
const MAX_TEXT = 200;
/** A key, field or argument named like this has its value masked (as traced URLs mask such query values). */
const SECRET = /pass|secret|token|credential|totp|api[_-]?key|private/i;
/** In an HTTP body also credentials headers echoed back (`"authorization": "Bearer ..."`, cookies). */
const BODY_SECRET = new RegExp(`${SECRET.source}|auth|cookie`, 'i');
/** Client calls that are no command (their arguments say nothing). */
const NOT_COMMANDS = new Set(['pipeline', 'multi', 'duplicate', 'defineCommand', 'on', 'once', 'off']);

/**
 * The client as `fn` sees it, with the first command it sends written to `detail.args` (arguments after the
 * command name, masked and cut). Everything else passes through.
 */
export function recordingClient(client: RedisClient, detail: Record<string, unknown>): RedisClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || NOT_COMMANDS.has(prop)) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: unknown[]) => {
        if (detail.args === undefined) detail.args = traceArgs(String(detail.cmd ?? prop), args);
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

/** The arguments as text: flattened, at most MAX_ITEMS, each cut, a secret's value (and AUTH's) masked. */
export function traceArgs(cmd: string, args: unknown[]): string[] {
  const flat: string[] = [];
  const push = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(push);
    else if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
      for (const [k, x] of Object.entries(v)) { push(k); push(x); }
    } else if (typeof v !== 'function') flat.push(cut(Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
  };
  args.forEach(push);
  if (/^auth$/i.test(cmd)) return flat.map(() => '***');
  const masked = flat.map((a, i) => (i > 0 && SECRET.test(flat[i - 1]) ? '***' : a));
  return masked.length > MAX_ITEMS ? [...masked.slice(0, MAX_ITEMS), `… ${masked.length - MAX_ITEMS} more`] : masked;
}

/**
 * A reply as the trace keeps it: strings cut, lists and hashes to MAX_ITEMS, values of secret fields masked, and a
 * text reply masked when the command named a secret-looking key or field (`HGET user password`).
 */
export function traceReply(reply: unknown, named: unknown[] = [], depth = 0): unknown {
  if (depth === 0 && (typeof reply === 'string' || Buffer.isBuffer(reply)) && named.some((n) => typeof n === 'string' && SECRET.test(n))) return '***';
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'string') return cut(reply);
  if (Buffer.isBuffer(reply)) return cut(reply.toString('utf8'));
  if (typeof reply === 'number' || typeof reply === 'boolean') return reply;
  if (depth > 2) return '…';
  if (Array.isArray(reply)) {
    const items = reply.slice(0, MAX_ITEMS).map((x) => traceReply(x, [], depth + 1));
    return reply.length > MAX_ITEMS ? [...items, `… ${reply.length - MAX_ITEMS} more`] : items;
  }
  if (typeof reply === 'object') {
    const entries = Object.entries(reply as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries.slice(0, MAX_ITEMS)) out[k] = SECRET.test(k) ? '***' : traceReply(v, [], depth + 1);
    if (entries.length > MAX_ITEMS) out['…'] = `${entries.length - MAX_ITEMS} more`;
    return out;
  }
  return cut(String(reply));
}

/**
 * A body as the trace keeps it: its start (MAX_TEXT characters), with the values of secret-looking JSON fields and
 * form/query parameters masked (`"access_token": "***"`, `password=***`).
 */
export function traceBody(text: string): string {
  const head = text.length > MAX_TEXT * 4 ? text.slice(0, MAX_TEXT * 4) : text;
  const masked = head
    .replace(/("([^"\\]*)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/g, (all, lead: string, name: string) => (BODY_SECRET.test(name) ? `${lead}"***"` : all))
    .replace(/(^|[&?\s])([^=&\s"]+)=([^&\s"]*)/g, (all, lead: string, name: string) => (BODY_SECRET.test(name) ? `${lead}${name}=***` : all));
  return cut(masked);
}

function cut(s: string): string {
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + '…' : s;
}
