// The /api/studio/* routes on a real listener: token and loopback protection, method routing, the event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHttpClient } from '../../engine/api/http-client';
import { StudioError, type ReloadResult } from '../../engine/api/contract';
import { parseSseBlock, splitSseBuffer } from '../../engine/api/sse';
import { nextEvent, startStudio } from './studio-fixture';

const TOKEN = 'a-long-test-token-0123456789';

/** A raw request with headers fetch would not let us set (Host). */
function rawRequest(url: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('with a token every studio call needs it; the auth endpoints stay as they are', async () => {
  const h = await startStudio('http', { token: TOKEN });
  try {
    const anonymous = createHttpClient(h.url!);
    await assert.rejects(anonymous.getStatus(), (e: StudioError) => e.code === 'AS_ERR_UNAUTHORIZED' && e.status === 401);
    await assert.rejects(anonymous.connect(), (e: StudioError) => e.status === 401);
    await anonymous.close();
    const wrong = createHttpClient(h.url!, { token: 'x'.repeat(TOKEN.length) });
    await assert.rejects(wrong.listFiles(), (e: StudioError) => e.status === 401);
    await wrong.close();
    assert.equal((await h.client.getStatus()).healthy, true, 'the client with the token works (and its event stream connected)');
    const sse = await fetch(`${h.url}/api/studio/events?token=${TOKEN}`);
    assert.equal(sse.status, 200, 'EventSource-style ?token= works for the stream');
    await sse.body?.cancel();
    const login = await fetch(`${h.url}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-secret' }) });
    assert.equal(login.status, 200);
  } finally {
    await h.close();
  }
});

test('without --token only loopback hosts and the own origin are served, with the per-launch token (no DNS rebinding, no foreign pages)', async () => {
  const h = await startStudio('http');
  try {
    const bearer = { authorization: `Bearer ${h.studio.token}` };
    const call = (headers: Record<string, string>) => rawRequest(h.url!, { method: 'POST', path: '/api/studio/call/listFiles', headers: { 'content-type': 'application/json', ...bearer, ...headers }, body: '{}' });
    assert.equal((await call({})).status, 200);
    assert.equal((await call({ authorization: '' })).status, 401);
    assert.equal((await call({ host: 'attacker.example:9080' })).status, 403);
    assert.equal((await call({ origin: 'https://attacker.example' })).status, 403);
    assert.equal((await call({ origin: new URL(h.url!).origin })).status, 200);
    const unknown = await rawRequest(h.url!, { method: 'POST', path: '/api/studio/call/constructor', headers: { 'content-type': 'application/json', ...bearer }, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'AS_ERR_NOT_FOUND');
    const notObject = await rawRequest(h.url!, { method: 'POST', path: '/api/studio/call/readFile', headers: { 'content-type': 'application/json', ...bearer }, body: '["features/blocklist.lua"]' });
    assert.equal(notObject.status, 400);
    const contract = await (await fetch(`${h.url}/api/studio/contract`, { headers: bearer })).json() as { methods: string[]; events: string[] };
    assert.ok(contract.methods.includes('saveFile') && contract.events.includes('reload'));
  } finally {
    await h.close();
  }
});

test('the event stream carries only the events asked for, and closing the server ends it', async () => {
  const h = await startStudio('http');
  try {
    const res = await fetch(`${h.url}/api/studio/events?events=reload&token=${h.studio.token}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events: string[] = [];
    const read = async (until: (names: string[]) => boolean) => {
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) return;
        const { blocks, rest } = splitSseBuffer(buffer + decoder.decode(value, { stream: true }));
        buffer = rest;
        for (const b of blocks) {
          const m = parseSseBlock(b);
          if (m) events.push(m.event);
        }
      }
    };
    await read((e) => e.includes('hello'));
    const reloaded = nextEvent<ReloadResult>((l) => h.client.onReload(l));
    await h.client.createFile({ path: 'features/new.lua', content: 'function nauthilus_call_feature(r) return false, false, 0 end\n' });
    await reloaded;
    await read((e) => e.includes('reload'));
    assert.deepEqual(events, ['hello', 'reload'], 'no "files" event: it was not asked for');
    await h.studio.app.close(); // must not wait for the open stream
    const end = await reader.read();
    assert.equal(end.done, true);
  } finally {
    await h.close();
  }
});
