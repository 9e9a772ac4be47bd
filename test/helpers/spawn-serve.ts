// Test helper: run `./bin/authstudio serve` as a child process and find the address it listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export const ROOT = path.join(__dirname, '..', '..', '..');

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line (JSON log lines) seen so far. */
  lines: string[];
  stderr: () => string;
  /** Resolve once `pred(lines)` holds (checked on every new line), or reject after `ms`. */
  waitFor(pred: (lines: string[]) => boolean, ms?: number): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawn serve on a free port (listen 127.0.0.1:0) and wait for its "authstudio serving" line (at most
 * `startTimeoutMs`, default 15 s; tests that start several engines at once on a busy machine give more).
 */
export async function spawnServe(args: string[], env: Record<string, string> = {}, startTimeoutMs = 15000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'serve', '--listen', '127.0.0.1:0', ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const onLine = new Set<() => void>();
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // a server that never said it listens would otherwise outlive the test run
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in ${startTimeoutMs / 1000} s:\n${err}\n${lines.join('\n')}`));
    }, startTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${err}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      for (const f of onLine) f();
      try {
        const j = JSON.parse(line) as { msg?: string; address?: string };
        if (j.msg === 'authstudio serving' && j.address) {
          clearTimeout(timer);
          resolve(j.address);
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    child, url, lines, stderr: () => err,
    waitFor(pred, ms = 5000) {
      return new Promise<void>((resolve, reject) => {
        if (pred(lines)) return resolve();
        const timer = setTimeout(() => {
          onLine.delete(check);
          reject(new Error(`log lines did not arrive in ${ms} ms:\n${lines.join('\n')}`));
        }, ms);
        const check = () => {
          if (!pred(lines)) return;
          clearTimeout(timer);
          onLine.delete(check);
          resolve();
        };
        onLine.add(check);
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
