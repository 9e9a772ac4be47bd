// One place that turns an AuthStudioError into an HTTP answer.
import type { FastifyReply } from 'fastify';
import type { AuthStudioError } from '../errors/registry';
import { TEMPFAIL_MESSAGE } from '../pipeline/pipeline';
import { toWireHeader } from './header-bytes';

/**
 * Header-safe text: no CR/LF or other control characters can reach a response header, and text beyond ASCII
 * goes out as its UTF-8 bytes (as Go's net/http writes a Nauthilus header; nginx passes them on as they are).
 * The body of such an answer must be a Buffer (see auth-response.ts): node re-encodes the header block
 * together with a string body.
 */
export function headerSafe(s: string): string {
  return toWireHeader(s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024));
}

export function sendError(reply: FastifyReply, err: AuthStudioError): FastifyReply {
  const body: Record<string, unknown> = { error: err.code, message: err.message };
  if (err.path) body.field = err.path;
  if (err.status === 401 && !reply.hasHeader('WWW-Authenticate')) reply.header('WWW-Authenticate', 'Basic realm="authstudio"');
  if (err.status >= 500) reply.header('Auth-Status', headerSafe(TEMPFAIL_MESSAGE));
  return reply.code(err.status).send(body);
}
