// `npm run bench [-- --quick] [-- --json]`: the engine's full Lua pipeline against a bare fastify route, side by side
// on loopback with autocannon; scaling over pipeline worker threads; embedded and real Redis; the password-cache hit
// path; a hot reload every second under load; Redis memory for brute-force state of many attacker addresses; three
// engines on one Redis Cluster (`-- --cluster-only` runs just that one).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../test/helpers/redis-server';
import { BARE, CONNECTIONS, load as loadFor, loginBodies, serve, spawnAndWait, workspace, type Proc, type Run } from './common';
import { hotReloadRun } from './hot-reload';
import { bruteForceMemoryRun } from './bruteforce-memory';
import { clusterRun, type ClusterRunResult } from './cluster';
import { debuggerCost, debuggerCostLine } from './debugger-cost';
import { inProcessLine, inProcessRun } from './in-process';
import { pingProbe, type PingLatency } from './ping-probe';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const CLUSTER_ONLY = args.has('--cluster-only');
const DURATION = QUICK ? 2 : 10;
const WARMUP = QUICK ? 1 : 3;
const ATTACKERS = QUICK ? 20_000 : 1_000_000;
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

interface EngineStats { rss_mb: number; per_worker_kib: number; vms: number; engine_mean_ms: number; stage_mean_us: Record<string, number> }

type PoolStats = Record<string, { vms: number; memoryBytes: number }>;

/** Memory per Lua VM, RSS, and the engine's own timings (/metrics) of a running serve. */
async function engineStats(url: string, pid: number): Promise<EngineStats> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { pools: PoolStats; workers: PoolStats[] };
  // with worker threads the main thread's pools serve hooks only: the VMs that serve logins are the workers'
  const pools = health.workers.length ? health.workers.flatMap((w) => Object.values(w)) : Object.values(health.pools);
  const vms = pools.reduce((n, p) => n + p.vms, 0);
  const mem = pools.reduce((n, p) => n + p.memoryBytes, 0);
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const num = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
  const sum = num(/authstudio_auth_duration_seconds_sum\{decision="ok"\} ([\d.e+-]+)/);
  const count = num(/authstudio_auth_duration_seconds_count\{decision="ok"\} (\d+)/) || 1;
  const stage_mean_us: Record<string, number> = {};
  for (const m of metrics.matchAll(/authstudio_stage_seconds_total\{stage="([a-z_]+)"\} ([\d.e+-]+)/g)) {
    const runs = num(new RegExp(`authstudio_stage_runs_total\\{stage="${m[1]}"\\} (\\d+)`));
    if (runs) stage_mean_us[m[1]] = Math.round((Number(m[2]) / runs) * 1e6);
  }
  return { rss_mb: Math.round(rss), per_worker_kib: vms ? Math.round(mem / vms / 1024) : 0, vms, engine_mean_ms: Math.round((sum / count) * 1e6) / 1000, stage_mean_us };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

async function main(): Promise<void> {
  if (CLUSTER_ONLY) {
    log('3 engines on a Redis Cluster (3 masters, 3 replicas)');
    const c = await clusterRun({ durationSec: DURATION, warmupSec: WARMUP });
    process.stdout.write(JSON_OUT ? JSON.stringify({ cluster: c }, null, 2) + '\n' : `${clusterLine(c)}\n`);
    return;
  }
  const bodies = loginBodies();
  const cacheBody = [JSON.stringify({ username: 'user42', password: 'pw42', client_ip: '198.51.100.7', protocol: 'imap' })];
  const plain = workspace(false);
  const cached = workspace(true);
  const bare = await spawnAndWait(['-e', BARE], (l) => (l.startsWith('BARE ') ? l.slice(5) + '/' : undefined));
  const redisServer = await startRedisServer();
  const cores = os.availableParallelism();
  const results: Record<string, unknown> = {
    machine: `${cores} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()}`,
    duration_s: DURATION, connections: CONNECTIONS,
  };
  // one engine run: warm it up (JIT, VM pools), then the bare route and the engine back to back
  const measure = async (config: string, redis: string, workers: string, reqs: string[], ping = false): Promise<{ bareRun: Run; run: Run; stats: EngineStats; ping?: PingLatency }> => {
    const eng: Proc = await serve(config, redis, workers);
    try {
      await loadFor(eng.url, reqs, WARMUP);
      // /ping one at a time from another process while the pipeline is saturated (from 1 s in to 1 s before the end)
      const probe = ping ? new Promise((r) => setTimeout(r, 1000)).then(() => pingProbe(eng.url, Math.max(1, DURATION - 2))) : undefined;
      const run = await loadFor(eng.url, reqs, DURATION);
      const pingRun = await probe;
      const stats = await engineStats(eng.url, eng.child.pid!);
      // the ceiling right after, while the engine idles in the same machine state
      const bareRun = await loadFor(bare.url, ['{}'], DURATION);
      return { bareRun, run, stats, ping: pingRun };
    } finally {
      eng.child.kill('SIGTERM');
    }
  };
  try {
    log('one login at a time in-process (CPU per login and per stage)');
    results.in_process = await inProcessRun(QUICK ? 5_000 : 20_000);
    await loadFor(bare.url, ['{}'], WARMUP);
    const scaling: Record<string, unknown> = {};
    for (const w of ['0', '1', String(cores)]) {
      log(`embedded Redis, ${w} worker threads`);
      const { bareRun, run, stats, ping } = await measure(path.join(plain, 'authstudio.yml'), 'mock', w, bodies, w === String(cores));
      scaling[`workers_${w}`] = { bare_rps: bareRun.rps, pipeline_rps: run.rps, pipeline_ratio: ratio(run.rps, bareRun.rps), p99_ms: run.p99, errors: run.errors + run.non2xx };
      if (w === String(cores)) {
        Object.assign(results, {
          bare_rps: bareRun.rps, pipeline_rps: run.rps, pipeline_ratio: ratio(run.rps, bareRun.rps), p50_ms: run.p50, p99_ms: run.p99,
          errors: run.errors + run.non2xx, rss_mb: stats.rss_mb, per_worker_kib: stats.per_worker_kib, lua_vms: stats.vms,
          engine_mean_ms: stats.engine_mean_ms, stage_mean_us: stats.stage_mean_us, workers: cores, ping_under_load_ms: ping,
        });
      }
    }
    const single = (scaling.workers_0 as { pipeline_rps: number }).pipeline_rps;
    const multi = (scaling[`workers_${cores}`] as { pipeline_rps: number }).pipeline_rps;
    results.scaling = { ...scaling, speedup: ratio(multi, single) };

    log('real redis-server');
    const real = await measure(path.join(plain, 'authstudio.yml'), redisServer.url, 'auto', bodies);
    results.real_redis = {
      bare_rps: real.bareRun.rps, pipeline_rps: real.run.rps, pipeline_ratio: ratio(real.run.rps, real.bareRun.rps), p50_ms: real.run.p50, p99_ms: real.run.p99,
      errors: real.run.errors + real.run.non2xx, rss_mb: real.stats.rss_mb, stage_mean_us: real.stats.stage_mean_us,
    };

    log('password-cache hits');
    const hit = await measure(path.join(cached, 'authstudio.yml'), 'mock', 'auto', cacheBody);
    Object.assign(results, { cache_hit_rps: hit.run.rps, cache_hit_ratio: ratio(hit.run.rps, hit.bareRun.rps), cache_hit_p99_ms: hit.run.p99, cache_hit_errors: hit.run.errors + hit.run.non2xx });

    log(`hot reload every second under load (${QUICK ? 5 : 10} s)`);
    results.hot_reload = await hotReloadRun({ durationSec: QUICK ? 5 : 10, redis: 'mock' });

    log(`brute-force state of ${ATTACKERS.toLocaleString('en')} attacker addresses in a real redis-server`);
    const bf = await bruteForceMemoryRun({ addresses: ATTACKERS, expiry: false });
    results.brute_force_memory = {
      addresses: bf.addresses, tracked_networks: bf.tracked_networks_total, bytes_per_tracked_network: bf.bytes_per_tracked_network,
      bytes_per_address: bf.bytes_per_address, used_memory_mb: Math.round(bf.used_memory_delta / 2 ** 20), keys_without_ttl: bf.keys_without_ttl,
      max_ttl_s: bf.max_ttl_s, elapsed_s: bf.elapsed_s,
    };

    log('3 engines on a Redis Cluster (3 masters, 3 replicas)');
    results.cluster = await clusterRun({ durationSec: DURATION, warmupSec: WARMUP });
    log('what the debugger costs a login when it is not attached');
    results.debugger_cost = await debuggerCost(QUICK ? 3 : 7);
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
  process.stdout.write(table(results));
}

function table(r: Record<string, any>): string {
  const lines = [`AuthStudio benchmark — ${r.machine}; ${CONNECTIONS} connections, ${DURATION} s per run`, ''];
  lines.push('| run | bare req/s | engine req/s | ratio | p99 ms | errors |', '|---|---|---|---|---|---|');
  for (const [k, v] of Object.entries(r.scaling as Record<string, any>)) {
    if (k !== 'speedup') lines.push(`| embedded Redis, ${k.replace('workers_', '')} worker threads | ${v.bare_rps} | ${v.pipeline_rps} | ${v.pipeline_ratio} | ${v.p99_ms} | ${v.errors} |`);
  }
  const rr = r.real_redis;
  lines.push(`| real Redis, ${r.workers} worker threads | ${rr.bare_rps} | ${rr.pipeline_rps} | ${rr.pipeline_ratio} | ${rr.p99_ms} | ${rr.errors} |`);
  lines.push(`| password-cache hit, ${r.workers} worker threads | – | ${r.cache_hit_rps} | ${r.cache_hit_ratio} | ${r.cache_hit_p99_ms} | ${r.cache_hit_errors} |`);
  lines.push('', `scaling 0 -> ${r.workers} worker threads: x${r.scaling.speedup}`);
  lines.push(`memory: RSS ${r.rss_mb} MB, ${r.lua_vms} Lua VMs, ${r.per_worker_kib} KiB per VM`);
  lines.push(`stage mean µs (engine's own timings): ${Object.entries(r.stage_mean_us).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const p = r.ping_under_load_ms;
  if (p) lines.push(`/ping while the pipeline is saturated (${r.workers} worker threads, one at a time from another process): p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms (${p.n} pings)`);
  lines.push(inProcessLine(r.in_process));
  const h = r.hot_reload;
  lines.push(`hot reload: ${h.reloads} reloads under load, ${h.errors + h.non2xx + h.wrong_decisions} failed responses, new version serving after ${h.new_version_ms.mean} ms (max ${h.new_version_ms.max})`);
  const b = r.brute_force_memory;
  lines.push(`brute force: ${b.addresses} attacker addresses -> ${b.tracked_networks} tracked networks, ${b.bytes_per_tracked_network} bytes each, ${b.keys_without_ttl} keys without TTL`);
  lines.push(clusterLine(r.cluster));
  lines.push(debuggerCostLine(r.debugger_cost));
  return lines.join('\n') + '\n';
}

function clusterLine(c: ClusterRunResult): string {
  return `${c.engines} engines on a Redis Cluster (${c.workers_per_engine} worker thread(s) each, ${CONNECTIONS} connections spread over them): `
    + `${c.rps} req/s together (${c.rps_per_engine.join(' + ')}), p99 ${c.p99_ms} ms, ${c.errors} errors`;
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
