// Test helper: a private redis-server on a free loopback port (nothing on disk), stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RedisSettings } from '../../engine/config/types';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as Nauthilus configs and register_redis_pool write addresses. */
  address: string;
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

/** A port that was free a moment ago (listen on port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Send PING and resolve when +PONG comes back; reject on any socket error. */
function ping(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error('PING timed out')));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) {
        sock.end();
        if (buf.startsWith('+PONG')) resolve();
        else reject(new Error(`unexpected reply to PING: ${buf.trim()}`));
      }
    });
    sock.once('error', reject);
  });
}

/** Start redis-server once on `port`; resolves when it answers PING, rejects with its output if it exits. */
function startOn(port: number, dir: string, opts: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', ...(opts.args ?? [])];
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
      if (/Ready to accept connections/.test(output) && !settled) ping(port, 2000).then(() => finish(), (e) => finish(e));
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
    let child: ChildProcess;
    try {
      child = await startOn(port, dir, opts);
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
      adopt(await startOn(port, dir, opts));
    };
    return {
      port, url: `redis://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, stop, kill, restart,
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
