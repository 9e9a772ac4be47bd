// `npm start` / `authstudio start`: the desktop app when Electron's binary is there and a display is available,
// otherwise a message saying why (bin/authstudio then runs `authstudio start`, the studio in a browser).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

/** Where Electron is, or why it cannot be used here. */
export type ElectronLookup = { binary: string } | { reason: string };

/**
 * Find Electron's binary. The `electron` package (an optional dependency) exports the binary's path, and throws
 * when its download failed; `resolve` is require for tests.
 */
export function findElectron(env: NodeJS.ProcessEnv = process.env, platform = process.platform, resolve: (id: string) => unknown = require): ElectronLookup {
  if (env.AUTHSTUDIO_NO_ELECTRON) return { reason: 'AUTHSTUDIO_NO_ELECTRON is set' };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  let binary: unknown;
  try {
    binary = resolve('electron');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
    return { reason: missing ? 'the optional electron package is not installed' : `Electron's binary is missing (${String((e as Error)?.message ?? e).split('\n')[0]})` };
  }
  if (typeof binary !== 'string' || !fs.existsSync(binary)) return { reason: "Electron's binary was not downloaded" };
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
    out.write(`authstudio: the desktop app is not available (${found.reason}): starting the studio for your browser instead.\n`);
    return false;
  }
  const child = spawn(found.binary, [ELECTRON_MAIN, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
  return true;
}
