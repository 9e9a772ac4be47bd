// Test helper: an engine + fastify app on a fixture workspace, driven with inject() (no port).
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';

export const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');

export interface EngineFixture {
  engine: AuthEngine;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Start an engine on `test/fixtures/<name>/authstudio.yml`; `redis` overrides the config's Redis. */
export async function startFixture(name: string, opts: { redis?: string; env?: Record<string, string>; configFile?: string; logger?: Logger } = {}): Promise<EngineFixture> {
  const config = loadConfigFile(opts.configFile ?? path.join(FIXTURES, name, 'authstudio.yml'), { redisOverride: opts.redis, env: { ...process.env, ...opts.env } });
  const engine = await AuthEngine.create(config, { logger: opts.logger ?? pino({ level: 'silent' }), env: { ...process.env, ...opts.env } });
  const app = await buildHttpApp(engine);
  return {
    engine,
    app,
    async close() {
      await app.close();
      await engine.close();
    },
  };
}

/** POST /api/v1/auth/json with these fields. */
export function jsonLogin(app: FastifyInstance, fields: Record<string, unknown>, query = '') {
  return app.inject({ method: 'POST', url: `/api/v1/auth/json${query}`, payload: fields });
}
