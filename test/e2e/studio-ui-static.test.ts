// The studio serves the built UI at `/` next to the auth endpoints, and says what to do when it is not built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { registerStudioUi, STUDIO_UI_CSP } from '../../engine/http/studio-ui';

function distWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-ui-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('index.html at / and every built file at its name, with the CSP; other paths stay the app\'s 404', async () => {
  const dist = distWith({ 'index.html': '<!doctype html><p>studio', 'app.js': 'void 0', 'codicon.ttf': 'ttf', 'notes.txt': 'not served' });
  const app = Fastify();
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'AS_ERR_NOT_FOUND' }));
  registerStudioUi(app, dist);
  try {
    const index = await app.inject({ url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.headers['content-type'] as string, /^text\/html/);
    assert.equal(index.headers['content-security-policy'], STUDIO_UI_CSP);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.match(index.body, /<p>studio/);
    const js = await app.inject({ url: '/app.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.equal((await app.inject({ url: '/codicon.ttf' })).headers['content-type'], 'font/ttf');
    for (const url of ['/notes.txt', '/../package.json', '/%2e%2e/package.json', '/api/v1/nope']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.deepEqual(JSON.parse(res.body), { error: 'AS_ERR_NOT_FOUND' }, url);
    }
  } finally {
    await app.close();
    fs.rmSync(dist, { recursive: true, force: true });
  }
});

test('without a build, / says how to build the UI', async () => {
  const app = Fastify();
  registerStudioUi(app, path.join(os.tmpdir(), 'as-ui-missing-dist'));
  try {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
  } finally {
    await app.close();
  }
});
