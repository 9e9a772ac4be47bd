// Test helper: a studio on its own temp copy of a fixture workspace, driven through the in-process or HTTP client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStudio, type Studio } from '../../engine/studio/open-studio';
import { createInProcessClient } from '../../engine/api/in-process-client';
import { createHttpClient } from '../../engine/api/http-client';
import type { StudioClient, Unsubscribe } from '../../engine/api/contract';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export type Transport = 'in-process' | 'http';
export const TRANSPORTS: Transport[] = ['in-process', 'http'];

/** A fresh copy of test/fixtures/<name> (or lua-plugins.d) in a temp folder; `edit` may change it first. */
export function tempWorkspace(name = 'ws-basic', edit?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-studio-'));
  fs.cpSync(name === 'lua-plugins.d' ? path.join(ROOT, 'lua-plugins.d') : path.join(FIXTURES, name), dir, { recursive: true });
  edit?.(dir);
  return dir;
}

/** Replace `from` with `to` in a workspace file (fails loudly when `from` is not there). */
export function editFile(dir: string, rel: string, from: string | RegExp, to: string): void {
  const file = path.join(dir, rel);
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${rel}: ${String(from)} not found`);
  fs.writeFileSync(file, next);
}

export interface StudioHarness {
  studio: Studio;
  client: StudioClient;
  dir: string;
  /** Base URL when the studio listens (the HTTP transport, or `listen: true`). */
  url?: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  fixture?: string;
  edit?: (dir: string) => void;
  token?: string;
  /** Listen on a loopback port even for the in-process transport. */
  listen?: boolean;
}

export async function startStudio(transport: Transport, opts: HarnessOptions = {}): Promise<StudioHarness> {
  const dir = tempWorkspace(opts.fixture, opts.edit);
  const studio = await openStudio({ workspace: dir, listen: '127.0.0.1:0', token: opts.token });
  let url: string | undefined;
  if (transport === 'http' || opts.listen) url = await studio.app.listen({ host: '127.0.0.1', port: 0 });
  const client = transport === 'http' ? createHttpClient(url!, { token: opts.token }) : createInProcessClient(studio.service);
  await client.connect();
  return {
    studio, client, dir, url,
    async close() {
      await client.close();
      await studio.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The next event for which `pred` holds. Subscribe before acting; the timeout only turns a hang into a
 * failure (it is never what the test waits for).
 */
export function nextEvent<T>(subscribe: (l: (e: T) => void) => Unsubscribe, pred: (e: T) => boolean = () => true, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const off = subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Log in over the studio's app (no socket) with the JSON endpoint. */
export async function login(studio: Studio, fields: Record<string, string>) {
  const res = await studio.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: fields });
  return { status: res.statusCode, authStatus: String(res.headers['auth-status'] ?? '') };
}

export const ALICE = { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' };
