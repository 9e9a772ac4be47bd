// Nauthilus 1.10 with server.insights.monitor_connections: targets an init script registers through nauthilus_psnet
// (and the HTTP server's own address) are counted and exported as generic_connections on /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pino from 'pino';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';

test('Nauthilus 1.10: an init script registers a psnet target; with monitor_connections its connections show on /metrics', { skip: !fs.existsSync('/proc/net/tcp') && 'no /proc/net/tcp' }, async () => {
  const server = net.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = await new Promise<net.Socket>((r) => {
    const c = net.connect(port, '127.0.0.1', () => r(c));
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-psnet-'));
  fs.mkdirSync(path.join(dir, 'init'));
  fs.writeFileSync(path.join(dir, 'init', 'init.lua'), [
    'dynamic_loader("nauthilus_psnet")',
    'local psnet = require("nauthilus_psnet")',
    'function nauthilus_run_hook()',
    `  psnet.register_connection_target("127.0.0.1:${port}", "remote", "backend")`,
    'end',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'authstudio.yml'), [
    'server:',
    '  address: 127.0.0.1:9080',
    '  redis: mock',
    '  insights: {monitor_connections: true, enable_pprof: true}',
    'lua:',
    '  config: {init_script_path: ./init/init.lua}',
  ].join('\n'));
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }) });
  try {
    engine.services.connections!.updateCounts(); // what the 5 s ticker does
    const text = await engine.metricsText();
    assert.match(text, new RegExp(`generic_connections\\{description="backend",target="127\\.0\\.0\\.1:${port}",direction="remote"\\} 1`));
    assert.match(text, /generic_connections\{description="HTTP server",target="127\.0\.0\.1:9080",direction="local"\} \d+/);
  } finally {
    await engine.close();
    client.destroy();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
