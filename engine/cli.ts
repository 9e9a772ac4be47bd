// `authstudio` command line: serve | check | simulate | studio | export | convert | dovecot | test | replay | dap | start. Thin: every command drives the engine.
import os from 'node:os';
import pino from 'pino';
import { loadConfigFile, ConfigValidationError } from './config/load';
import { AuthEngine } from './engine';
import { buildHttpApp } from './http/app';
import { AuthStudioError, isAuthStudioError } from './errors/registry';
import { parseArgs, usage, type OptionSpec } from './cli-args';
import { checkWorkspace } from './check';
import { parseDuration } from './config/durations';
import { fromWireHeader } from './http/header-bytes';
import { runStudio, runExport, STUDIO_DEFAULT_LISTEN } from './studio/studio-cli';
import { DOVECOT_OPTIONS, dovecotCommand } from './dovecot/cli-command';
import { UPGRADE_USAGE, dovecotUpgradeCommand } from './dovecot/upgrade-command';
import { CONVERT_USAGE, runConvert } from './config/convert/convert-cli';
import { BACKEND_COMMANDS, type BackendCommand } from './pipeline/backend-commands';
import { addressError, claimablePort, listenErrorCode } from './listen-address';
import { LOG_FORMAT_HELP, chooseLogFormat, logSink } from './log-output';

const NEXT_FREE_PORT_HELP = 'when the --listen port is in use, take the next free one (up to 20 further) instead of stopping';
import { runTestSuite } from './testing/suite';
import { formatFrames } from './lua/lua-error';
import { REPLAY_OPTIONS, REPLAY_USAGE_HEAD, replayCommand } from './replay/replay-cli';
import { CorpusRecorder } from './replay/corpus';
import { CorpusKey } from './replay/password-key';
import { serveDapOverStdio } from './debug/dap-session';

const SERVE: Record<string, OptionSpec> = {
  config: { type: 'string', required: true, description: 'the YAML config (e.g. lua-plugins.d/authstudio.yml)' },
  listen: { type: 'string', description: 'HOST:PORT to listen on (default: server.address, else 127.0.0.1:9080)' },
  redis: { type: 'string', description: '"mock" for the embedded Redis or a redis:// URL' },
  workers: { type: 'string', description: 'pipeline worker threads that run every script: "auto" (default: one per core, at least one) or a number; 0 runs scripts on the HTTP thread (a runaway script then stalls every request)' },
  'shutdown-timeout': { type: 'string', description: 'after SIGTERM/SIGINT, how long requests and post actions may still run (default 10s); what is left then is abandoned and the process exits' },
  'next-free-port': { type: 'boolean', description: NEXT_FREE_PORT_HELP },
  'log-format': { type: 'string', description: LOG_FORMAT_HELP },
  record: { type: 'string', description: 'keep every auth request and its decision in this corpus folder (JSON lines, rotated) for `authstudio replay`; passwords are left out' },
  'record-passwords': { type: 'boolean', description: 'with --record: keep passwords too, sealed (AES-256-GCM) with a key file in your config folder that never leaves this machine' },
};

const TEST: Record<string, OptionSpec> = {
  workspace: { type: 'string', description: 'workspace folder with authstudio.yml and tests/*.test.yml (default: the current folder)' },
  junit: { type: 'string', description: 'write JUnit XML of the results to this file' },
  coverage: { type: 'string', description: 'record line coverage of the workspace scripts, print a per-file summary and write lcov to this file' },
  env: { type: 'string', description: 'the environment of tests/environments.yml whose variables replace {{name}} in the test files' },
  redis: { type: 'string', description: 'run the tests on this real Redis (redis://HOST:PORT/DB; the database must be empty and is flushed after each test) instead of a fresh embedded one per test' },
};

/** `dap` takes its workspace and login from the client's launch request, not from options. */
const DAP: Record<string, OptionSpec> = {};

/** Default for serve --shutdown-timeout: twice the default Redis command timeout, so in-flight requests can end. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const CHECK: Record<string, OptionSpec> = {
  config: { type: 'string', required: true, description: 'the YAML config to validate' },
};
const SIMULATE: Record<string, OptionSpec> = {
  config: { type: 'string', required: true, description: 'the YAML config' },
  user: { type: 'string', required: true, description: 'username' },
  password: { type: 'string', description: 'password (omit with --mode no-auth)' },
  protocol: { type: 'string', description: 'protocol (default imap)' },
  'client-ip': { type: 'string', description: 'client IP (default 127.0.0.1)' },
  mode: { type: 'string', description: 'auth (default), no-auth or list-accounts; or (Nauthilus 3.x) a Lua backend command: delete_totp, add_totp_recovery_codes, delete_totp_recovery_codes, get_webauthn_credentials, save_webauthn_credential, delete_webauthn_credential, update_webauthn_credential' },
  codes: { type: 'string', description: 'with --mode add_totp_recovery_codes: the codes, comma-separated' },
  credential: { type: 'string', description: 'with the WebAuthn commands: the credential as JSON' },
  'old-credential': { type: 'string', description: 'with --mode update_webauthn_credential: the credential it replaces, as JSON' },
  redis: { type: 'string', description: '"mock" or a redis:// URL' },
  json: { type: 'boolean', description: 'print one JSON object' },
};
const STUDIO: Record<string, OptionSpec> = {
  workspace: { type: 'string', description: 'workspace folder with authstudio.yml (default: the bundled lua-plugins.d/)' },
  listen: { type: 'string', description: 'HOST:PORT for the auth endpoints, the studio API and the UI (default 127.0.0.1:9080)' },
  open: { type: 'boolean', description: 'open the studio in a browser' },
  'dap-listen': { type: 'string', description: 'also serve the debug adapter (Debug Adapter Protocol, as `authstudio dap`) on this loopback HOST:PORT for VS Code\'s "debugServer" (docs/debugging.md)' },
  token: { type: 'string', description: 'token the studio API requires: 16+ visible ASCII characters (default: AUTHSTUDIO_TOKEN, else one made per launch; required off loopback)' },
  redis: { type: 'string', description: '"mock" or a redis:// URL for this run (default: the saved studio choice, else the config)' },
  import: { type: 'string', description: 'first import this Nauthilus 1.x config and its scripts into --workspace (a new folder)' },
  'scripts-root': { type: 'string', description: 'with --import: where the scripts named by absolute paths are on this machine' },
  'next-free-port': { type: 'boolean', description: NEXT_FREE_PORT_HELP },
  'log-format': { type: 'string', description: LOG_FORMAT_HELP },
  record: { type: 'boolean', description: 'record the requests the studio serves (simulations, traffic, clients) into the workspace corpus (.authstudio/corpus): a save then first shows which recorded decisions it changes' },
  'record-passwords': { type: 'boolean', description: 'with --record: keep passwords too, sealed with a key file in your config folder that never leaves this machine' },
};
/** `start` (`npm start`) when the desktop app cannot run: the studio in a browser, sample workspace, embedded Redis. */
const START: Record<string, OptionSpec> = {
  listen: { type: 'string', description: 'HOST:PORT for the auth endpoints and the studio (default: AUTHSTUDIO_LISTEN, else 127.0.0.1:9080)' },
  'next-free-port': { type: 'boolean', description: NEXT_FREE_PORT_HELP },
  workspace: { type: 'string', description: 'workspace folder with authstudio.yml (default: the bundled lua-plugins.d/)' },
  'log-format': { type: 'string', description: LOG_FORMAT_HELP },
};
const EXPORT: Record<string, OptionSpec> = {
  config: { type: 'string', required: true, description: 'the workspace config (authstudio.yml)' },
  out: { type: 'string', required: true, description: 'folder to write nauthilus.yml, the scripts and a README to' },
  prefix: { type: 'string', description: 'where the scripts live on the target (default /etc/nauthilus/lua-plugins.d)' },
  'include-secrets': { type: 'boolean', description: "write secrets as they are (passwords, JWT key, the studio settings' Redis connection); otherwise they become ${NAUTHILUS_...} references" },
  format: { type: 'string', description: 'layout of the exported nauthilus.yml: 1.x or 3.x (default: the workspace\'s own); what the other layout cannot express is listed' },
};

/** Every command, its options and what it does (for `--help`). */
const COMMANDS: Record<string, { spec?: Record<string, OptionSpec>; usageText?: string; summary: string }> = {
  start: { spec: START, summary: 'the desktop app when Electron can run here, otherwise the studio for your browser on the sample workspace with the embedded Redis (what `npm start` runs)' },
  studio: { spec: STUDIO, summary: 'the studio: auth endpoints, studio API and UI on one listener, for a workspace folder' },
  serve: { spec: SERVE, summary: 'the auth engine alone (Nauthilus-compatible HTTP endpoints) for a config file' },
  check: { spec: CHECK, summary: 'validate a config and its scripts without starting anything' },
  simulate: { spec: SIMULATE, summary: 'run one login through the pipeline in-process and print the decision and the per-stage trace' },
  export: { spec: EXPORT, summary: 'write a production bundle (nauthilus.yml and the scripts) for Nauthilus' },
  convert: { usageText: CONVERT_USAGE, summary: 'turn a Nauthilus 1.x config into the 3.x layout (or back), naming what could not be carried over' },
  dovecot: { spec: DOVECOT_OPTIONS, summary: 'run a Dovecot Lua passdb/userdb script in the harness (2.3 or 2.4) and print status and fields' },
  'dovecot upgrade': { usageText: UPGRADE_USAGE, summary: 'rewrite a Dovecot 2.3 Lua script for Dovecot 2.4 and list what changed' },
  replay: { usageText: usage('replay', REPLAY_OPTIONS).replace('authstudio replay', REPLAY_USAGE_HEAD), summary: 'run a corpus recorded with `serve --record` through a workspace (or two, with --against) and list every request whose decision, status message or stage path changes; exit 1 when one does' },
  dap: { spec: DAP, summary: 'a debug adapter on stdin/stdout (Debug Adapter Protocol): VS Code and any DAP client debug the workspace\'s scripts in a simulated login (docs/debugging.md)' },
  test: { spec: TEST, summary: 'run the workspace\'s tests (saved requests, Nauthilus --test-lua fixtures, Dovecot tests); exit 1 on a failure' },
};

const usageOf = (name: string): string => COMMANDS[name].usageText ?? usage(name, COMMANDS[name].spec!);

/** Entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `authstudio <command> --help` prints that command's usage and starts nothing
    if (command !== undefined && COMMANDS[command] && rest.some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(commandHelp(command === 'dovecot' && rest[0] === 'upgrade' ? 'dovecot upgrade' : command));
      return 0;
    }
    switch (command) {
      case 'serve':
        return await serve(parseArgs(rest, SERVE, 'serve'));
      case 'start': {
        // `npm start` without the desktop app (bin/authstudio tries Electron first): the studio on the bundled
        // workspace with the embedded Redis, opened in a browser when one can be started
        const args = parseArgs(rest, START, 'start');
        const listen = (args.listen as string | undefined) ?? process.env.AUTHSTUDIO_LISTEN ?? STUDIO_DEFAULT_LISTEN;
        return await runStudio({ ...args, open: true, redis: 'mock', listen }, process.env, { command: 'start', onListening: printTryIt });
      }
      case 'check':
        return await check(parseArgs(rest, CHECK, 'check'));
      case 'simulate':
        return await simulate(parseArgs(rest, SIMULATE, 'simulate'));
      case 'dap':
        parseArgs(rest, DAP, 'dap');
        return await serveDapOverStdio();
      case 'studio':
        return await runStudio(parseArgs(rest, STUDIO, 'studio'));
      case 'export':
        return await runExport(parseArgs(rest, EXPORT, 'export'));
      case 'convert':
        return runConvert(rest);
      case 'dovecot':
        if (rest[0] === 'upgrade') return await dovecotUpgradeCommand(rest.slice(1));
        return await dovecotCommand(parseArgs(rest, DOVECOT_OPTIONS, 'dovecot'));
      case 'replay':
        try {
          const corpus = rest[0] !== undefined && !rest[0].startsWith('--') ? rest[0] : undefined;
          return await replayCommand(corpus, parseArgs(corpus === undefined ? rest : rest.slice(1), REPLAY_OPTIONS, 'replay'));
        } catch (e) {
          reportFatal(e);
          return 2;
        }
      case 'test': {
        const a = parseArgs(rest, TEST, 'test');
        const r = await runTestSuite({ workspace: (a.workspace as string | undefined) ?? '.', junit: a.junit as string | undefined, coverage: a.coverage as string | undefined, redis: a.redis as string | undefined, environment: a.env as string | undefined });
        return r.failed > 0 || r.cases.length === 0 ? 1 : 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        if (command === 'help' && rest[0] && COMMANDS[rest[0]]) {
          process.stdout.write(commandHelp(rest[0]));
          return 0;
        }
        process.stdout.write(helpText());
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`authstudio: unknown command "${command}"\n\n${helpText()}`);
        return 2;
    }
  } catch (e) {
    return reportFatal(e);
  }
}

function commandHelp(command: string): string {
  const c = COMMANDS[command];
  const text = c.usageText ? `authstudio ${command}: ${c.summary}\n${c.usageText}` : usage(command, c.spec!).replace(/^authstudio \S+/, (head) => `${head}: ${c.summary}`);
  return `${text}\n  --help  print this help and exit\n`;
}

function helpText(): string {
  return [
    'AuthStudio: a Nauthilus-compatible auth engine for Lua-scripted mail authentication.',
    '',
    'Commands (`authstudio COMMAND --help` or `authstudio help COMMAND` for one):',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`),
    '',
    ...Object.keys(COMMANDS).map(usageOf),
    '',
  ].join('\n');
}

function reportFatal(e: unknown): number {
  if (e instanceof ConfigValidationError) {
    for (const err of e.errors) process.stderr.write(err.format() + '\n');
    return 1;
  }
  if (isAuthStudioError(e)) {
    process.stderr.write(`${e.format()}\n`);
    return e.code === 'AS_ERR_CLI_USAGE' ? 2 : 1;
  }
  process.stderr.write(`authstudio: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 70;
}

async function serve(args: Record<string, string | boolean | undefined>): Promise<number> {
  const config = loadConfigFile(String(args.config), { redisOverride: args.redis as string | undefined, listenOverride: args.listen as string | undefined });
  const logFormat = chooseLogFormat(args['log-format'], process.stdout, 'serve');
  const workers = workerCount(args.workers as string | undefined);
  const shutdownMs = shutdownTimeout(args['shutdown-timeout'] as string | undefined);
  // a taken port is reported before the engine starts or anything is logged
  const port = await claimablePort(config.server.host, config.server.port, { nextFree: args['next-free-port'] === true, command: 'serve' });
  const logger = logFormat === 'json' ? pino({ level: config.server.logLevel }) : pino({ level: config.server.logLevel }, logSink(logFormat, process.stdout));
  for (const w of config.warnings ?? []) logger.warn({ code: w.code, path: w.path, line: w.location?.line }, w.message);
  // readable logs: the worker threads' lines go through this logger (as JSON they go straight to stdout)
  const engine = await AuthEngine.create(config, { logger, workers, forwardWorkerLogs: logFormat !== 'json' });
  const recorder = recorderFor(args, engine, logger);
  const app = await buildHttpApp(engine);
  let address: string;
  try {
    address = await app.listen({ host: config.server.host, port });
  } catch (e) {
    const code = listenErrorCode(e);
    await app.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    throw code ? addressError(config.server.host, port, code, 'serve') : e;
  }
  if (port !== config.server.port) logger.warn({ asked: config.server.port, address }, 'the asked port is in use: listening on the next free port (--next-free-port)');
  logger.info({ address, config: config.file, redis: config.server.redis.mode, workers }, 'authstudio serving');
  if (workers === 0) logger.warn('--workers 0: scripts run on the HTTP thread; a script stuck in a long C call (string.find) stalls every request until it ends');
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, shutdown_timeout_ms: shutdownMs }, 'shutting down: finishing requests in flight');
      const deadline = performance.now() + shutdownMs;
      // last resort when a step does not end (it fires only while something still holds the process)
      setTimeout(() => {
        logger.error({ shutdown_timeout_ms: shutdownMs }, 'shutdown did not finish in time: exiting now');
        process.exit(1);
      }, shutdownMs + 2000).unref();
      // fastify.close stops accepting and waits for in-flight requests (until the deadline); then post actions
      // (until the deadline), pools, Redis
      const untilDeadline = new Promise<void>((r) => setTimeout(r, shutdownMs).unref());
      Promise.race([app.close(), untilDeadline]).then(() => engine.close({ deadline })).then(resolve, (e) => {
        logger.error({ err: String(e) }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // SIGHUP: re-read the config file and every script; a broken version is logged and the running one stays
    process.on('SIGHUP', () => {
      if (stopping) return;
      let next;
      try {
        next = loadConfigFile(String(args.config), { redisOverride: args.redis as string | undefined, listenOverride: args.listen as string | undefined });
      } catch (e) {
        logger.error({ err: reloadError(e) }, 'reload refused: the configuration has errors; the running version stays');
        return;
      }
      engine.reload(next).then(
        (report) => logger.info(report, 'reloaded'),
        (e) => logger.error({ err: reloadError(e) }, 'reload refused; the running version stays'),
      );
    });
  });
  process.removeAllListeners('SIGHUP');
  recorder?.stop();
  // work abandoned at the deadline (a post action's timer, a socket) must not keep the process alive
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  return 0;
}

/** --record DIR [--record-passwords]: the corpus recorder attached to the engine (passwords only on opt-in). */
function recorderFor(args: Record<string, string | boolean | undefined>, engine: AuthEngine, logger: pino.Logger): CorpusRecorder | undefined {
  const dir = args.record as string | undefined;
  if (dir === undefined) {
    if (args['record-passwords']) throw new AuthStudioError('AS_ERR_CLI_USAGE', 'serve: --record-passwords needs --record DIR');
    return undefined;
  }
  const key = args['record-passwords'] ? CorpusKey.load({ create: true }) : undefined;
  const recorder = new CorpusRecorder(dir, key).attach(engine);
  logger.info({ dir, passwords: key ? `sealed with ${key.file}` : 'not recorded' }, 'recording requests for replay');
  return recorder;
}

/** --shutdown-timeout: a Go duration ("10s", "1m"); default DEFAULT_SHUTDOWN_TIMEOUT_MS. */
function shutdownTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    ms = NaN;
  }
  if (!(ms > 0)) throw new AuthStudioError('AS_ERR_CLI_USAGE', `serve: --shutdown-timeout must be a positive duration like "10s", not "${value}"`);
  return ms;
}

/**
 * --workers: a number, or "auto" (default): one pipeline thread per core, at least one, so the HTTP thread never
 * waits for Lua (/ping answers while a script misbehaves) and a thread stuck in a script can be replaced.
 */
function workerCount(value: string | undefined): number {
  if (value === undefined || value === 'auto') return Math.max(1, os.availableParallelism());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new AuthStudioError('AS_ERR_CLI_USAGE', `serve: --workers must be "auto" or a whole number from 0 to 64, not "${value}"`);
  return n;
}

function reloadError(e: unknown): string {
  if (e instanceof ConfigValidationError) return e.errors.map((x) => x.format()).join('; ');
  return isAuthStudioError(e) ? e.format() : String((e as Error)?.message ?? e);
}

/** The `start` banner, printed once the studio listens (never when the port is taken). */
function printTryIt(address: string): void {
  const base = address.replace(/\/$/, '');
  process.stdout.write([
    '',
    `AuthStudio studio: ${base}/  (the sample workspace lua-plugins.d/ with the embedded Redis; open it in a browser)`,
    'Try a login (sample users: alice / alice-secret, bob / bob-secret):',
    '',
    `  curl -i -X POST ${base}/api/v1/auth/json -H 'Content-Type: application/json' \\`,
    `    -d '{"username":"alice","password":"alice-secret","client_ip":"198.51.100.7","protocol":"imap"}'`,
    '',
    'A wrong password gives 403, a blocked network (the demo feature blocks 203.0.113.0/24) too:',
    `  curl -i -H 'Auth-User: alice' -H 'Auth-Pass: alice-secret' -H 'Client-IP: 203.0.113.9' -H 'Auth-Protocol: imap' ${base}/api/v1/auth/header`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'));
}

async function check(args: Record<string, string | boolean | undefined>): Promise<number> {
  const problems = await checkWorkspace(String(args.config));
  for (const p of problems) process.stderr.write((p.severity === 'warning' ? 'warning: ' : '') + p.format() + '\n');
  // warnings (an init script that fails when run here) do not stop the engine, so they do not fail the check
  if (problems.every((p) => p.severity === 'warning')) {
    const warned = problems.length ? ` (${problems.length} warning${problems.length === 1 ? '' : 's'})` : '';
    process.stdout.write(`${args.config}: configuration and scripts OK${warned}\n`);
    return 0;
  }
  return 1;
}

async function simulate(args: Record<string, string | boolean | undefined>): Promise<number> {
  const config = loadConfigFile(String(args.config), { redisOverride: args.redis as string | undefined });
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), recordEvents: true });
  try {
    const mode = (args.mode as string | undefined) ?? 'auth';
    if (Object.prototype.hasOwnProperty.call(BACKEND_COMMANDS, mode)) return await backendCommand(engine, mode as BackendCommand, args);
    if (mode !== 'auth' && mode !== 'no-auth' && mode !== 'list-accounts') {
      throw new AuthStudioError('AS_ERR_CLI_USAGE', `simulate: --mode must be auth, no-auth, list-accounts or a backend command (${Object.keys(BACKEND_COMMANDS).join(', ')})`);
    }
    const app = await buildHttpApp(engine);
    // through the real HTTP path, in-process (no port)
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/auth/json${mode === 'auth' ? '' : `?mode=${mode}`}`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: {
        username: args.user, password: args.password ?? '', protocol: args.protocol ?? 'imap', client_ip: args['client-ip'] ?? '127.0.0.1',
      },
    });
    const trace = engine.lastTrace(res.headers['x-nauthilus-session'] as string | undefined);
    const post = trace ? await trace.postActions : [];
    const decision = res.statusCode === 200 ? 'ok' : res.statusCode === 403 ? 'fail' : 'tempfail';
    let body: unknown = res.body;
    try { body = JSON.parse(res.body); } catch { /* text body (list-accounts) */ }
    const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, typeof v === 'string' ? fromWireHeader(v) : v]));
    const result = { decision, status: res.statusCode, headers, body, trace: [...(trace?.trace ?? []), ...post] };
    if (args.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      process.stdout.write(`decision: ${decision} (HTTP ${res.statusCode}, Auth-Status: ${headers['auth-status'] ?? '-'})\n`);
      for (const r of result.trace) {
        const flags = [r.triggered ? 'triggered' : '', r.abort ? 'abort' : '', r.reject ? 'reject' : ''].filter(Boolean).join(',');
        process.stdout.write(`  ${r.stage.padEnd(12)} ${r.name.padEnd(20)} ${String(r.duration_ms).padStart(8)} ms  ${r.result}${flags ? ` [${flags}]` : ''}${r.error ? `  ${r.error}` : ''}\n`);
        if (r.traceback?.length) process.stdout.write(`      stack traceback:\n${formatFrames(r.traceback).replace(/^/gm, '    ')}\n`);
        for (const [k, v] of Object.entries(r.logs)) process.stdout.write(`      ${k}=${v}\n`);
        // Nauthilus 3.x policy layer: which policy decided (or would have) and the attributes it saw
        if (r.policy) {
          const p = r.policy;
          process.stdout.write(`      policy ${p.policy} (${p.stage}, ${p.mode}${p.enforced ? '' : ', not applied'}): ${p.decision}${p.obligations.length ? `; obligations ${p.obligations.join(', ')}` : ''}\n`);
          for (const c of p.checks ?? []) process.stdout.write(`        check ${c.name}: ${c.status}${c.reason ? ` (${c.reason})` : ''}\n`);
          for (const [k, v] of Object.entries(p.attributes)) process.stdout.write(`        ${k} = ${JSON.stringify(v)}\n`);
        }
      }
    }
    return 0;
  } finally {
    await engine.close();
  }
}

/** simulate --mode <backend command>: run one of Nauthilus 3.0's MFA commands of the Lua backend. */
async function backendCommand(engine: AuthEngine, cmd: BackendCommand, args: Record<string, string | boolean | undefined>): Promise<number> {
  const text = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
  const codes = text('codes')?.split(',').map((c) => c.trim()).filter(Boolean);
  const credentials = await engine.backendCommand(cmd, { username: String(args.user), codes, credential: text('credential'), oldCredential: text('old-credential') });
  const result = { command: BACKEND_COMMANDS[cmd], result: 'ok', ...(credentials ? { credentials } : {}) };
  if (args.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(`${result.command}: ok${credentials ? `\n${credentials.map((c) => `  ${JSON.stringify(c)}`).join('\n')}` : ''}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
