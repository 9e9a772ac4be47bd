// Shared pieces of the benchmarks: the realistic workspace, starting processes, driving load with autocannon.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { freePort } from '../test/helpers/redis-server';

export const ROOT = path.join(__dirname, '..', '..');
export const CONNECTIONS = 50;
export const USERS = 10_000;

/**
 * A realistic workspace: one feature, a Lua backend with 10,000 users in memory, one filter, one post action, brute
 * force on. `redis` is the server.redis block's YAML lines (default: the embedded store).
 */
export function workspace(cache: boolean, redis: string[] = ['  redis: mock']): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-bench-'));
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('authstudio.yml', [
    'server:', '  address: 127.0.0.1:0', `  backends: [${cache ? 'cache, ' : ''}lua]`, ...redis, '  max_concurrent_requests: 5000',
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

export interface Proc { child: ChildProcess; url: string }

export function spawnAndWait(argv: string[], marker: (line: string) => string | undefined): Promise<Proc> {
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

export const BARE = `const f = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'fastify'))})();
f.post('/', async () => ({ ok: true, account_field: 'account', backend: 'lua' }));
f.listen({ host: '127.0.0.1', port: 0 }).then((a) => console.log('BARE ' + a));`;

/**
 * `authstudio serve` on a free port (its log level is "error", as a busy site would run it), ready when /ping answers.
 * `redis` overrides the config's server.redis ("mock" or a URL); undefined keeps the config's.
 */
export async function serve(config: string, redis: string | undefined, workers = 'auto'): Promise<Proc> {
  const port = await freePort();
  const argv = [path.join(ROOT, 'bin', 'authstudio'), 'serve', '--config', config, ...(redis ? ['--redis', redis] : []), '--listen', `127.0.0.1:${port}`, '--workers', workers];
  const child = spawn(process.execPath, [...(process.env.AS_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...argv], { cwd: ROOT, stdio: 'inherit' });
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

export interface Run { rps: number; p50: number; p99: number; errors: number; non2xx: number }

export async function load(url: string, bodies: string[], duration: number, connections = CONNECTIONS): Promise<Run> {
  const requests = bodies.map((body) => ({ method: 'POST' as const, path: url.endsWith('/') ? '/' : '/api/v1/auth/json', headers: { 'content-type': 'application/json' }, body }));
  const r = await autocannon({ url, connections, duration, requests });
  // autocannon's errors already include its timeouts
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** 200 request bodies for good logins of users spread over the workspace's 10,000, from 200 client networks. */
export function loginBodies(): string[] {
  return Array.from({ length: 200 }, (_, i) => {
    const n = 1 + Math.floor((i * 7919) % USERS);
    return JSON.stringify({ username: `user${n}`, password: `pw${n}`, client_ip: `198.51.${i % 200}.${i % 250}`, protocol: 'imap' });
  });
}
