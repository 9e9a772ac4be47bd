// `node dist/bench/in-process.js [logins]`: what one login costs the engine itself, with no HTTP and no load
// generator on the cores: the bench workspace (feature, Lua backend with 10,000 users, filter, post action, brute
// force on the embedded Redis), `engine.authenticate` one login at a time on this thread (workers: 0), post actions
// awaited. Prints CPU µs per login (process.cpuUsage, user + system) and the mean µs of each stage from the trace.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadConfigFile } from '../engine/config/load';
import { AuthEngine } from '../engine/engine';
import { buildAuthRequest } from '../engine/pipeline/auth-request';
import { loginBodies, workspace } from './common';

export interface InProcessResult {
  logins: number;
  cpu_us_per_login: number;
  wall_us_per_login: number;
  /** Mean µs per login of each stage (the trace's own durations; post actions included). */
  stage_us: Record<string, number>;
  /** What is outside the stages: HTTP-less engine work (request building, metrics, logs, promises). */
  outside_stages_us: number;
  decisions: Record<string, number>;
}

export async function inProcessRun(logins = 20_000): Promise<InProcessResult> {
  const dir = workspace(false);
  try {
    const config = loadConfigFile(path.join(dir, 'authstudio.yml'), { redisOverride: 'mock' });
    const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 0 });
    try {
      const bodies = loginBodies().map((b) => JSON.parse(b) as Record<string, unknown>);
      const one = async (i: number) => {
        const out = await engine.authenticate(buildAuthRequest(bodies[i % bodies.length], 'auth', 'json'));
        return { out, post: await out.postActions };
      };
      for (let i = 0; i < Math.min(2000, logins); i++) await one(i); // JIT and VM pools warm
      const stage: Record<string, number> = {};
      const decisions: Record<string, number> = {};
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < logins; i++) {
        const { out, post } = await one(i);
        decisions[out.decision] = (decisions[out.decision] ?? 0) + 1;
        for (const r of [...out.trace, ...post]) stage[r.stage] = (stage[r.stage] ?? 0) + r.duration_ms;
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const stage_us: Record<string, number> = {};
      let inStages = 0;
      for (const [k, ms] of Object.entries(stage)) {
        stage_us[k] = Math.round((ms * 1000 * 10) / logins) / 10;
        inStages += stage_us[k];
      }
      const cpuUs = (cpu.user + cpu.system) / logins;
      return {
        logins, cpu_us_per_login: Math.round(cpuUs * 10) / 10, wall_us_per_login: Math.round((wall * 1000 * 10) / logins) / 10,
        stage_us, outside_stages_us: Math.round((wall * 1000 / logins - inStages) * 10) / 10, decisions,
      };
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function inProcessLine(r: InProcessResult): string {
  return `in-process (one login at a time, no HTTP, ${r.logins} logins): ${r.cpu_us_per_login} µs CPU per login `
    + `(wall ${r.wall_us_per_login} µs); stages µs: ${Object.entries(r.stage_us).map(([k, v]) => `${k} ${v}`).join(', ')}; `
    + `outside the stages ${r.outside_stages_us}`;
}

if (require.main === module) {
  void inProcessRun(Number(process.argv[2] ?? 20_000)).then((r) => {
    process.stdout.write(`${inProcessLine(r)}; decisions ${JSON.stringify(r.decisions)}\n`);
  });
}
