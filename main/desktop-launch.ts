// `npm start` / `authstudio start`: the desktop app when Electron's binary is there and a display is available,
// otherwise one line saying which of the two is missing and what runs instead (bin/authstudio then runs `authstudio start`, the studio in a browser).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

/** Where Electron is, or why it cannot be used here. */
export type ElectronLookup = { binary: string } | { reason: string };

/** What to do about a missing Electron (its install script downloads the binary from Electron's releases). */
const HOW_TO_GET_ELECTRON = 'run `npm install electron` where Electron\'s release downloads are reachable, or set ELECTRON_MIRROR';

/**
 * Find Electron's binary, then a display for it. The `electron` package (an optional dependency) exports the
 * binary's path and throws when its download failed; `resolve` is require for tests. A missing binary is reported
 * as such even without a display: it is the first thing to fix.
 */
export function findElectron(env: NodeJS.ProcessEnv = process.env, platform = process.platform, resolve: (id: string) => unknown = require): ElectronLookup {
  if (env.AUTHSTUDIO_NO_ELECTRON) return { reason: 'AUTHSTUDIO_NO_ELECTRON is set' };
  let binary: unknown;
  try {
    binary = resolve('electron');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
    return { reason: missing ? `Electron is not installed (the optional electron package is missing: ${HOW_TO_GET_ELECTRON})` : `Electron's binary is missing (${String((e as Error)?.message ?? e).split('\n')[0]}: ${HOW_TO_GET_ELECTRON})` };
  }
  if (typeof binary !== 'string' || !fs.existsSync(binary)) return { reason: `Electron's binary was not downloaded (${HOW_TO_GET_ELECTRON})` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return { binary };
}

/** The main script Electron runs. */
export const ELECTRON_MAIN = path.join(__dirname, 'electron-main.js');

/**
 * Start the desktop app when possible; returns false (after saying why) when the caller should fall back to the
 * browser studio. The process then follows Electron's exit code and passes SIGINT/SIGTERM on.
 */
export function launchDesktop(args: string[], out: { write(s: string): unknown } = process.stdout): boolean {
  const found = findElectron();
  if ('reason' in found) {
    out.write(`authstudio: no desktop app: ${found.reason}. Starting the studio for your browser instead (the same studio, served over HTTP).\n`);
    return false;
  }
  const child = spawn(found.binary, [ELECTRON_MAIN, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
  return true;
}
