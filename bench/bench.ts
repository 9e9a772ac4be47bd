// `npm run bench [-- --quick] [-- --json]`: the engine's full Lua pipeline against a bare fastify route, side by side
// on loopback with autocannon (embedded and real Redis), plus the password-cache hit path. Prints a table or JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../test/helpers/redis-server';
import { BARE, CONNECTIONS, load as loadFor, loginBodies, serve, spawnAndWait, workspace } from './common';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const DURATION = QUICK ? 3 : 10;

const load = (url: string, bodies: string[]) => loadFor(url, bodies, DURATION);

async function engineStats(url: string, pid: number): Promise<{ rss_mb: number; per_worker_kib: number; mean_ms: number }> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { pools: Record<string, { vms: number; memoryBytes: number }> };
  let vms = 0;
  let mem = 0;
  for (const p of Object.values(health.pools)) {
    vms += p.vms;
    mem += p.memoryBytes;
  }
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/authstudio_auth_duration_seconds_sum\{decision="ok"\} ([\d.e-]+)/.exec(metrics)?.[1] ?? 0);
  const count = Number(/authstudio_auth_duration_seconds_count\{decision="ok"\} (\d+)/.exec(metrics)?.[1] ?? 1);
  return { rss_mb: Math.round(rss), per_worker_kib: vms ? Math.round(mem / vms / 1024) : 0, mean_ms: Math.round((sum / count) * 1e6) / 1000 };
}

async function main(): Promise<void> {
  const bodies = loginBodies();
  const cacheBody = [JSON.stringify({ username: 'user42', password: 'pw42', client_ip: '198.51.100.7', protocol: 'imap' })];
  const plain = workspace(false);
  const cached = workspace(true);
  const bare = await spawnAndWait(['-e', BARE], (l) => (l.startsWith('BARE ') ? l.slice(5) + '/' : undefined));
  const redisServer = await startRedisServer();
  const results: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`, duration_s: DURATION, connections: CONNECTIONS };
  try {
    for (const [name, redis] of [['embedded', 'mock'], ['real', redisServer.url]] as const) {
      const eng = await serve(path.join(plain, 'authstudio.yml'), redis);
      try {
        const bareRun = await load(bare.url, ['{}']);
        const pipe = await load(eng.url, bodies);
        const stats = await engineStats(eng.url, eng.child.pid!);
        results[name] = {
          bare_rps: bareRun.rps, pipeline_rps: pipe.rps, pipeline_ratio: Math.round((pipe.rps / bareRun.rps) * 1000) / 1000,
          p50_ms: pipe.p50, p99_ms: pipe.p99, errors: pipe.errors + pipe.non2xx, engine_mean_ms: stats.mean_ms, rss_mb: stats.rss_mb, per_worker_kib: stats.per_worker_kib,
        };
      } finally {
        eng.child.kill('SIGTERM');
      }
    }
    const eng = await serve(path.join(cached, 'authstudio.yml'), 'mock');
    try {
      const bareRun = await load(bare.url, ['{}']);
      const hit = await load(eng.url, cacheBody);
      results.cache_hit = { bare_rps: bareRun.rps, cache_hit_rps: hit.rps, cache_hit_ratio: Math.round((hit.rps / bareRun.rps) * 1000) / 1000, p99_ms: hit.p99, errors: hit.errors + hit.non2xx };
    } finally {
      eng.child.kill('SIGTERM');
    }
  } finally {
    bare.child.kill('SIGTERM');
    await redisServer.stop();
    fs.rmSync(plain, { recursive: true, force: true });
    fs.rmSync(cached, { recursive: true, force: true });
  }
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  process.stdout.write(`AuthStudio benchmark (${results.machine}; ${CONNECTIONS} connections, ${DURATION} s per run)\n`);
  for (const k of ['embedded', 'real', 'cache_hit']) process.stdout.write(`${k.padEnd(10)} ${JSON.stringify(results[k])}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
