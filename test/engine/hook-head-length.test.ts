// Content-Length of custom-hook answers to HEAD over a real socket, as Nauthilus 1.10 (Go net/http behind gin)
// sends it: the length of what the hook wrote (the bytes themselves dropped), and no Content-Length at all when
// the hook wrote nothing. Our own hook scripts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildHttpApp } from '../../engine/http/app';
import { workspace, yml } from '../helpers/config-text';

const HOOK = `
local res = require("nauthilus_http_response")
local req = require("nauthilus_http_request")
function nauthilus_run_hook(logging, session)
  res.set_http_response_header("X-Seen", req.get_http_method())
  if req.get_http_method() == "HEAD" then
    res.string(200, "")
  else
    res.string(200, "twelve bytes")
  end
  return nil
end
`;
const WROTE = `
local res = require("nauthilus_http_response")
function nauthilus_run_hook(logging, session)
  res.string(200, "twelve bytes")
  return nil
end
`;
const FIXED = `
local res = require("nauthilus_http_response")
function nauthilus_run_hook(logging, session)
  res.set_http_response_header("Content-Length", "12")
  res.string(200, "")
  return nil
end
`;

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function start(): Promise<string> {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  redis: mock', '  log: {level: error}',
      'lua:', '  custom_hooks:',
      ...['GET', 'HEAD'].map((m) => `    - {http_location: text, http_method: ${m}, script_path: ./hook.lua}`),
      '    - {http_location: wrote, http_method: HEAD, script_path: ./wrote.lua}',
      '    - {http_location: fixed, http_method: HEAD, script_path: ./fixed.lua}',
    ),
    'hook.lua': HOOK, 'wrote.lua': WROTE, 'fixed.lua': FIXED,
  });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(async () => { await app.close(); await engine.close(); });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Raw headers of one request over a socket (fetch hides HEAD details). */
function request(url: string, method: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('Nauthilus 1.10: a HEAD hook answer that wrote no bytes has no Content-Length (Go net/http), GET has its length', async () => {
  const base = await start();
  const get = await request(`${base}/api/v1/custom/text`, 'GET');
  assert.equal(get.headers['content-length'], '12');
  assert.equal(get.body, 'twelve bytes');
  const head = await request(`${base}/api/v1/custom/text`, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['x-seen'], 'HEAD');
  assert.equal(head.headers['content-length'], undefined);
  assert.equal(head.headers['transfer-encoding'], undefined);
});

test('Nauthilus 1.10: a HEAD hook answer that wrote bytes has their length as Content-Length and no body', async () => {
  const base = await start();
  const head = await request(`${base}/api/v1/custom/wrote`, 'HEAD');
  assert.equal(head.headers['content-length'], '12');
  assert.equal(head.body, '');
});

test('Nauthilus 1.10: a Content-Length the HEAD hook sets itself is sent as set', async () => {
  const base = await start();
  const head = await request(`${base}/api/v1/custom/fixed`, 'HEAD');
  assert.equal(head.headers['content-length'], '12');
});
