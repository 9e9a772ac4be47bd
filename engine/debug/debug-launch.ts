// One login under the debugger: an engine of its own for the workspace (scripts on this thread, so the debugger
// reaches every VM); a simulated login goes through the real HTTP path, a recorded one (a corpus entry) is replayed.
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfigFile } from '../config/load';
import { AuthEngine } from '../engine';
import { buildHttpApp } from '../http/app';
import { Simulator } from '../studio/simulator';
import { WORKSPACE_CONFIG } from '../studio/workspace';
import type { DebugReplayResult, PresetId, SimFields, SimulateInput, SimulationResult } from '../api/contract-types';
import type { RedisStore } from '../redis/store';
import type { ScriptDebugger } from './debugger';
import { planReplay, replayResult, type ReplayPlan } from './debug-replay';

/** DAP `launch` arguments (and the studio's debug run). */
export interface DebugLaunchArgs {
  /** The workspace folder (with authstudio.yml). */
  workspace: string;
  /** The config file when it is not the workspace's authstudio.yml (the studio's own choice). */
  configFile?: string;
  /** The login's fields (username, password, protocol, client_ip, ...). */
  request?: Partial<SimFields> | string;
  /** The same, for clients whose launch configuration keeps `request` for "launch" (VS Code's launch.json). */
  login?: Partial<SimFields>;
  /** Which client the login imitates (default dovecot-imap). */
  preset?: PresetId;
  /** "mock" or a redis:// URL (default: the workspace's). */
  redis?: string;
  /** Pause at the first line the scripts run. */
  stopOnEntry?: boolean;
  /** Pause at the first line of this stage's scripts: feature, filter, backend, action, hook, init. */
  stage?: string;
  /** Debug a recorded login: the corpus folder (relative: to the workspace) ... */
  corpus?: string;
  /** ... and the entry's number as `authstudio replay` prints it (#1 is the oldest). */
  entry?: number;
}

const STAGE_POOLS: Record<string, string> = {
  feature: 'features', filter: 'filters', backend: 'backend', action: 'actions', post_action: 'actions', hook: 'hooks', init: 'init',
};

/** The stages a launch may pause at the start of. */
export const DEBUG_STAGES = Object.keys(STAGE_POOLS);

/** The engine a debug session runs logins on. */
export class DebugTarget {
  private constructor(
    readonly engine: AuthEngine,
    /** The engine's HTTP routes (custom hooks are called through them). */
    readonly app: FastifyInstance,
    /** With `corpus`: the recorded login this engine replays (its clock is the entry's). */
    readonly replayPlan?: ReplayPlan,
  ) {}

  /**
   * Build the workspace's engine with `dbg` attached (init scripts run now, under the debugger).
   * Throws AuthStudioError for a bad config (file:line).
   */
  static async open(args: DebugLaunchArgs, dbg: ScriptDebugger, redis?: RedisStore): Promise<DebugTarget> {
    // a bad corpus or entry is refused before anything runs
    const plan = args.corpus !== undefined ? planReplay(args.workspace, { corpus: args.corpus, entry: args.entry as number }) : undefined;
    // a shared store (the studio's) stays open when this engine closes
    if (redis) redis = new Proxy(redis, { get: (t, k, r) => (k === 'close' ? async () => undefined : Reflect.get(t, k, r)) });
    dbg.attach();
    dbg.workspaceRoot = args.workspace;
    if (args.stage) {
      const pool = STAGE_POOLS[args.stage];
      if (!pool) throw new Error(`launch: stage must be one of ${Object.keys(STAGE_POOLS).join(', ')} (got "${args.stage}")`);
      dbg.stopOnEntry = (label) => label.startsWith(pool);
    } else if (args.stopOnEntry) dbg.stopOnEntry = () => true;
    const file = args.configFile ?? path.join(path.resolve(args.workspace), WORKSPACE_CONFIG);
    const config = loadConfigFile(file, { redisOverride: redis ? undefined : args.redis ?? 'mock' });
    // a replayed entry sees the clock it was recorded at (as `authstudio replay` runs it)
    const since = Date.now();
    const clock = plan ? () => plan.entry.time + (Date.now() - since) : undefined;
    const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), recordEvents: true, workers: 0, debugger: dbg, redis, clock });
    try {
      return new DebugTarget(engine, await buildHttpApp(engine), plan);
    } catch (e) {
      await engine.close();
      throw e;
    }
  }

  /** Send the login; resolves with the decision and trace once every stage (post actions too) has run. */
  simulate(args: DebugLaunchArgs): Promise<SimulationResult> {
    const given = typeof args.request === 'object' && args.request !== null ? args.request : args.login;
    const { username, password, ...fields } = given ?? {};
    return new Simulator(this.engine, this.app).simulate({ preset: args.preset ?? 'dovecot-imap', username, password, fields });
  }

  /** Send a login as the studio's simulator describes it (preset, fields, mode, custom request). */
  simulateInput(input: SimulateInput): Promise<SimulationResult> {
    return new Simulator(this.engine, this.app).simulate(input);
  }

  /**
   * Run the recorded login this target was opened for (launch `corpus`/`entry`): `say` first tells how it runs
   * (with its password, or as a lookup and why); resolves once its post actions ran.
   */
  async replay(say: (text: string) => void): Promise<DebugReplayResult> {
    const plan = this.replayPlan;
    if (!plan) throw new Error('replay: this debug target was opened without a corpus entry');
    say(plan.note);
    const out = await this.engine.authenticate(plan.req, { recordEvents: true });
    await out.postActions;
    return replayResult(plan, out);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.engine.close();
  }
}
