// The Auth-Wait header of a refused login: how long nginx mail waits before it answers the client, and the sign for
// nginx to keep the connection for another try (without it nginx closes the session after the error).
//
// Nauthilus computes it for every failure on the header, nginx and JSON endpoints (not /basic):
//   Auth-Wait = int(wait_delay × tanh(0.03 × attempts))
// with wait_delay 10 s by default (0 sends no header). What "attempts" is differs by version:
// - 1.10 / 1.12 (core/auth.go setFailureHeaders, increaseLoginAttempts): the Auth-Login-Attempt header as nginx sends
//   it (header and nginx endpoints; a JSON body's auth_login_attempt is not read, so JSON counts 0; not a number is 0),
//   plus one on the nginx endpoint while below max_login_attempts (15).
// - 3.0 / 3.1 (core/login_attempt_manager.go): failures so far = the attempt ordinal (header, or JSON
//   auth_login_attempt) minus one, plus this failure, at most max_login_attempts — on every endpoint.
// Nauthilus also raises the count from its password history when brute force triggers; AuthStudio keeps no
// per-password history, so a blocked login waits by the client's ordinal alone.
import type { ServerConfig, NauthilusProfile } from '../config/types';
import type { AuthRequest } from './auth-request';

/** Nauthilus's defaults (definitions.WaitDelay, definitions.MaxLoginAttempts). */
export const NGINX_WAIT_DELAY_DEFAULT = 10;
export const MAX_LOGIN_ATTEMPTS_DEFAULT = 15;

const ENDPOINTS_WITH_WAIT: ReadonlySet<AuthRequest['endpoint']> = new Set(['json', 'header', 'nginx', 'simulate']);

/** The Auth-Wait seconds for a refused login, or undefined when no header is sent. */
export function authWaitSeconds(server: ServerConfig, profile: NauthilusProfile | undefined, req: Pick<AuthRequest, 'endpoint' | 'fields'>): number | undefined {
  if (!ENDPOINTS_WITH_WAIT.has(req.endpoint)) return undefined;
  // AuthStudio's own `server.auth_wait`: a fixed value instead of Nauthilus's curve
  if (server.authWaitSec > 0) return server.authWaitSec;
  const delay = server.nginxWaitDelaySec ?? NGINX_WAIT_DELAY_DEFAULT;
  if (delay <= 0) return undefined;
  const max = server.maxLoginAttempts ?? MAX_LOGIN_ATTEMPTS_DEFAULT;
  const ordinal = /^\d{1,9}$/.test(req.fields.auth_login_attempt ?? '') ? Number(req.fields.auth_login_attempt) : 0;
  let attempts: number;
  if (profile === '3.0' || profile === '3.1') {
    attempts = Math.max(0, ordinal - 1);
    if (attempts < max) attempts++;
  } else {
    // the simulator sends what the JSON endpoint would
    attempts = req.endpoint === 'json' || req.endpoint === 'simulate' ? 0 : Math.min(ordinal, 255);
    if (req.endpoint === 'nginx' && attempts < max) attempts++;
  }
  return Math.trunc(delay * Math.tanh(0.03 * attempts));
}
