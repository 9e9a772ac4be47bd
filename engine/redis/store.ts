// The engine's Redis: a real server through ioredis, or the embedded ioredis-mock (the default).
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import Redis, { type RedisOptions, Cluster } from 'ioredis';
import type { RedisSettings } from '../config/types';
import { AuthStudioError } from '../errors/registry';
import { failFastWhenUnresponsive } from './fail-fast';
import { evalOnServer, LocalScriptLocks, type AtomicScript, type ScriptArg } from './atomic-script';
import { deleteKeys, execSplitBySlot, scanAll } from './cluster-slots';

/** One command of a batch: its name (an ioredis method) and arguments. */
export type RedisCommand = [string, ...Array<string | number>];

/** The client type scripts and the pipeline use: ioredis' API (the mock implements the same). */
export type RedisClient = Redis | Cluster;

let mockCtor: (new (opts?: Record<string, unknown>) => Redis) | undefined;
function loadMock(): new (opts?: Record<string, unknown>) => Redis {
  // required lazily: a production `serve` against a real Redis never loads the mock
  mockCtor ??= require('ioredis-mock') as new (opts?: Record<string, unknown>) => Redis;
  return mockCtor;
}

let mockInstances = 0;

/**
 * Command timeout when the config names none (the default the Lua module uses too). Without one, a Redis
 * that stops answering (frozen, or a network partition that drops packets) holds every request forever.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

/** How long close() waits for Redis to answer QUIT before it drops the connection. */
const QUIT_WAIT_MS = 1000;

/**
 * TLS options for `settings` (undefined without TLS). Like Nauthilus' RedisTLSOptions: an optional client
 * certificate, an optional CA file replacing the system's CAs, verification unless skip-verify. A file that cannot
 * be read is an error here (Nauthilus logs it and connects without TLS).
 */
export function redisTlsOptions(settings: RedisSettings): ConnectionOptions | undefined {
  if (!settings.tls) return undefined;
  const read = (what: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new AuthStudioError('AS_ERR_REDIS', `cannot read the Redis TLS ${what} "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const opts: ConnectionOptions = { rejectUnauthorized: !settings.tlsSkipVerify };
  if (settings.tlsCaFile) opts.ca = read('CA file', settings.tlsCaFile);
  // Go loads the pair only when both are named
  if (settings.tlsCertFile && settings.tlsKeyFile) {
    opts.cert = read('certificate', settings.tlsCertFile);
    opts.key = read('key', settings.tlsKeyFile);
  }
  return opts;
}

/** Build a client for one Redis setting. `mock` gives a fresh, private in-memory database. */
export function createRedisClient(settings: RedisSettings): RedisClient {
  if (settings.mode === 'mock') {
    const Mock = loadMock();
    // ioredis-mock shares data between instances with the same host/port: give each engine its own.
    mockInstances += 1;
    return new Mock({ host: `authstudio-embedded-${process.pid}-${mockInstances}`, port: 6379, keyPrefix: settings.prefix || undefined });
  }
  const base: RedisOptions = {
    password: settings.password,
    username: settings.username,
    db: settings.database,
    keyPrefix: settings.prefix || undefined,
    // a request must fail (tempfail) rather than wait for a reconnect forever
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    commandTimeout: settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: false,
  };
  const tls = redisTlsOptions(settings);
  if (tls) base.tls = tls;
  let client: RedisClient;
  if (settings.mode === 'cluster') {
    client = new Cluster(settings.addresses.map(parseHostPort), { redisOptions: base, keyPrefix: base.keyPrefix });
  } else if (settings.mode === 'sentinel') {
    client = new Redis({
      ...base,
      sentinels: settings.addresses.map(parseHostPort),
      name: settings.sentinelMaster,
      role: settings.sentinelReplica ? 'slave' : 'master',
      sentinelUsername: settings.sentinelUsername,
      sentinelPassword: settings.sentinelPassword,
      // go-redis uses the TLS config for the sentinels and the data nodes alike
      ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    });
  } else {
    const { host, port } = parseHostPort(settings.addresses[0] ?? '127.0.0.1:6379');
    client = new Redis({ ...base, host, port });
  }
  // one command timeout per outage, not one per command: later commands fail at once until Redis answers
  const breaker = failFastWhenUnresponsive(client, base.commandTimeout as number);
  client.once('end', () => breaker.stop());
  return client;
}

function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr);
  if (!m) return { host: addr, port: 6379 };
  return { host: m[1], port: Number(m[2]) };
}

/**
 * The default connection plus named pools registered from Lua (`register_redis_pool`).
 * "default" always names the engine's own connection.
 */
export class RedisStore {
  readonly settings: RedisSettings;
  readonly client: RedisClient;
  private readonly pools = new Map<string, RedisClient>();
  /** The last connection error of each client (a TLS or sentinel failure ioredis reports only as an event). */
  private readonly lastErrors = new WeakMap<RedisClient, Error>();
  private readonly scriptLocks = new LocalScriptLocks();

  constructor(settings: RedisSettings, client?: RedisClient) {
    this.settings = settings;
    this.client = client ?? createRedisClient(settings);
    // connection errors surface per command (tempfail); do not crash on the emitter
    this.client.on('error', (e: Error) => this.lastErrors.set(this.client, e));
    this.client.on('ready', () => this.lastErrors.delete(this.client));
  }

  get mode(): RedisSettings['mode'] {
    return this.settings.mode;
  }

  /** The client for a handle name; "default" (or nil) is the engine's own. */
  connection(name: string | undefined): RedisClient {
    if (name === undefined || name === 'default') return this.client;
    const c = this.pools.get(name);
    if (!c) throw new AuthStudioError('AS_ERR_REDIS', `no Redis pool named "${name}" is registered`);
    return c;
  }

  registerPool(name: string, settings: RedisSettings): void {
    if (name === 'default') throw new AuthStudioError('AS_ERR_REDIS', 'the pool name "default" is reserved');
    const old = this.pools.get(name);
    if (old) return; // registering again (init scripts re-run on reload) keeps the open connection
    const c = createRedisClient(settings);
    c.on('error', (e: Error) => this.lastErrors.set(c, e));
    c.on('ready', () => this.lastErrors.delete(c));
    this.pools.set(name, c);
  }

  /** Why the named connection failed to connect, while it is not connected (undefined when it is). */
  connectionError(name: string): Error | undefined {
    const c = name === 'default' ? this.client : this.pools.get(name);
    if (!c || c.status === 'ready') return undefined;
    return this.lastErrors.get(c);
  }

  hasPool(name: string): boolean {
    return name === 'default' || this.pools.has(name);
  }

  /**
   * Run commands in order as one batch and return their replies; the first failed command throws (a
   * tempfail for the caller, never a pass). `atomic` asks for MULTI/EXEC on a real server. The embedded
   * store runs each command synchronously when it is issued, so issuing them back to back is already
   * atomic there, and skips ioredis-mock's pipeline object, which copies its whole command table on
   * every creation (~34 µs against ~2 µs for the commands themselves).
   */
  async batch(commands: RedisCommand[], atomic = false): Promise<unknown[]> {
    const c = this.client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    if (this.settings.mode === 'mock') return Promise.all(commands.map(([cmd, ...args]) => c[cmd](...args)));
    // on a Redis Cluster one MULTI per hash slot (cluster-slots.ts)
    const res = await execSplitBySlot(this.client, commands, atomic);
    for (const [err] of res) if (err) throw err;
    return res.map(([, v]) => v);
  }

  /** DEL of several keys (one DEL per hash slot on a Redis Cluster); how many were removed. */
  deleteKeys(keys: string[]): Promise<number> {
    return deleteKeys(this.client, keys);
  }

  /**
   * The keys matching a SCAN pattern written as scripts name keys (the key prefix is added to the pattern and
   * stripped from the answers); every master of a Redis Cluster is scanned.
   */
  async scanKeys(pattern: string): Promise<string[]> {
    const prefix = this.settings.prefix ?? '';
    const keys = await scanAll(this.client, prefix + pattern);
    return keys.map((k) => (prefix && k.startsWith(prefix) ? k.slice(prefix.length) : k));
  }

  /**
   * Run an atomic script on the engine's own connection: EVALSHA on a real server (EVAL after NOSCRIPT),
   * the script's JavaScript version on the embedded store, where scripts sharing a key run one at a time.
   */
  runScript(script: AtomicScript, keys: string[], args: ScriptArg[]): Promise<unknown> {
    if (this.settings.mode === 'mock') return this.scriptLocks.run(keys, () => script.local(this.client, keys, args));
    return evalOnServer(this.client, script, keys, args);
  }

  /**
   * Run an atomic script whose answer nobody waits for (a brute-force slot given back, a toleration count): it is
   * started now, in order with the calls this store runs after it, and the caller goes on at once (a worker sends it
   * with its next message and gets no reply). A failure costs only what the script would have done (a slot lapses,
   * one count is lost); the main thread logs the failures of workers' detached scripts.
   */
  runScriptDetached(script: AtomicScript, keys: string[], args: ScriptArg[]): void {
    this.runScript(script, keys, args).catch(() => undefined);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Close every connection; each gets `quitWaitMs` (default 1 s) to answer QUIT, then it is dropped. */
  async close(quitWaitMs = QUIT_WAIT_MS): Promise<void> {
    const all = [this.client, ...this.pools.values()];
    this.pools.clear();
    // QUIT waits for an answer: a frozen Redis would hold shutdown for the command timeout, so give it 1 s
    await Promise.all(all.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), quitWaitMs)));
        if ((await Promise.race([c.quit(), late])) === 'late') c.disconnect();
      } catch {
        c.disconnect();
      } finally {
        clearTimeout(timer);
      }
    }));
  }
}
