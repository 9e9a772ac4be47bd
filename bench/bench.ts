// `npm run bench [-- --quick] [-- --json]`: the engine's full Lua pipeline against a bare fastify route, side by side
// on loopback with autocannon (embedded and real Redis), plus the password-cache hit path. Prints a table or JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { freePort, startRedisServer } from '../test/helpers/redis-server';

const ROOT = path.join(__dirname, '..', '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const DURATION = QUICK ? 3 : 10;
const CONNECTIONS = 50;
const USERS = 10_000;

/** A realistic workspace: one feature, a Lua backend with 10,000 users in memory, one filter, one post action, brute force on. */
function workspace(cache: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-bench-'));
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('authstudio.yml', [
    'server:', '  address: 127.0.0.1:0', `  backends: [${cache ? 'cache, ' : ''}lua]`, '  redis: mock', '  max_concurrent_requests: 5000',
    '  log: {level: error}',
    'brute_force:', '  buckets:', '    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: 1000000}',
    'lua:', '  features:', '    - {name: blocklist, script_path: ./blocklist.lua}', '  filters:', '    - {name: policy, script_path: ./policy.lua}',
    '  actions:', '    - {type: post, name: audit, script_path: ./audit.lua}', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 4', '',
  ].join('\n'));
  w('blocklist.lua', 'function nauthilus_call_feature(r)\n  if r.client_ip == "203.0.113.1" then return true, true, 0 end\n  return false, false, 0\nend\n');
  w('backend.lua', `local users = {}\nfor i = 1, ${USERS} do users["user" .. i] = { pw = "pw" .. i, account = "user" .. i .. "@example.test" } end\n` +
    'function nauthilus_backend_verify_password(r)\n  local b = nauthilus_backend_result.new()\n  local u = users[r.username]\n  if u then\n    b:user_found(true)\n    b:account_field("account")\n    b:attributes({ account = u.account })\n    b:authenticated(r.password == u.pw)\n  end\n  return 0, b\nend\n');
  w('policy.lua', 'function nauthilus_call_filter(r)\n  if r.authenticated then return false, 0 end\n  return true, 0\nend\n');
  w('audit.lua', 'function nauthilus_call_action(r)\n  nauthilus_builtin.custom_log_add("audit", r.username)\n  return 0\nend\n');
  return dir;
}

interface Proc { child: ChildProcess; url: string }

function spawnAndWait(argv: string[], marker: (line: string) => string | undefined): Promise<Proc> {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const url = marker(line);
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
  });
}

const BARE = `const f = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'fastify'))})();
f.post('/', async () => ({ ok: true, account_field: 'account', backend: 'lua' }));
f.listen({ host: '127.0.0.1', port: 0 }).then((a) => console.log('BARE ' + a));`;

/** `authstudio serve` on a free port (its log level is "error", as a busy site would run it), ready when /ping answers. */
async function serve(config: string, redis: string): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'serve', '--config', config, '--redis', redis, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ping`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('serve did not start in 20 s');
}

interface Run { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(url: string, bodies: string[]): Promise<Run> {
  const requests = bodies.map((body) => ({ method: 'POST' as const, path: url.endsWith('/') ? '/' : '/api/v1/auth/json', headers: { 'content-type': 'application/json' }, body }));
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests });
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

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
  const bodies = Array.from({ length: 200 }, (_, i) => {
    const n = 1 + Math.floor((i * 7919) % USERS);
    return JSON.stringify({ username: `user${n}`, password: `pw${n}`, client_ip: `198.51.${i % 200}.${i % 250}`, protocol: 'imap' });
  });
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
