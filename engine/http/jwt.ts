// HS256 JSON Web Tokens for the API (server.jwt_auth): issue, refresh, verify with the algorithm pinned.
import crypto from 'node:crypto';

export interface JwtClaims {
  sub: string;
  roles: string[];
  iat: number;
  exp: number;
  /** "access" or "refresh" */
  typ: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function signJwt(claims: JwtClaims, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/**
 * Verify a token: exactly three parts, header alg HS256 (never "none" or anything else), a valid
 * signature (constant-time), an unexpired `exp`, and the expected `typ`. Returns the claims or a reason.
 */
export function verifyJwt(token: string, secret: string, typ = 'access', now = Date.now()): JwtClaims | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'malformed token';
  let header: { alg?: unknown };
  let claims: Partial<JwtClaims>;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return 'malformed token';
  }
  if (header.alg !== 'HS256') return `algorithm ${String(header.alg)} is not accepted`;
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return 'bad signature';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'token expired';
  if (claims.typ !== typ) return `a ${String(claims.typ)} token cannot be used here`;
  if (typeof claims.sub !== 'string' || !Array.isArray(claims.roles)) return 'malformed claims';
  return claims as JwtClaims;
}
