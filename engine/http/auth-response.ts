// Shape a pipeline outcome into each endpoint's HTTP answer (status codes and headers of product.md).
import type { FastifyReply } from 'fastify';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { AuthRequest } from '../pipeline/auth-request';

import { headerSafe } from './errors';
import { NAUTHILUS_DEFAULT_UPSTREAMS, nginxUpstreamHeaders, type NginxUpstreams } from './nginx-upstream';

const NO_MONITORING: NginxUpstreams = { monitoring: false, aliveCount: 0, defaults: NAUTHILUS_DEFAULT_UPSTREAMS };

function attributeHeaders(reply: FastifyReply, out: AuthOutcome): void {
  for (const [k, v] of Object.entries(out.attributes)) {
    const name = `X-Nauthilus-${k.replace(/[^A-Za-z0-9-]/g, '-')}`;
    reply.header(name, headerSafe(Array.isArray(v) ? v.join(',') : v));
  }
}

/**
 * A body as bytes: with a string body node re-encodes the header block as UTF-8, which would turn the UTF-8
 * bytes headerSafe() puts in Auth-User / Auth-Status into mojibake; with a Buffer they go out as they are.
 */
function bytes(body: unknown): Buffer {
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

/**
 * Headers the request's scripts added (nauthilus_http_response in features, filters, actions before the answer),
 * on every endpoint's answer whatever the decision, as Nauthilus' handlers keep them. Call before the endpoint's
 * own send: the engine's headers are set after and win. Names were checked when set (response-headers.ts);
 * values go out without control characters (headerSafe).
 */
export function sendScriptHeaders(reply: FastifyReply, out: AuthOutcome): void {
  for (const [name, values] of Object.entries(out.responseHeaders ?? {})) {
    if (values.length === 0) continue;
    const safe = values.map((v) => headerSafe(v));
    reply.header(name, safe.length === 1 ? safe[0] : safe);
  }
  // Nauthilus 3.0: the language a policy's i18n status message was rendered in
  if (out.decision !== 'ok' && out.contentLanguage) reply.header('Content-Language', headerSafe(out.contentLanguage));
}

/** Send the answer for /json, /header, /basic (and simulate). */
export function sendAuthReply(reply: FastifyReply, req: AuthRequest, out: AuthOutcome, accept: string | undefined): FastifyReply {
  reply.header('X-Nauthilus-Session', out.session);
  if (out.fromCache) reply.header('X-AuthStudio-Cache', 'hit');
  if (req.mode === 'list-accounts' && out.decision === 'ok') {
    const accounts = out.accounts ?? [];
    if (accept && /json/i.test(accept)) return reply.code(200).type('application/json; charset=utf-8').send(bytes(accounts));
    return reply.code(200).type('text/plain; charset=utf-8').send(bytes(accounts.map((a) => a + '\n').join('')));
  }
  if (out.decision === 'ok') {
    reply.header('Auth-Status', 'OK');
    reply.header('Auth-User', headerSafe(out.account ?? req.fields.username));
    if (req.endpoint === 'header' || req.endpoint === 'basic') attributeHeaders(reply, out);
    return reply.code(200).type('application/json; charset=utf-8').send(bytes({
      ok: true,
      account_field: out.accountField ?? null,
      totp_secret_field: out.totpSecretField ?? null,
      backend: out.backend ?? null,
      attributes: out.attributes,
    }));
  }
  reply.header('Auth-Status', headerSafe(out.statusMessage ?? ''));
  if (out.decision === 'fail') {
    if (out.authWaitSec !== undefined && req.endpoint !== 'basic') reply.header('Auth-Wait', String(out.authWaitSec));
    return reply.code(403).type('application/json; charset=utf-8').send(bytes({ ok: false, status_message: out.statusMessage }));
  }
  return reply.code(500).type('application/json; charset=utf-8').send(bytes({ ok: false, error: 'temporary failure', session: out.session }));
}

/**
 * nginx mail auth_http: always 200; Auth-Status says what happened. `upstreams` decides Auth-Server/Auth-Port
 * (see nginx-upstream.ts); without it, Nauthilus' per-protocol defaults.
 */
export function sendNginxReply(reply: FastifyReply, req: AuthRequest, out: AuthOutcome, upstreams: NginxUpstreams = NO_MONITORING): FastifyReply {
  reply.header('X-Nauthilus-Session', out.session);
  const smtp = req.fields.protocol === 'smtp';
  if (out.decision === 'ok') {
    reply.header('Auth-Status', 'OK');
    for (const [k, v] of Object.entries(nginxUpstreamHeaders(upstreams, req.fields.protocol, out.backendServer))) reply.header(k, headerSafe(v));
    if (out.account && out.account !== req.fields.username) reply.header('Auth-User', headerSafe(out.account));
    return reply.code(200).type('text/plain; charset=utf-8').send(Buffer.alloc(0));
  }
  reply.header('Auth-Status', headerSafe(out.statusMessage ?? ''));
  if (out.decision === 'fail') {
    if (out.authWaitSec !== undefined) reply.header('Auth-Wait', String(out.authWaitSec));
    if (smtp) reply.header('Auth-Error-Code', '535 5.7.8');
  } else {
    // a temporary failure carries no Auth-Wait (Nauthilus 1.10/3.0 AuthTempFail): nginx answers the client and closes
    if (smtp) reply.header('Auth-Error-Code', '451 4.3.0');
  }
  return reply.code(200).type('text/plain; charset=utf-8').send(Buffer.alloc(0));
}
