// End-to-end: leaving the embedded Redis for a real one keeps the embedded store (a brute-force block included)
// for the switch back, and the real Redis gets nothing of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { browserMissing, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess, sendSimulation } from './studio-process';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

interface PageNode {
  textContent: string | null;
  classList: { contains(c: string): boolean };
  querySelector(s: string): PageNode | null;
}
declare const document: { querySelector(s: string): PageNode | null };

describe('studio UI in Chromium: switching Redis keeps the embedded state', { skip: browserMissing(), concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;
  let redis: RedisServer;

  before(async () => {
    ensureRendererBuilt();
    redis = await startRedisServer();
    workspace = tempWorkspace();
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(async () => {
    await closeStudio(browser, studio, workspace);
    await redis?.stop();
  });

  /** Alice's right password from the attacked network, through the simulator: the decision it gets. */
  async function aliceFromAttackedNetwork(): Promise<string> {
    const { page } = browser;
    await page.fill('.sim-form input[name=username]', 'alice');
    await page.fill('.sim-form input[name=password]', 'alice-secret');
    await page.fill('.sim-form input[name=client_ip]', '198.18.7.200');
    return sendSimulation(page);
  }

  async function scanBruteForceKeys(): Promise<void> {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="redis"]');
    await page.fill('[data-panel=redis] input[name=pattern]', 'bf:*');
    await page.click('[data-panel=redis] button[type=submit]');
  }

  test('block a network on embedded Redis, switch to real Redis and back: the block is still there', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="traffic"]');
    await page.selectOption('[data-panel=traffic] select[name=profile]', 'attacker-network');
    await page.fill('[data-panel=traffic] input[name=network]', '198.18.7.0/24');
    await page.fill('[data-panel=traffic] input[name=count]', '20');
    await page.click('[data-panel=traffic] button.primary');
    await page.locator('[data-panel=traffic][data-state="done"]').waitFor({ timeout: 60_000 });
    assert.equal(await aliceFromAttackedNetwork(), 'fail', 'the attacked network is blocked on the embedded store');

    await scanBruteForceKeys();
    await page.locator('.key-row[data-key="bf:b_1h_ipv4_24:198.18.7.0/24"]').waitFor();
    const note = page.locator('[data-testid=redis-switch-note]');
    assert.match(await note.innerText(), /keeps the embedded store's keys .* copies nothing to the real Redis/);

    await page.fill('[data-panel=redis] input[name=redis-url]', redis.url);
    await page.locator('[data-panel=redis] input[type=checkbox]').uncheck();
    await page.click('[data-panel=redis] button:text-is("Switch")');
    await page.locator('[data-panel=redis][data-mode="standalone"]').waitFor();
    await page.locator('.toast', { hasText: 'none were copied here' }).waitFor();
    assert.match(await note.innerText(), /The embedded Redis is kept in memory with its \d+ key\(s\)/);
    await page.locator('[data-panel=redis] .key-list', { hasText: 'No key matches "bf:*"' }).waitFor();
    const direct = new Redis(redis.port, '127.0.0.1');
    try {
      assert.deepEqual(await direct.keys('*bf:*'), [], 'nothing was copied to the real Redis');
    } finally {
      direct.disconnect();
    }
    assert.equal(await aliceFromAttackedNetwork(), 'ok', 'the real Redis knows no block');

    await page.click('.dock-tab[data-tab="redis"]');
    await page.click('[data-panel=redis] button:text-is("Use embedded")');
    await page.locator('[data-panel=redis][data-mode="mock"]').waitFor();
    await page.locator('.key-row[data-key="bf:b_1h_ipv4_24:198.18.7.0/24"]').waitFor();
    assert.equal(await aliceFromAttackedNetwork(), 'fail', 'the block is still there');
    assert.deepEqual(browser.errors, []);
  });
});
