// Turn each auth endpoint's wire format (JSON body, headers, Basic credentials, nginx mail) into raw fields.
import type { FastifyRequest } from 'fastify';
import { AuthStudioError } from '../errors/registry';
import { fromWireHeader } from './header-bytes';

/** Header -> field names of /api/v1/auth/header (Nauthilus' names). */
const HEADER_FIELDS: Record<string, string> = {
  'auth-user': 'username', 'auth-pass': 'password', 'auth-protocol': 'protocol', 'auth-method': 'method',
  'auth-login-attempt': 'auth_login_attempt', 'client-ip': 'client_ip', 'x-client-port': 'client_port',
  'client-host': 'client_hostname', 'x-client-id': 'client_id', 'user-agent': 'user_agent',
  'x-local-ip': 'local_ip', 'x-auth-port': 'local_port', 'x-ssl': 'ssl', 'x-ssl-session-id': 'ssl_session_id',
  'x-ssl-client-verify': 'ssl_client_verify', 'x-ssl-client-dn': 'ssl_client_dn', 'x-ssl-client-cn': 'ssl_client_cn',
  'x-ssl-issuer': 'ssl_issuer', 'x-ssl-client-notbefore': 'ssl_client_not_before', 'x-ssl-client-notafter': 'ssl_client_not_after',
  'x-ssl-subject-dn': 'ssl_subject_dn', 'x-ssl-issuer-dn': 'ssl_issuer_dn', 'x-ssl-client-subject-dn': 'ssl_client_subject_dn',
  'x-ssl-client-issuer-dn': 'ssl_client_issuer_dn', 'x-ssl-protocol': 'ssl_protocol', 'x-ssl-cipher': 'ssl_cipher',
  'x-ssl-serial': 'ssl_serial', 'x-ssl-fingerprint': 'ssl_fingerprint', 'oidc-cid': 'oidc_cid',
};

/** nginx mail auth_http headers (https://nginx.org/en/docs/mail/ngx_mail_auth_http_module.html). */
const NGINX_FIELDS: Record<string, string> = {
  'auth-user': 'username', 'auth-pass': 'password', 'auth-protocol': 'protocol', 'auth-method': 'method',
  'auth-login-attempt': 'auth_login_attempt', 'client-ip': 'client_ip', 'client-host': 'client_hostname',
  'auth-ssl': 'ssl', 'auth-ssl-verify': 'ssl_client_verify', 'auth-ssl-subject': 'ssl_subject_dn',
  'auth-ssl-issuer': 'ssl_issuer_dn', 'auth-ssl-serial': 'ssl_serial', 'auth-ssl-fingerprint': 'ssl_fingerprint',
  'x-local-ip': 'local_ip', 'x-auth-port': 'local_port', 'user-agent': 'user_agent',
};

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const first = Array.isArray(v) ? v[0] : v;
  // nginx and Dovecot send UTF-8 bytes raw
  return first === undefined ? undefined : fromWireHeader(first);
}

function mapHeaders(req: FastifyRequest, table: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [h, field] of Object.entries(table)) {
    const v = header(req, h);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

export function parseJsonEndpoint(req: FastifyRequest): Record<string, unknown> {
  if (req.method === 'GET' && (req.body === undefined || req.body === null)) {
    return { ...(req.query as Record<string, unknown>) };
  }
  const body = req.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'the body must be a JSON object with the login fields');
  }
  return body as Record<string, unknown>;
}

export function parseHeaderEndpoint(req: FastifyRequest): Record<string, unknown> {
  return mapHeaders(req, HEADER_FIELDS);
}

export function parseBasicEndpoint(req: FastifyRequest): Record<string, unknown> {
  const auth = header(req, 'authorization');
  const m = auth ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
  if (!m) throw new AuthStudioError('AS_ERR_UNAUTHORIZED', 'HTTP Basic credentials are required', { path: 'Authorization' });
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'Basic credentials must be "user:password"', { path: 'Authorization' });
  const fields = mapHeaders(req, HEADER_FIELDS);
  delete fields.password;
  fields.username = decoded.slice(0, colon);
  fields.password = decoded.slice(colon + 1);
  const q = req.query as Record<string, unknown>;
  if (typeof q.protocol === 'string' && fields.protocol === undefined) fields.protocol = q.protocol;
  if (fields.client_ip === undefined) fields.client_ip = req.ip;
  return fields;
}

export function parseNginxEndpoint(req: FastifyRequest): Record<string, unknown> {
  const fields = mapHeaders(req, NGINX_FIELDS);
  // nginx URL-escapes the login and password it sends
  for (const k of ['username', 'password']) {
    if (typeof fields[k] !== 'string') continue;
    try {
      fields[k] = decodeURIComponent(fields[k] as string);
    } catch {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `header ${k === 'username' ? 'Auth-User' : 'Auth-Pass'} is not valid URL encoding`, { path: k });
    }
  }
  if (fields.ssl === 'on') fields.ssl = 'on';
  return fields;
}
