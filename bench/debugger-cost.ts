// `node dist/bench/debugger-cost.js [rounds]`: what the debugger costs a login when it is not in use. The same
// logins (ws-basic fixture, in-process, scripts on this thread) through three engines, interleaved round by round:
// no debugger; a debugger present but not attached; a debugger attached without breakpoints (line events on).
// Prints the median ms per 1000 logins and the ratios to the first.
import path from 'node:path';
import pino from 'pino';
import { loadConfigFile } from '../engine/config/load';
import { AuthEngine } from '../engine/engine';
import { buildHttpApp } from '../engine/http/app';
import { ScriptDebugger } from '../engine/debug/debugger';

const CONFIG = path.join(__dirname, '..', '..', 'test', 'fixtures', 'ws-basic', 'authstudio.yml');
const LOGINS = 500;

async function engine(dbg: ScriptDebugger | undefined) {
  const config = loadConfigFile(CONFIG, { redisOverride: 'mock' });
  const e = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 0, debugger: dbg });
  return { e, app: await buildHttpApp(e) };
}

async function run(x: Awaited<ReturnType<typeof engine>>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await x.app.inject({
      method: 'POST', url: '/api/v1/auth/json', headers: { 'content-type': 'application/json' },
      payload: { username: 'alice', password: 'alice-secret', protocol: 'imap', client_ip: `192.0.2.${i % 200}` },
    });
  }
  return ((performance.now() - t0) * 1000) / n;
}

export interface DebuggerCostRow { name: string; ms_per_1000: number; ratio: number }

/** The three engines, interleaved for `rounds` rounds: median ms per 1000 logins and the ratio to no debugger. */
export async function debuggerCost(rounds = 7): Promise<DebuggerCostRow[]> {
  const attached = new ScriptDebugger();
  attached.attach();
  const cases = [
    { name: 'no debugger', x: await engine(undefined), ms: [] as number[] },
    { name: 'debugger, not attached', x: await engine(new ScriptDebugger()), ms: [] as number[] },
    { name: 'debugger attached, no breakpoints', x: await engine(attached), ms: [] as number[] },
  ];
  for (const c of cases) await run(c.x, 200); // warm-up
  for (let r = 0; r < rounds; r++) for (const c of cases) c.ms.push(await run(c.x, LOGINS));
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const base = median(cases[0].ms);
  const rows: DebuggerCostRow[] = [];
  for (const c of cases) {
    const m = median(c.ms);
    rows.push({ name: c.name, ms_per_1000: Math.round(m), ratio: Math.round((m / base) * 1000) / 1000 });
    await c.x.app.close();
    await c.x.e.close();
  }
  return rows;
}

export function debuggerCostLine(rows: DebuggerCostRow[]): string {
  return `debugger cost (same logins in-process, interleaved): ${rows.map((r) => `${r.name} ${r.ms_per_1000} ms/1000 (x${r.ratio})`).join(', ')}`;
}

if (require.main === module) {
  void debuggerCost(Number(process.argv[2] ?? 7)).then((rows) => {
    for (const r of rows) process.stdout.write(`${r.name.padEnd(36)} ${String(r.ms_per_1000).padStart(6)} ms / 1000 logins   ratio ${r.ratio.toFixed(3)}\n`);
  });
}
