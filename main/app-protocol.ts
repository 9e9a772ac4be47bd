// app://studio/: serves renderer/dist to the window (Monaco's worker does not load from file://), with the CSP.
import fs from 'node:fs';
import path from 'node:path';
import { securityHeaders } from './csp';
import type { ProtocolShape } from './electron-shapes';

export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Registered before the app is ready: a standard, secure scheme (workers, fetch and relative URLs work). */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.map': 'application/json',
};

/** The file under `distDir` an app:// URL names, or undefined (other hosts, escapes, unknown types, missing files). */
export function resolveAppFile(url: string, distDir: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(distDir);
  const file = path.resolve(root, '.' + path.posix.normalize(rel));
  const inside = path.relative(root, file);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  if (!TYPES[path.extname(file)]) return undefined;
  try {
    return fs.statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The answer for one request: the file with the security headers, or a plain 404. */
export function appResponse(url: string, distDir: string): { status: number; headers: Record<string, string>; body: Buffer | string } {
  const file = resolveAppFile(url, distDir);
  if (!file) return { status: 404, headers: securityHeaders('text/plain; charset=utf-8'), body: 'not found' };
  return { status: 200, headers: securityHeaders(TYPES[path.extname(file)]), body: fs.readFileSync(file) };
}

/** Serve `distDir` on app://studio/ (call once the app is ready). */
export function registerAppProtocol(protocol: ProtocolShape, distDir: string): void {
  protocol.handle(APP_SCHEME, (request) => {
    const r = request.method === 'GET' || request.method === 'HEAD' ? appResponse(request.url, distDir) : { status: 405, headers: securityHeaders('text/plain'), body: 'method not allowed' };
    return new Response(r.body, { status: r.status, headers: r.headers });
  });
}
