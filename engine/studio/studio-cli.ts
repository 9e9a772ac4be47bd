// The `studio` and `export` commands: thin wrappers over openStudio and exportBundle for engine/cli.ts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseHostPort } from '../config/net';
import { AuthStudioError } from '../errors/registry';
import { addressError, claimablePort, formatHostPort, listenErrorCode } from '../listen-address';
import { chooseLogFormat, logSink } from '../log-output';
import { studioTokenProblem } from '../http/studio-guard';
import { exportBundle } from './export';
import { importNauthilusConfig } from './import';
import { BUNDLED_WORKSPACE, openStudio } from './open-studio';
import { StudioSettings } from './settings';
import { serveDapOnTcp } from '../debug/dap-server';

type Args = Record<string, string | boolean | undefined>;

/** Default listener of `authstudio studio`. */
export const STUDIO_DEFAULT_LISTEN = '127.0.0.1:9080';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * `authstudio studio`: one listener for the auth endpoints, the studio API (and the UI). Loopback by default;
 * any other address needs a token so that nobody else on the network can rewrite the scripts.
 */
export async function runStudio(
  args: Args, env: NodeJS.ProcessEnv = process.env, opts: { command?: string; onListening?: (address: string) => void } = {},
): Promise<number> {
  const command = opts.command ?? 'studio';
  const asked = (args.listen as string | undefined) ?? STUDIO_DEFAULT_LISTEN;
  const hp = parseHostPort(asked, { allowPortZero: true });
  if (typeof hp === 'string') throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --listen "${asked}" is not HOST:PORT: ${hp}`);
  const logFormat = chooseLogFormat(args['log-format'], process.stdout, command);
  const source = typeof args.token === 'string' ? '--token' : 'AUTHSTUDIO_TOKEN';
  const token = (args.token as string | undefined) ?? (env.AUTHSTUDIO_TOKEN || undefined);
  const weak = token === undefined ? undefined : studioTokenProblem(token, source);
  if (weak) throw new AuthStudioError('AS_ERR_CLI_USAGE', `studio: ${weak}`);
  if (!isLoopbackHost(hp.host) && !token) {
    throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: listening on ${asked} would let other machines edit and run scripts: pass --token (or set AUTHSTUDIO_TOKEN), or listen on 127.0.0.1`);
  }
  // a taken port is reported before anything is imported, started or printed
  const dapAsked = args['dap-listen'] as string | undefined;
  const dapHp = dapAsked === undefined ? undefined : parseHostPort(dapAsked, { allowPortZero: true });
  if (typeof dapHp === 'string') throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --dap-listen "${dapAsked}" is not HOST:PORT: ${dapHp}`);
  if (dapHp && !isLoopbackHost(dapHp.host)) throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --dap-listen ${dapAsked}: the debug adapter asks for no token, so it listens on loopback only (127.0.0.1 or ::1)`);
  const port = await claimablePort(hp.host, hp.port, { nextFree: args['next-free-port'] === true, command });
  const listen = formatHostPort(hp.host, port);
  let workspace = path.resolve((args.workspace as string | undefined) ?? BUNDLED_WORKSPACE);
  if (typeof args.import === 'string') {
    if (args.workspace === undefined) throw new AuthStudioError('AS_ERR_CLI_USAGE', 'studio: --import needs --workspace DIR (a new folder for the imported files)');
    const report = importNauthilusConfig({ config: args.import, into: workspace, scriptsRoot: args['scripts-root'] as string | undefined });
    process.stdout.write(`imported ${report.files.length} files into ${report.workspace}${report.missing.length ? `; missing: ${report.missing.join(', ')}` : ''}${report.refused?.length ? `; refused (outside the imported folder and --scripts-root): ${report.refused.join(', ')}` : ''}\n`);
    workspace = report.workspace;
  }
  const studio = await openStudio({ workspace, listen, redis: args.redis as string | undefined, echoLogs: logSink(logFormat, process.stdout), token, env });
  if (args.record === true) {
    const rec = await studio.service.setRecording({ enabled: true, passwords: args['record-passwords'] === true });
    studio.logger.info({ dir: rec.dir, passwords: rec.passwords }, 'recording the studio\'s requests for what-if and replay');
  } else if (args['record-passwords'] === true) {
    await studio.close();
    throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --record-passwords needs --record`);
  }
  let address: string;
  try {
    address = await studio.app.listen({ host: studio.engine.config.server.host, port: studio.engine.config.server.port });
  } catch (e) {
    // taken between the check and now (another process was quicker)
    const code = listenErrorCode(e);
    await studio.close().catch(() => undefined);
    throw code ? addressError(hp.host, port, code, command) : e;
  }
  let dap: import('node:net').Server | undefined;
  if (dapHp) {
    try {
      dap = await serveDapOnTcp(dapHp.host, dapHp.port, { workspace: studio.workspace.root, configFile: studio.workspace.configFile, redis: () => studio.engine.services.redis });
    } catch (e) {
      await studio.close().catch(() => undefined);
      const code = listenErrorCode(e);
      throw code ? addressError(dapHp.host, dapHp.port, code, command) : e;
    }
    const a = dap.address();
    studio.logger.info({ dap: typeof a === 'object' && a ? formatHostPort(a.address, a.port) : String(a) }, 'debug adapter listening (DAP)');
  }
  studio.logger.info({ address, workspace: studio.workspace.root, studio_api: `${address}/api/studio`, token: token ? 'required' : 'per launch (the studio page gets it from /api/studio/session)' }, 'authstudio studio ready');
  if (port !== hp.port) studio.logger.warn({ asked: formatHostPort(hp.host, hp.port), address }, 'the asked port is in use: listening on the next free port (--next-free-port)');
  opts.onListening?.(address);
  if (args.open) openBrowser(address);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      studio.logger.info({ signal }, 'shutting down: finishing requests in flight');
      dap?.close();
      studio.close().then(resolve, (e: unknown) => {
        studio.logger.error({ err: String(e) }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

function openBrowser(url: string): void {
  const [cmd, ...cmdArgs] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  try {
    const child = spawn(cmd, cmdArgs, { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stdout.write(`open ${url} in a browser\n`));
    child.unref();
  } catch {
    process.stdout.write(`open ${url} in a browser\n`);
  }
}

/** `authstudio export`: write the production bundle and say what was written. */
export async function runExport(args: Args): Promise<number> {
  const configFile = path.resolve(String(args.config));
  const settings = args['include-secrets'] ? new StudioSettings(path.dirname(configFile)) : undefined;
  const report = exportBundle({
    configFile, out: path.resolve(String(args.out)), prefix: args.prefix as string | undefined, studioRedisUrl: settings?.redisUrl,
    includeSecrets: args['include-secrets'] === true, format: args.format as '1.x' | '3.x' | undefined,
  });
  const lines = [
    `exported ${report.files.length} scripts to ${report.out} (scripts referenced under ${report.prefix})`,
    `  ${path.relative(process.cwd(), report.config) || report.config}`,
    ...report.files.map((f) => `  ${path.relative(process.cwd(), f.target) || f.target} -> ${f.referenced_as}`),
    ...report.warnings.map((w) => `warning: ${w}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
