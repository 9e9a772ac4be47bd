// The Content-Security-Policy of the studio page inside Electron: its own scripts, styles, fonts and worker only,
// no network at all (the engine is reached through the preload's IPC bridge, not over HTTP).

const DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  // 'wasm-unsafe-eval' lets the page compile its own WebAssembly (stylua-wasm.js, the Lua formatter); JS eval stays off
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  // Monaco sets styles on elements and injects <style> blocks
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'worker-src': ["'self'"],
  'connect-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-src': ["'none'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The policy as a header value. */
export const APP_CSP = Object.entries(DIRECTIVES).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');

/** Parse a policy into directive -> sources (for checks and tests). */
export function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/** Headers every response of the app protocol carries. */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': APP_CSP,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-cache',
  };
}
