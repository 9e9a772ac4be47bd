// One authentication request as the pipeline and the scripts see it (Nauthilus 1.x field names).
import crypto from 'node:crypto';
import net from 'node:net';
import { AuthStudioError } from '../errors/registry';
import type { HookHttpRequest } from '../lua/call-context';

/** The request fields a client may send (JSON names; headers and nginx map onto these). */
export const CLIENT_FIELDS = [
  'username', 'password', 'client_ip', 'client_port', 'client_hostname', 'client_id', 'user_agent',
  'local_ip', 'local_port', 'protocol', 'method', 'auth_login_attempt',
  'ssl', 'ssl_session_id', 'ssl_client_verify', 'ssl_client_dn', 'ssl_client_cn', 'ssl_issuer',
  'ssl_client_not_before', 'ssl_client_not_after', 'ssl_subject_dn', 'ssl_issuer_dn',
  'ssl_client_subject_dn', 'ssl_client_issuer_dn', 'ssl_protocol', 'ssl_cipher', 'ssl_serial', 'ssl_fingerprint',
  'oidc_cid',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/**
 * Every client field empty: requests start as a copy of it. A copy of one object keeps V8's fast properties (fields
 * assigned one by one into `{}` turned it into a dictionary, and every later copy and walk of the request with it).
 */
const EMPTY_FIELDS: Readonly<Record<ClientField, string>> = Object.freeze(Object.fromEntries(CLIENT_FIELDS.map((f) => [f, ''])) as Record<ClientField, string>);

export type RequestMode = 'auth' | 'no-auth' | 'list-accounts';

/** What the pipeline works on. Strings are as sent; absent fields are ''. */
export interface AuthRequest {
  session: string;
  mode: RequestMode;
  fields: Record<ClientField, string>;
  /** Which endpoint it came through, for response shaping. */
  endpoint: 'json' | 'header' | 'basic' | 'nginx' | 'simulate';
  /** The HTTP request it came as (nauthilus_http_request in every stage); absent: stages see an empty one. */
  http?: HookHttpRequest;
  /** The peer that connected (absent for simulated requests): its address and whether it is a trusted proxy. */
  peer?: { ip: string; trustedProxy: boolean };
}

const MAX_FIELD = 4096;

// random bytes drawn in blocks: one syscall per 341 session ids instead of one per request
let pool = Buffer.alloc(0);
let offset = 0;

/** A short random id, as Nauthilus' session ids (used in logs and X-Nauthilus-Session). */
export function newSessionId(): string {
  if (offset + 12 > pool.length) {
    pool = crypto.randomBytes(4092);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 12);
  offset += 12;
  return id;
}

/**
 * Validate and normalise raw client fields. Throws AS_ERR_BAD_REQUEST naming the field.
 * `service` is accepted as an alias of `protocol`.
 */
export function buildAuthRequest(raw: Record<string, unknown>, mode: RequestMode, endpoint: AuthRequest['endpoint']): AuthRequest {
  const fields: Record<ClientField, string> = { ...EMPTY_FIELDS };
  for (const [key, value] of Object.entries(raw)) {
    const name = key === 'service' ? 'protocol' : key;
    if (!Object.hasOwn(EMPTY_FIELDS, name)) continue; // unknown JSON fields are ignored, as Nauthilus does
    if (value === undefined || value === null) continue;
    let s: string;
    if (typeof value === 'string') s = value;
    else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
    else if (typeof value === 'boolean') s = value ? 'on' : '';
    else throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${key}" must be a string`, { path: key });
    if (s.length > MAX_FIELD) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${key}" is longer than ${MAX_FIELD} characters`, { path: key });
    if (name !== 'password' && /[\u0000-\u001f\u007f]/.test(s)) {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${key}" contains control characters`, { path: key });
    }
    if (name === 'password' && s.includes('\u0000')) {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'field "password" contains a NUL character', { path: key });
    }
    fields[name as ClientField] = s;
  }
  if (mode !== 'list-accounts' && fields.username === '') {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'field "username" is required', { path: 'username' });
  }
  if (fields.client_ip !== '') fields.client_ip = normaliseIp(fields.client_ip, 'client_ip');
  if (fields.local_ip !== '') fields.local_ip = normaliseIp(fields.local_ip, 'local_ip');
  for (const p of ['client_port', 'local_port'] as const) {
    if (fields[p] !== '' && !/^\d{1,5}$/.test(fields[p])) {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${p}" must be a port number`, { path: p });
    }
  }
  if (fields.auth_login_attempt !== '' && !/^\d{1,9}$/.test(fields.auth_login_attempt)) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'field "auth_login_attempt" must be a number', { path: 'auth_login_attempt' });
  }
  if (fields.protocol === '') fields.protocol = 'default';
  fields.protocol = fields.protocol.toLowerCase();
  return { session: newSessionId(), mode, fields, endpoint };
}

/**
 * Accept IPv4 and IPv6 (brackets and zone dropped); anything else is a 400. Every spelling of one address
 * becomes one string, so brute-force buckets, allow lists and scripts see the same address: IPv4 written as
 * IPv6 (mapped `::ffff:a.b.c.d` / `::ffff:c633:6407` in any case or length, translated `::ffff:0:…`,
 * deprecated compatible `::a.b.c.d`) becomes the IPv4 address; other IPv6 its lower-case compressed form.
 */
export function normaliseIp(ip: string, field: string): string {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone > 0) s = s.slice(0, zone);
  const family = net.isIP(s);
  if (family === 0) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${field}" is not an IP address: "${ip.slice(0, 64)}"`, { path: field });
  if (family === 4) return s;
  const w = expandIpv6(s);
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  const embedsV4 =
    (zeros(0, 5) && w[5] === 0xffff) || // mapped ::ffff:0:0/96
    (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) || // translated ::ffff:0:0:0/96
    (zeros(0, 6) && w[6] !== 0); // compatible ::/96 (not :: or ::1)
  if (embedsV4) return `${w[6] >>> 8}.${w[6] & 255}.${w[7] >>> 8}.${w[7] & 255}`;
  return compressIpv6(w);
}

/** The last answer of networkOf: one login asks for the same address and prefix several times (stages, buckets). */
let lastNetwork = { ip: '', cidr: -1, network: '' };

/** The network a client belongs to for `cidr` (e.g. 203.0.113.7 /24 -> "203.0.113.0/24"). */
export function networkOf(ip: string, cidr: number): string {
  if (ip === lastNetwork.ip && cidr === lastNetwork.cidr) return lastNetwork.network;
  const network = computeNetworkOf(ip, cidr);
  lastNetwork = { ip, cidr, network };
  return network;
}

function computeNetworkOf(ip: string, cidr: number): string {
  const family = net.isIP(ip);
  if (family === 4) {
    const n = ipv4Number(ip);
    const bits = Math.max(0, Math.min(32, cidr));
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const m = (n & mask) >>> 0;
    return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${bits}`;
  }
  if (family === 6) {
    const words = expandIpv6(ip);
    const bits = Math.max(0, Math.min(128, cidr));
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(16, bits - i * 16));
      const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
      out.push(words[i] & mask);
    }
    return `${compressIpv6(out)}/${bits}`;
  }
  return ip;
}

/** An IPv4 address as an unsigned 32-bit number (NaN when it is not dotted-quad). */
export function ipv4Number(ip: string): number {
  const p = ip.split('.');
  if (p.length !== 4) return NaN;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

/** An IPv6 address as its eight 16-bit words (an embedded dotted IPv4 tail included). */
export function expandIpv6(ip: string): number[] {
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  return [...h, ...Array(fill).fill('0'), ...t].map((x) => parseInt(x, 16) || 0);
}

function compressIpv6(words: number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
