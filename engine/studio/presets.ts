// Simulator presets: what real clients send to the auth endpoints (Dovecot's Nauthilus Lua integration, nginx mail
// auth_http, Postfix via Dovecot SASL, a plain custom request), turned into wire requests.
import crypto from 'node:crypto';
import type { PresetId, PresetInfo, SimFields, SimulateInput, WireRequest } from '../api/contract';
import { AuthStudioError } from '../errors/registry';

const BASE: SimFields = {
  username: '', password: '', protocol: 'imap', client_ip: '198.51.100.7', client_port: '52814',
  client_hostname: 'client.example.net', client_id: '', local_ip: '192.0.2.10', local_port: '993',
  method: 'plain', ssl: '1', ssl_protocol: 'TLSv1.3', user_agent: '',
};

type Wire = 'dovecot' | 'nginx' | 'custom';
interface Preset { info: PresetInfo; wire: Wire }

function preset(id: PresetId, wire: Wire, label: string, client: string, description: string, over: Partial<SimFields>, mode: 'auth' | 'no-auth' = 'auth'): Preset {
  const nginx = wire === 'nginx';
  return {
    wire,
    info: {
      id, label, client, description, mode,
      http_method: nginx ? 'GET' : 'POST',
      endpoint: nginx ? '/api/v1/auth/nginx' : '/api/v1/auth/json',
      defaults: { ...BASE, ...over },
    },
  };
}

const DOVECOT = 'Dovecot 2.3+ with the Nauthilus Lua passdb/userdb (dovecot.http.client, JSON POST)';
const PRESETS: Preset[] = [
  preset('dovecot-imap', 'dovecot', 'Dovecot IMAP login', DOVECOT, 'IMAPS login on port 993, as the Nauthilus Dovecot integration posts it.', { protocol: 'imap', local_port: '993' }),
  preset('dovecot-pop3', 'dovecot', 'Dovecot POP3 login', DOVECOT, 'POP3S login on port 995.', { protocol: 'pop3', local_port: '995' }),
  preset('dovecot-sieve', 'dovecot', 'Dovecot ManageSieve login', DOVECOT, 'ManageSieve login (STARTTLS) on port 4190.', { protocol: 'sieve', local_port: '4190' }),
  preset('dovecot-lmtp', 'dovecot', 'Dovecot LMTP delivery (userdb lookup)', DOVECOT, 'LMTP delivery from the local MTA: a userdb lookup with ?mode=no-auth and no password.', {
    protocol: 'lmtp', local_port: '24', client_ip: '127.0.0.1', client_port: '41022', local_ip: '127.0.0.1', method: '', ssl: '', ssl_protocol: '',
  }, 'no-auth'),
  preset('dovecot-submission', 'dovecot', 'Dovecot submission login', DOVECOT, 'Dovecot submission service login on port 587 (STARTTLS).', { protocol: 'submission', local_port: '587' }),
  preset('nginx-imap', 'nginx', 'nginx mail proxy: IMAP', 'nginx mail module, auth_http (headers, URL-escaped login)', 'nginx asks before proxying an IMAP login; success names the upstream in Auth-Server/Auth-Port.', { protocol: 'imap', local_port: '993' }),
  preset('nginx-pop3', 'nginx', 'nginx mail proxy: POP3', 'nginx mail module, auth_http', 'nginx asks before proxying a POP3 login.', { protocol: 'pop3', local_port: '995' }),
  preset('nginx-smtp', 'nginx', 'nginx mail proxy: SMTP AUTH', 'nginx mail module, auth_http', 'nginx asks for an SMTP AUTH on submission; failures carry Auth-Error-Code.', { protocol: 'smtp', local_port: '587', method: 'login' }),
  preset('postfix-submission', 'dovecot', 'Postfix SMTP AUTH (Dovecot SASL)', 'Postfix smtpd with smtpd_sasl_type = dovecot, Dovecot asking over HTTP', 'Postfix hands SMTP AUTH on port 587 to Dovecot SASL; Dovecot posts service "smtp".', { protocol: 'smtp', local_port: '587', method: 'login' }),
  preset('custom', 'custom', 'Custom request', 'any HTTP client', 'A plain request to /api/v1/auth/json with the fields you set, or exactly the request you give.', { ssl: '', ssl_protocol: '' }),
];

/** Every preset, for the simulator's picker. */
export function listPresets(): PresetInfo[] {
  return PRESETS.map((p) => JSON.parse(JSON.stringify(p.info)) as PresetInfo);
}

function findPreset(id: unknown): Preset {
  const p = PRESETS.find((x) => x.info.id === id);
  if (!p) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `unknown preset "${String(id).slice(0, 40)}" (known: ${PRESETS.map((x) => x.info.id).join(', ')})`, { path: 'preset' });
  return p;
}

/** The preset's fields with the input's overrides; every value a string. */
function fieldsOf(p: Preset, input: SimulateInput): SimFields {
  const f: SimFields = { ...p.info.defaults };
  const over: Record<string, unknown> = { ...(input.fields ?? {}) };
  if (input.username !== undefined) over.username = input.username;
  if (input.password !== undefined) over.password = input.password;
  for (const [k, v] of Object.entries(over)) {
    if (!(k in f)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `unknown field "${k.slice(0, 40)}" (known: ${Object.keys(f).join(', ')})`, { path: `fields.${k}` });
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number') throw new AuthStudioError('AS_ERR_BAD_REQUEST', `field "${k}" must be a string`, { path: `fields.${k}` });
    (f as unknown as Record<string, string>)[k] = String(v);
  }
  return f;
}

function headerValue(name: string, v: string): string {
  if (/[\r\n\u0000]/.test(v)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `header ${name} cannot carry line breaks`, { path: name });
  return v;
}

/** The exact HTTP request the preset's client would send. */
export function buildWireRequest(input: SimulateInput): WireRequest {
  const p = findPreset(input.preset);
  if (p.wire === 'custom' && input.request) return customRequest(input.request);
  const f = fieldsOf(p, input);
  const mode = input.mode ?? p.info.mode;
  if (mode !== 'auth' && mode !== 'no-auth' && mode !== 'list-accounts') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'mode must be auth, no-auth or list-accounts', { path: 'mode' });
  const query = mode === 'auth' ? '' : `?mode=${mode}`;
  if (p.wire === 'nginx') {
    const h: Record<string, string> = {
      'Auth-Method': f.method || 'plain', 'Auth-User': encodeURIComponent(f.username), 'Auth-Pass': encodeURIComponent(f.password),
      'Auth-Protocol': f.protocol, 'Auth-Login-Attempt': '1', 'Client-IP': f.client_ip, 'Client-Host': f.client_hostname || '[UNAVAILABLE]',
      // nginx sends no local address itself: sites add these with auth_http_header
      'X-Local-IP': f.local_ip, 'X-Auth-Port': f.local_port,
    };
    if (f.ssl) h['Auth-SSL'] = 'on';
    if (f.protocol === 'smtp') h['Auth-SMTP-Helo'] = f.client_hostname || 'client.example.net';
    for (const [k, v] of Object.entries(h)) headerValue(k, v);
    return { method: 'GET', url: `/api/v1/auth/nginx${query}`, headers: h };
  }
  const body: Record<string, string> = { username: f.username };
  if (mode === 'auth') body.password = f.password;
  const copy = p.wire === 'dovecot' ? ['client_ip', 'client_port', 'client_id', 'local_ip', 'local_port'] : ['client_ip', 'client_port', 'client_hostname', 'client_id', 'local_ip', 'local_port', 'user_agent'];
  for (const k of copy) if ((f as unknown as Record<string, string>)[k] !== '') body[k] = (f as unknown as Record<string, string>)[k];
  // the Dovecot integration sends Dovecot's service name as "service" (Nauthilus' alias of protocol)
  body[p.wire === 'dovecot' ? 'service' : 'protocol'] = f.protocol;
  if (f.method) body.method = f.method;
  if (f.ssl) {
    body.ssl = f.ssl;
    if (f.ssl_protocol) body.ssl_protocol = f.ssl_protocol;
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (p.wire === 'dovecot') {
    headers['User-Agent'] = 'Dovecot/2.3';
    headers['X-Dovecot-Session'] = crypto.randomBytes(9).toString('base64url');
  }
  if (mode === 'list-accounts') return { method: 'GET', url: `/api/v1/auth/json${query}`, headers: { Accept: 'application/json' } };
  return { method: 'POST', url: `/api/v1/auth/json${query}`, headers, body: JSON.stringify(body) };
}

function customRequest(r: NonNullable<SimulateInput['request']>): WireRequest {
  if (typeof r.url !== 'string' || !r.url.startsWith('/api/v1/auth/')) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'a custom request goes to an auth endpoint: its url must start with /api/v1/auth/', { path: 'request.url' });
  }
  const method = r.method ?? (r.body === undefined ? 'GET' : 'POST');
  if (method !== 'GET' && method !== 'POST') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'request.method must be GET or POST', { path: 'request.method' });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    if (typeof v !== 'string') throw new AuthStudioError('AS_ERR_BAD_REQUEST', `header ${k} must be a string`, { path: `request.headers.${k}` });
    headers[k] = headerValue(k, v);
  }
  let body: string | undefined;
  if (typeof r.body === 'string') body = r.body;
  else if (r.body !== undefined && r.body !== null) {
    body = JSON.stringify(r.body);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  return { method, url: r.url, headers, ...(body === undefined ? {} : { body }) };
}
