// E2E helper: `authstudio studio` as a real process on a temp copy of the sample workspace, on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser, type Browser } from './browser';

// evaluate() callbacks run in the page (the test tsconfig has no DOM types)
declare const document: { querySelector(s: string): { textContent: string | null; classList: { contains(c: string): boolean }; querySelector(s: string): unknown } | null };

export const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'authstudio');
const DIST = path.join(ROOT, 'renderer', 'dist');

/** Files whose change means the renderer bundle is stale. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Build renderer/dist when it is missing or older than renderer/src (CI builds it in `npm ci`'s prepare). */
export function ensureRendererBuilt(): void {
  const app = path.join(DIST, 'app.js');
  const sources = Math.max(newestSource(path.join(ROOT, 'renderer', 'src')), newestSource(path.join(ROOT, 'renderer', 'static')));
  if (fs.existsSync(app) && fs.statSync(app).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-renderer.js'), '--no-check'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the renderer failed:\n${r.stdout}\n${r.stderr}`);
}

/** A temp copy of lua-plugins.d/ (its brute_force buckets block an attack from one network, as the demo shows). */
export function tempWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-e2e-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  return dir;
}

export interface StudioProcess {
  url: string;
  workspace: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Start the studio on port 0 and resolve with its address once it says it is ready. */
export async function startStudioProcess(workspace: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<StudioProcess> {
  const child = spawn(process.execPath, [BIN, 'studio', '--workspace', workspace, '--listen', '127.0.0.1:0', '--redis', 'mock', ...extraArgs], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUTHSTUDIO_TOKEN: '', ...env },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the studio did not get ready:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m && out.includes('studio ready')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the studio exited with ${code}:\n${out}`));
    });
  });
  return {
    url, workspace, child,
    output: () => out,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid!, 'SIGTERM');
    }),
  };
}

/** Chromium on the studio's page, once the first generation is live. */
export async function openStudioPage(studio: StudioProcess): Promise<Browser> {
  const browser = await openBrowser();
  await browser.page.goto(`${studio.url}/`);
  await browser.page.locator('[data-testid=live-version][data-generation="1"]').waitFor();
  return browser;
}

/** Close the browser, stop the studio and remove its workspace (each may be missing when the setup failed). */
export async function closeStudio(browser: Browser | undefined, studio: StudioProcess | undefined, workspace: string | undefined): Promise<void> {
  await browser?.close();
  await studio?.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
}

/** Press the simulator's Send and wait for the new trace: the decision it shows (ok, fail or tempfail). */
export async function sendSimulation(page: Page): Promise<string> {
  const before = await page.locator('[data-testid=trace]').innerText();
  await page.click('.sim-form button[type=submit]');
  await page.waitForFunction((prev) => {
    const t = document.querySelector('[data-testid=trace]');
    return !!t && !t.classList.contains('busy') && !!t.querySelector('[data-decision]') && t.textContent !== prev;
  }, before);
  return (await page.locator('[data-testid=trace] [data-decision]').getAttribute('data-decision')) ?? '';
}
