// Build a studio: workspace + settings + engine (recording traces) + HTTP app + service (+ the /api/studio routes).
//
// A workspace that does not load (bad YAML, a script with a syntax error) still opens: the engine starts on an
// empty configuration and the diagnostics are shown, so the user can fix the files in the studio itself.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ReloadResult } from '../api/contract';
import type { AuthStudioConfig } from '../config/types';
import { loadConfigFile, parseConfigText, type LoadOptions } from '../config/load';
import { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { buildHttpApp } from '../http/app';
import { studioTokenProblem } from '../http/studio-guard';
import { registerStudioRoutes } from '../http/studio-routes';
import { registerStudioUi } from '../http/studio-ui';
import { toDiagnostics } from './diagnostics';
import { createStudioLogger } from './log-tap';
import { StudioSettings } from './settings';
import { StudioService } from './studio-service';
import { Workspace } from './workspace';

/** The bundled sample workspace: the default of `authstudio studio`. */
export const BUNDLED_WORKSPACE = path.join(__dirname, '..', '..', '..', 'lua-plugins.d');

export interface OpenStudioOptions {
  workspace: string;
  /** HOST:PORT for the listener (replaces server.address). */
  listen?: string;
  /** "mock" or a redis:// URL; replaces the saved studio choice and the config's connection. */
  redis?: string;
  /** Where log lines also go (stdout for the CLI); the live log stream gets them either way. */
  echoLogs?: { write(line: string): unknown };
  /** Register /api/studio/* on the app (default true). */
  routes?: boolean;
  token?: string;
  /** Watch the workspace for external edits (default true). */
  watch?: boolean;
  env?: Record<string, string | undefined>;
  /**
   * Pipeline worker threads that run the scripts (default 1): the HTTP thread (auth endpoints, studio API, UI)
   * never waits for Lua, and a thread stuck in a script past its timeout is replaced. 0 runs scripts on it.
   */
  workers?: number;
}

export interface Studio {
  engine: AuthEngine;
  app: FastifyInstance;
  service: StudioService;
  workspace: Workspace;
  /** The engine's logger (its lines reach the live log stream). */
  logger: Logger;
  /** The token the studio API needs (`token` as given, else made for this launch); undefined without routes. */
  token?: string;
  /** Stop the service, the HTTP app and the engine (in-flight requests finish first). */
  close(): Promise<void>;
}

export async function openStudio(opts: OpenStudioOptions): Promise<Studio> {
  const root = path.resolve(opts.workspace);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new AuthStudioError('AS_ERR_CONFIG_FILE', `workspace ${root} is not a folder`, { path: '--workspace' });
  }
  const weak = opts.token === undefined ? undefined : studioTokenProblem(opts.token, 'the studio token');
  if (weak) throw new AuthStudioError('AS_ERR_CLI_USAGE', weak, { path: '--token' });
  const workspace = new Workspace(root);
  const settings = new StudioSettings(workspace.root);
  const load: LoadOptions = { redisOverride: opts.redis ?? settings.redisUrl, listenOverride: opts.listen, env: opts.env };

  let config: AuthStudioConfig;
  let startup: ReloadResult | undefined;
  const fallback = () => parseConfigText('{}\n', workspace.configFile, { ...load, checkFiles: false });
  const failed = (e: unknown): ReloadResult => ({
    ok: false, trigger: 'startup', files: [], generation: 1, duration_ms: 0,
    diagnostics: toDiagnostics(e, workspace.root, () => workspace.list().map((f) => f.path)),
  });
  try {
    config = loadConfigFile(workspace.configFile, load);
  } catch (e) {
    if (!(e instanceof AuthStudioError) || e.code === 'AS_ERR_CLI_USAGE') throw e;
    startup = failed(e);
    config = fallback();
  }
  const { logger, tap } = createStudioLogger(config.server.logLevel, opts.echoLogs);
  if (settings.problem) logger.warn({ file: settings.file }, settings.problem);
  const workers = opts.workers ?? 1;
  let engine: AuthEngine;
  try {
    engine = await AuthEngine.create(config, { logger, recordEvents: true, env: opts.env, workers, forwardWorkerLogs: true });
  } catch (e) {
    if (!(e instanceof AuthStudioError)) throw e;
    startup = failed(e);
    engine = await AuthEngine.create(fallback(), { logger, recordEvents: true, env: opts.env, workers, forwardWorkerLogs: true });
  }
  if (startup) logger.warn({ diagnostics: startup.diagnostics }, 'the workspace did not load: serving an empty configuration until it is fixed');
  const app = await buildHttpApp(engine);
  const service = new StudioService({ engine, app, workspace, settings, logger, env: opts.env, watch: opts.watch, startup, redis: opts.redis });
  tap.attach(service.events);
  const routes = (opts.routes ?? true) ? registerStudioRoutes(app, service, { token: opts.token }) : undefined;
  // the UI (renderer/dist) at `/`, next to the API it talks to (added for the renderer, issue 6)
  if (opts.routes ?? true) registerStudioUi(app);
  return {
    engine, app, service, workspace, logger, token: routes?.token,
    async close() {
      tap.detach();
      await service.close();
      await app.close();
      await engine.close();
    },
  };
}
