// HS256 JSON Web Tokens for the API (server.jwt_auth): issue, refresh, verify with the algorithm pinned.
import crypto from 'node:crypto';

export interface JwtClaims {
  sub: string;
  roles: string[];
  iat: number;
  exp: number;
  /** "access" or "refresh" */
  typ: string;
  /** Token id: a refresh token is accepted once per id (stored as used in Redis). */
  jti?: string;
}

/** The base64url alphabet without padding (RFC 7515 section 2): anything else in a part is refused. */
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url: only the alphabet, no `=`, and canonical (re-encoding gives the same text, so no
 * second spelling of one signature is accepted). Returns undefined for anything else.
 */
export function decodeB64url(part: string): Buffer | undefined {
  if (!B64URL.test(part) || part.length % 4 === 1) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function signJwt(claims: JwtClaims, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/**
 * Verify a token: exactly three parts of strict base64url, header alg HS256 (never "none" or anything else), a valid
 * signature (constant-time), an unexpired `exp`, and the expected `typ`. Returns the claims or a reason.
 */
export function verifyJwt(token: string, secret: string, typ = 'access', now = Date.now()): JwtClaims | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'malformed token';
  const decoded = parts.map(decodeB64url);
  if (decoded[0] === undefined || decoded[1] === undefined) return 'malformed token: each part must be unpadded base64url';
  if (decoded[2] === undefined) return 'bad signature: not unpadded base64url';
  let header: { alg?: unknown };
  let claims: Partial<JwtClaims>;
  try {
    header = JSON.parse(decoded[0]!.toString('utf8'));
    claims = JSON.parse(decoded[1]!.toString('utf8'));
  } catch {
    return 'malformed token';
  }
  if (header.alg !== 'HS256') return `algorithm ${String(header.alg)} is not accepted`;
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = decoded[2]!;
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return 'bad signature';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'token expired';
  if (claims.typ !== typ) return `a ${String(claims.typ)} token cannot be used here`;
  if (typeof claims.sub !== 'string' || !Array.isArray(claims.roles) || !claims.roles.every((r) => typeof r === 'string')) return 'malformed claims';
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return 'malformed claims';
  return claims as JwtClaims;
}
