// The studio UI as static files: renderer/dist (built by scripts/build-renderer.js) served at `/` in studio mode.
//
// Routes are registered per file found at start (no wildcard), so unknown paths still get the engine's JSON 404.
// The page talks only to /api/studio/* on the same origin. Its token: with --token, from the URL fragment
// (#token=..., which browsers never send to the server); without, the per-launch one from GET /api/studio/session.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the build writes the renderer (from dist/engine/http/ back to the checkout). */
export const RENDERER_DIST = path.join(__dirname, '..', '..', '..', 'renderer', 'dist');

/**
 * The page's Content-Security-Policy: only its own scripts, workers and API; Monaco needs inline styles; the Lua
 * formatter (StyLua) is WebAssembly, compiled from the page's own stylua-wasm.js ('wasm-unsafe-eval' allows that, not eval).
 */
export const STUDIO_UI_CSP = [
  "default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self' 'unsafe-inline'", "font-src 'self'", "img-src 'self' data:",
  "worker-src 'self'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.map': 'application/json',
};

function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else if (e.isFile() && TYPES[path.extname(e.name)]) out.push(r);
  }
  return out;
}

function send(reply: FastifyReply, file: string): FastifyReply {
  return reply
    .header('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', STUDIO_UI_CSP)
    .send(fs.createReadStream(file));
}

const NOT_BUILT = (dir: string) => `<!doctype html><meta charset="utf-8"><title>AuthStudio</title>
<h1>The studio UI is not built</h1>
<p>The API is running, but ${dir.replace(/&/g, '&amp;').replace(/</g, '&lt;')} has no index.html.
Run <code>npm run build</code> (or <code>node scripts/build-renderer.js</code>) in the AuthStudio folder, then reload this page.</p>`;

/** Serve the built UI at `/` (index.html) and each of its files at `/<name>`. */
export function registerStudioUi(app: FastifyInstance, distDir: string = RENDERER_DIST): void {
  const index = path.join(distDir, 'index.html');
  if (!fs.existsSync(index)) {
    app.get('/', async (_req, reply) => reply.code(503).header('content-type', 'text/html; charset=utf-8').send(NOT_BUILT(distDir)));
    return;
  }
  app.get('/', async (_req, reply) => send(reply, index));
  for (const rel of filesUnder(distDir)) {
    const file = path.join(distDir, ...rel.split('/'));
    app.get(`/${rel}`, async (_req, reply) => send(reply, file));
  }
}
