// `node dist/bench/ping-probe.js <url> <seconds>`: GET /ping one at a time (a pause of 5 ms between) for the given
// time, from its own process so the load generator's event loop does not delay it; prints {n, p50, p99, max} in ms.
// The benchmark runs it while the pipeline is saturated: the HTTP thread must answer it at once.
import http from 'node:http';
import { spawn } from 'node:child_process';

export interface PingLatency { n: number; p50: number; p99: number; max: number }

/** Start the probe for `seconds` against `url`; resolves with its figures when it ends. */
export function pingProbe(url: string, seconds: number): Promise<PingLatency> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, url, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as PingLatency) : reject(new Error(`ping probe exited ${code}`))));
  });
}

async function probe(url: string, seconds: number): Promise<PingLatency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t0 = performance.now();
    await new Promise<void>((res, rej) => {
      http.get(`${url}/ping`, { agent }, (r) => {
        r.resume();
        r.on('end', () => (r.statusCode === 200 ? res() : rej(new Error(`/ping answered ${r.statusCode}`))));
      }).on('error', rej);
    });
    ms.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  agent.destroy();
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(ms.length * q))] * 100) / 100;
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

if (require.main === module) {
  void probe(process.argv[2], Number(process.argv[3] ?? 5)).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e) => {
      process.stderr.write(`ping probe: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
