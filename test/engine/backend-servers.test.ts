// backend_server_monitoring + nauthilus_backend through the HTTP endpoints: nginx mail gets Auth-Server/Auth-Port
// from the server a filter selected among those monitoring lists as alive (Nauthilus 1.10 core/auth.go
// setNginxHeaders and filterLua); a stopped backend drops out of the list; none alive is an "Internal failure".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { parseConfigText } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { workspace } from '../helpers/config-text';
import { backend, BACKEND_LUA, DIRECTOR_LUA, monitoringConfig } from '../helpers/backend-servers';

async function start(servers: Array<{ protocol: string; port: number }> | undefined, opts: { workers?: number; env?: Record<string, string> } = {}): Promise<{ engine: AuthEngine; app: FastifyInstance }> {
  const dir = workspace({ 'authstudio.yml': monitoringConfig(servers), 'backend.lua': BACKEND_LUA, 'director.lua': DIRECTOR_LUA });
  const cfg = parseConfigText(monitoringConfig(servers), `${dir}/authstudio.yml`, { env: {} });
  const engine = await AuthEngine.create(cfg, { logger: pino({ level: 'silent' }), workers: opts.workers, env: opts.env ?? {} });
  const app = await buildHttpApp(engine);
  after(async () => {
    await app.close();
    await engine.close();
  });
  return { engine, app };
}

const nginx = (app: FastifyInstance, protocol: string, pass = 'alice-secret') => app.inject({
  method: 'GET', url: '/api/v1/auth/nginx',
  headers: { 'auth-method': 'plain', 'auth-user': 'alice', 'auth-pass': pass, 'auth-protocol': protocol, 'client-ip': '198.51.100.7' },
});

test('Nauthilus 1.10: nginx gets the backend server a filter selected; a stopped backend is removed by monitoring; none alive is "Internal failure"', async () => {
  const imap1 = await backend('* OK imap1 ready\r\n');
  const imap2 = await backend('* OK imap2 ready\r\n');
  const pop3 = await backend('+OK pop3 ready\r\n');
  after(() => Promise.all([imap1.stop(), imap2.stop(), pop3.stop()]));
  const { engine, app } = await start([{ protocol: 'imap', port: imap1.port }, { protocol: 'imap', port: imap2.port }, { protocol: 'pop3', port: pop3.port }]);
  await engine.backendMonitor.checkNow();

  let res = await nginx(app, 'imap');
  assert.equal(res.headers['auth-status'], 'OK');
  assert.equal(res.headers['auth-server'], '127.0.0.1');
  assert.equal(res.headers['auth-port'], String(imap1.port));
  res = await nginx(app, 'pop3');
  assert.equal(res.headers['auth-port'], String(pop3.port));

  // apply_backend_result adds attributes the backend did not give; remove_from_backend_result drops them
  const header = await app.inject({ method: 'GET', url: '/api/v1/auth/header', headers: { 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.7' } });
  assert.equal(header.statusCode, 200);
  assert.equal(header.headers['x-nauthilus-proxy-host'], `127.0.0.1:${imap1.port}`);
  assert.equal(header.headers['x-nauthilus-mail'], 'alice@example.test', 'an attribute the backend gave is kept');
  assert.equal(header.headers['x-nauthilus-uid'], undefined);

  // the first IMAP backend goes down: the next round of checks drops it, the director picks the other one
  await imap1.stop();
  await engine.backendMonitor.checkNow();
  res = await nginx(app, 'imap');
  assert.equal(res.headers['auth-status'], 'OK');
  assert.equal(res.headers['auth-port'], String(imap2.port));

  // a failed login carries no upstream
  res = await nginx(app, 'imap', 'wrong');
  assert.equal(res.headers['auth-status'], 'Invalid login or password');
  assert.equal(res.headers['auth-server'], undefined);

  // smtp: no server of that protocol, so no filter selects one: Nauthilus sends no Auth-Server at all
  res = await nginx(app, 'smtp');
  assert.equal(res.headers['auth-status'], 'OK');
  assert.equal(res.headers['auth-server'], undefined);
  assert.equal(res.headers['auth-port'], undefined);

  // every backend down: nginx is told "Internal failure"
  await Promise.all([imap2.stop(), pop3.stop()]);
  await engine.backendMonitor.checkNow();
  res = await nginx(app, 'imap');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-status'], 'Internal failure');
  assert.equal(res.headers['auth-server'], undefined);
});

test('Nauthilus 1.10: the servers monitoring finds alive reach the filters on pipeline worker threads', async () => {
  const imap1 = await backend('* OK imap1 ready\r\n');
  const imap2 = await backend('* OK imap2 ready\r\n');
  after(() => Promise.all([imap1.stop(), imap2.stop()]));
  const { engine, app } = await start([{ protocol: 'imap', port: imap1.port }, { protocol: 'imap', port: imap2.port }], { workers: 1 });
  await engine.backendMonitor.checkNow();
  assert.equal((await nginx(app, 'imap')).headers['auth-port'], String(imap1.port));
  await imap1.stop();
  await engine.backendMonitor.checkNow();
  assert.equal((await nginx(app, 'imap')).headers['auth-port'], String(imap2.port));
});

test('Nauthilus 1.10: without backend_server_monitoring nginx gets NAUTHILUS_<PROTO>_BACKEND_ADDRESS/PORT or the defaults', async () => {
  const { app } = await start(undefined, { env: { NAUTHILUS_IMAP_BACKEND_ADDRESS: '192.0.2.25', NAUTHILUS_IMAP_BACKEND_PORT: '1143' } });
  let res = await nginx(app, 'imap');
  assert.equal(res.headers['auth-server'], '192.0.2.25');
  assert.equal(res.headers['auth-port'], '1143');
  res = await nginx(app, 'smtp');
  assert.equal(res.headers['auth-server'], '127.0.0.1');
  assert.equal(res.headers['auth-port'], '5871');
  res = await nginx(app, 'pop3');
  assert.equal(res.headers['auth-port'], '9951');
});
