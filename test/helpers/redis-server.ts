// Test helper: a private redis-server on a free loopback port (nothing on disk), stopped by its PID; optionally with a TLS
// port (certificates from makeTestCertificates) or as a Sentinel (groups: redis-sentinel.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RedisSettings } from '../../engine/config/types';
import { freePort } from './free-port';

export { freePort };

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as Nauthilus configs and register_redis_pool write addresses. */
  address: string;
  /** With `tls`: the TLS port (the plain port stays open too) and `127.0.0.1:<tlsPort>`. */
  tlsPort?: number;
  tlsAddress?: string;
  /** PID of the running server (changes after restart()). */
  readonly pid: number;
  /** Stop the server (SIGTERM, SIGKILL after 5 s) and remove its temp directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Crash the server: SIGKILL, resolves once it is gone (its port refuses connections). */
  kill(): Promise<void>;
  /** Start a fresh, empty server on the same port after kill(); resolves when it answers PING. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']. */
  args?: string[];
  /** How long to wait for the server to answer PING (default 10 s). */
  startTimeoutMs?: number;
  /** Also listen with TLS on a second free port, presenting `tls.certFile`; clients need no certificate unless `authClients`. */
  tls?: TestCertificates & { authClients?: boolean };
  /** Run as a Sentinel (`redis-server <conf> --sentinel`) watching this master. */
  sentinel?: { masterName: string; masterAddress: string; quorum?: number; downAfterMs?: number };
}

/** PEM files made by openssl: a CA, a server certificate for IP 127.0.0.1 and a client certificate, both signed by the CA. */
export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Why TLS tests cannot run here (no openssl to make certificates), or undefined. Debian's redis-server has TLS. */
export function redisTlsMissing(): string | undefined {
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed: apt-get install -y openssl';
  return undefined;
}

/** Make a CA plus server and client certificates in `dir` (created when missing). */
export function makeTestCertificates(dir: string): TestCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=AuthStudio test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  const sign = (name: string, cn: string, ext: string) => {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    run(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1',
      '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
  };
  sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1');
  sign('client', 'authstudio-test-client', 'extendedKeyUsage=clientAuth');
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key'), clientCertFile: f('client.pem'), clientKeyFile: f('client.key') };
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Send PING (after AUTH when the server has a password) and resolve when +PONG comes back; reject on any socket error. */
function ping(port: number, timeoutMs: number, password?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const lines = password ? 2 : 1;
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error('PING timed out')));
    sock.once('connect', () => sock.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.split('\r\n').length > lines) {
        sock.end();
        if (/(^|\r\n)\+PONG/.test(buf) && !buf.startsWith('-')) resolve();
        else reject(new Error(`unexpected reply to PING: ${buf.trim()}`));
      }
    });
    sock.once('error', reject);
  });
}

/** The command line for one start: a data server, or a Sentinel with its config file in `dir`. */
function serverArgs(port: number, tlsPort: number, dir: string, opts: RedisServerOptions): string[] {
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', ''];
  if (opts.sentinel) {
    const { masterName, masterAddress, quorum = 1, downAfterMs = 1000 } = opts.sentinel;
    const [host, mport] = masterAddress.split(':');
    const conf = path.join(dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its config file: it must be writable and its own
    fs.writeFileSync(conf, [
      `sentinel monitor ${masterName} ${host} ${mport} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} 10000`,
      '',
    ].join('\n'));
    return [conf, '--sentinel', ...common, ...(opts.args ?? [])];
  }
  const tls = opts.tls
    ? ['--tls-port', String(tlsPort), '--tls-cert-file', opts.tls.certFile, '--tls-key-file', opts.tls.keyFile,
      '--tls-ca-cert-file', opts.tls.caFile, '--tls-auth-clients', opts.tls.authClients ? 'yes' : 'no']
    : [];
  return [...common, '--save', '', '--appendonly', 'no', ...tls, ...(opts.args ?? [])];
}

/** Start redis-server once on `port`; resolves when it answers PING, rejects with its output if it exits. */
function startOn(port: number, tlsPort: number, dir: string, opts: RedisServerOptions): Promise<ChildProcess> {
  const args = serverArgs(port, tlsPort, dir, opts);
  // a data server logs "Ready to accept connections"; a Sentinel logs its ID once it listens
  const ready = opts.sentinel ? /Sentinel ID is/ : /Ready to accept connections/;
  const pw = (opts.args ?? []).indexOf('--requirepass');
  const requirepass = pw >= 0 ? (opts.args ?? [])[pw + 1] : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        if (child.exitCode === null && child.pid) child.kill('SIGKILL');
        reject(err);
      } else {
        resolve(child);
      }
    };
    const timer = setTimeout(() => finish(new Error(`redis-server did not answer PING within ${opts.startTimeoutMs ?? 10000} ms:\n${output}`)), opts.startTimeoutMs ?? 10000);
    child.once('error', (e: NodeJS.ErrnoException) => {
      finish(e.code === 'ENOENT' ? new Error('redis-server is not installed (Debian: apt-get install -y redis-server)') : e);
    });
    child.once('exit', (code, signal) => finish(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`)));
    const onOutput = (d: Buffer) => {
      if (settled) return; // keep draining the pipe, stop collecting
      output += d.toString();
      // the server logs this line once it listens; then one PING proves it answers
      if (ready.test(output) && !settled) ping(port, 2000, requirepass).then(() => finish(), (e) => finish(e));
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
  });
}

/**
 * Start a private redis-server on a free 127.0.0.1 port. Retries with another port if the one chosen
 * was taken in the meantime.
 *
 * @example
 *   const redis = await startRedisServer();
 *   after(() => redis.stop());
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-redis-'));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const tlsPort = opts.tls ? await freePort() : 0;
    let child: ChildProcess;
    try {
      child = await startOn(port, tlsPort, dir, opts);
    } catch (e) {
      lastError = e as Error;
      if (/not installed/.test(lastError.message) || !/Address already in use/.test(lastError.message)) break;
      continue;
    }
    let current = child;
    const adopt = (c: ChildProcess) => {
      current = c;
      live.add(c);
      // a test that forgets stop() must not hang the runner: the exit hook above kills the server
      c.unref();
      (c.stdout as unknown as net.Socket | null)?.unref();
      (c.stderr as unknown as net.Socket | null)?.unref();
    };
    adopt(child);
    const gone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= new Promise<void>((resolve) => {
        const c = current;
        const pid = c.pid as number;
        const done = () => {
          clearTimeout(kill);
          live.delete(c);
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        const kill = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5000);
        if (gone(c)) return done();
        c.once('exit', done);
        process.kill(pid, 'SIGTERM');
      });
      return stopped;
    };
    const kill = () => {
      const c = current;
      if (gone(c)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        c.once('exit', () => {
          live.delete(c);
          resolve();
        });
        process.kill(c.pid as number, 'SIGKILL');
      });
    };
    const restart = async () => {
      if (stopped) throw new Error('restart() after stop()');
      if (!gone(current)) throw new Error('restart() needs the server killed first (kill())');
      adopt(await startOn(port, tlsPort, dir, opts));
    };
    return {
      port, url: `redis://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, stop, kill, restart,
      ...(opts.tls ? { tlsPort, tlsAddress: `127.0.0.1:${tlsPort}` } : {}),
      get pid() {
        return current.pid as number;
      },
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('redis-server could not be started');
}

/** Engine Redis settings for a server started here (standalone, no prefix, 2 s command timeout). */
export function redisServerSettings(server: RedisServer, extra: Partial<RedisSettings> = {}): RedisSettings {
  return {
    mode: 'standalone', addresses: [server.address], prefix: '', positiveCacheTtlSec: 3600, negativeCacheTtlSec: 3600,
    commandTimeoutMs: 2000, ...extra,
  };
}

