// A Dovecot script test: the script in the Dovecot 2.3 harness with the test's login and environment; with
// `serve_workspace: true` the workspace's own engine answers on a loopback port (AUTHSTUDIO_URL), so a bridge
// script is tested against the real HTTP API. Status, outcome and fields are compared.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runDovecotScript } from '../dovecot';
import { buildHttpApp } from '../http/app';
import type { AuthStudioConfig } from '../config/types';
import type { LineListener } from '../lua/line-hook';
import { workspaceEngine, type CaseOutcome } from './run-request';
import type { DovecotTest } from './test-files';
import type { TestRedis } from './test-redis';

export async function runDovecotTest(config: AuthStudioConfig, t: DovecotTest, lineListener?: LineListener, redis?: TestRedis): Promise<CaseOutcome> {
  const env: Record<string, string> = { ...t.env };
  let stop: (() => Promise<void>) | undefined;
  let world: Awaited<ReturnType<typeof workspaceEngine>> | undefined;
  if (t.serveWorkspace) {
    world = await workspaceEngine(config, t, lineListener, redis);
    const app = await buildHttpApp(world.engine);
    await app.listen({ host: '127.0.0.1', port: 0 });
    env.AUTHSTUDIO_URL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    stop = async () => {
      await app.close();
      await world?.close();
    };
  }
  try {
    const r = await runDovecotScript({
      file: path.join(config.baseDir, t.script), displayPath: t.script, env, action: t.action,
      login: t.login, callTimeoutMs: 30_000, lineListener,
    });
    const failures: string[] = [...(world?.unanswered() ?? [])];
    const e = t.expect;
    if (e.status && e.status !== r.status) failures.push(`status: expected ${e.status}, got ${r.status}`);
    if (e.outcome && e.outcome !== r.outcome) failures.push(`outcome: expected ${e.outcome}, got ${r.outcome}`);
    for (const [k, want] of Object.entries(e.fields ?? {})) {
      const got = r.fields[k];
      if (got !== String(want)) failures.push(`field ${k}: expected ${JSON.stringify(String(want))}, got ${got === undefined ? 'not set' : JSON.stringify(got)}`);
    }
    const logs = failures.length ? '\n' + r.logs.map((l) => `      ${l.level}: ${l.text}`).join('\n') : '';
    return { failures, summary: `${r.status} (${r.outcome})${logs}` };
  } finally {
    await stop?.();
  }
}
