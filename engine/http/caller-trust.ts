// Whose word the auth endpoints take: modes and client facts only from trusted callers.
//
//   trusted = the request proved API credentials (server.basic_auth / jwt_auth)
//          or the socket peer (never a header) is in server.trusted_proxies (default 127.0.0.1, ::1, as Nauthilus 3.0)
//   untrusted caller: mode=no-auth / list-accounts -> 403 AS_ERR_UNTRUSTED_CALLER;
//                     client facts (Client-IP, X-SSL*, local address, ...) ignored; the client is the peer itself.
import type { FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import type { ServerConfig } from '../config/types';
import { AuthStudioError } from '../errors/registry';
import { IpList } from '../protection/ip-list';
import type { RequestMode } from '../pipeline/auth-request';

/** The fields an untrusted caller may set: the login itself and what it asks for. */
const UNTRUSTED_FIELDS = new Set(['username', 'password', 'protocol', 'service', 'method', 'user_agent']);

const lists = new WeakMap<ServerConfig, IpList>();

/** The socket peer's address, IPv4-mapped IPv6 unmapped and any zone removed. */
export function peerAddress(req: FastifyRequest): string {
  let a = req.socket?.remoteAddress ?? '';
  const zone = a.indexOf('%');
  if (zone > 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1] : a;
}

/** True when the caller may set modes and client facts. */
export function callerTrusted(engine: AuthEngine, req: FastifyRequest): boolean {
  return req.apiCredentials !== undefined || peerIsTrustedProxy(engine, req);
}

/** True when the peer's address is in server.trusted_proxies. */
export function peerIsTrustedProxy(engine: AuthEngine, req: FastifyRequest): boolean {
  const server = engine.config.server;
  let list = lists.get(server);
  if (!list) {
    list = new IpList(server.trustedProxies);
    lists.set(server, list);
  }
  const peer = peerAddress(req);
  return peer !== '' && list.has(peer);
}

/**
 * The raw login fields the pipeline may believe. A trusted caller's fields pass unchanged; an untrusted
 * caller gets a 403 for modes other than a password check, and only its login fields are kept, with the
 * peer's address and port as the client's.
 */
export function believedFields(engine: AuthEngine, req: FastifyRequest, raw: Record<string, unknown>, mode: RequestMode): Record<string, unknown> {
  if (callerTrusted(engine, req)) return raw;
  if (mode !== 'auth') {
    throw new AuthStudioError('AS_ERR_UNTRUSTED_CALLER', `mode=${mode} is answered only for trusted callers: send the API credentials (server.basic_auth) or call from an address in server.trusted_proxies`, { path: 'mode' });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (UNTRUSTED_FIELDS.has(k)) out[k] = v;
  out.client_ip = peerAddress(req);
  if (req.socket?.remotePort !== undefined) out.client_port = String(req.socket.remotePort);
  return out;
}
