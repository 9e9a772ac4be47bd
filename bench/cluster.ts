// Three engines on one Redis Cluster (3 masters, 3 replicas): the throughput of all three together, their errors
// and the worst p99, with the load spread evenly (a third of the connections on each engine).
import fs from 'node:fs';
import path from 'node:path';
import { startRedisCluster } from '../test/helpers/redis-cluster';
import { CONNECTIONS, load, loginBodies, serve, workspace, type Proc } from './common';

export interface ClusterRunResult {
  engines: number;
  workers_per_engine: string;
  /** requests per second of all engines together, and per engine */
  rps: number;
  rps_per_engine: number[];
  p99_ms: number;
  errors: number;
}

/** Start a Redis Cluster and `engines` serve processes on it, warm them up, then load all of them at once. */
export async function clusterRun(opts: { durationSec: number; warmupSec: number; engines?: number; workers?: string }): Promise<ClusterRunResult> {
  const n = opts.engines ?? 3;
  const workers = opts.workers ?? '1';
  const cluster = await startRedisCluster();
  const dir = workspace(false, ['  redis:', '    cluster:', '      addresses:', ...cluster.addresses.map((a) => `        - ${a}`), '    prefix: "bench:"']);
  const engines: Proc[] = [];
  try {
    for (let i = 0; i < n; i++) engines.push(await serve(path.join(dir, 'authstudio.yml'), undefined, workers));
    const bodies = loginBodies();
    const share = Math.max(1, Math.round(CONNECTIONS / n));
    const all = (sec: number) => Promise.all(engines.map((e) => load(e.url, bodies, sec, share)));
    await all(opts.warmupSec);
    const runs = await all(opts.durationSec);
    return {
      engines: n, workers_per_engine: workers,
      rps: runs.reduce((a, r) => a + r.rps, 0), rps_per_engine: runs.map((r) => r.rps),
      p99_ms: Math.max(...runs.map((r) => r.p99)), errors: runs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    };
  } finally {
    await Promise.all(engines.map((e) => new Promise((resolve) => {
      if (e.child.exitCode !== null) return resolve(null);
      e.child.once('exit', resolve);
      e.child.kill('SIGTERM');
    })));
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
