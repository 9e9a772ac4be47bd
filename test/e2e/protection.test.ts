// End-to-end: the brute-force demo of the sample workspace in Debian's Chromium against a real `authstudio studio`
// process, and the studio's state going stale (old toasts, deleted keys, a stopped server). One studio, one page,
// steps building on each other as a trainer's demo would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

const missing = browserMissing();
const NETWORK = '198.18.7.0/24';
const COUNTER_KEY = `bf:b_1h_ipv4_24:${NETWORK}`;

describe('brute-force demo and stale state in Chromium', { skip: missing, concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = tempWorkspace();
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  /** Run the Traffic panel's attacker profile from NETWORK and wait until it is done. */
  async function runAttack(users: string, passwords: string, count: number): Promise<void> {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="traffic"]');
    await page.selectOption('[data-panel=traffic] select[name=profile]', 'attacker-network');
    await page.fill('[data-panel=traffic] input[name=network]', NETWORK);
    await page.fill('[data-panel=traffic] input[name=users]', users);
    await page.fill('[data-panel=traffic] input[name=passwords]', passwords);
    await page.fill('[data-panel=traffic] input[name=count]', String(count));
    await page.click('[data-panel=traffic] button.primary');
    await page.locator(`[data-panel=traffic][data-state="done"] .progress-text`, { hasText: `${count} / ${count} done` }).waitFor({ timeout: 60_000 });
  }

  const outcome = async (id: string) => Number(await browser.page.locator(`[data-panel=traffic] dd[data-outcome="${id}"]`).innerText());
  const legend = async (id: string) => Number(await browser.page.locator(`[data-panel=traffic] .legend-item[data-series="${id}"]`).getAttribute('data-count'));

  test('an attack from Traffic is blocked after the bucket limit, and blocked attempts are their own series', async () => {
    // every attempt a new (user, password) pair: a repeated wrong password counts once (as in Nauthilus), so repeats
    // in flight before the block would pass as more wrong passwords than the limit
    await runAttack('alice, bob, carol, admin', Array.from({ length: 20 }, (_, i) => `guess${i}`).join(', '), 60);
    // b_1h_ipv4_24 of the sample workspace counts 15 distinct wrong passwords of the /24, then blocks it
    assert.equal(await outcome('wrong_password'), 15);
    assert.equal(await outcome('blocked'), 45);
    assert.equal(await outcome('ok'), 0);
    assert.equal(await legend('blocked'), 45, 'the chart has a blocked series of its own');
    assert.equal(await legend('wrong_password'), 15);
    await screenshot(browser.page, 'traffic-outcomes');
  });

  test('the Redis panel shows the bucket counter', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="redis"]');
    await page.fill('[data-panel=redis] input[name=pattern]', 'bf:*');
    await page.click('[data-panel=redis] button[type=submit]');
    await page.locator(`.key-row[data-key="${COUNTER_KEY}"]`).click();
    await page.locator('.key-value pre', { hasText: '15' }).waitFor();
  });

  test('the Protection panel lists the network with counter and TTL; unblock it; the next login succeeds', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="protection"]');
    const row = page.locator(`[data-panel=protection] tr[data-network="${NETWORK}"][data-bucket="b_1h_ipv4_24"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /15 \/ 15/, text);
    assert.match(text, /(59|60) min/, text);
    await page.locator('[data-panel=protection] tr[data-account="alice"]').waitFor();
    await screenshot(page, 'protection');

    // the right password is refused while the network is blocked
    await runAttack('alice', 'alice-secret', 1);
    assert.equal(await outcome('blocked'), 1);

    await page.click('.dock-tab[data-tab="protection"]');
    await row.locator('button', { hasText: 'Unblock' }).click();
    await row.waitFor({ state: 'detached' });
    await page.locator('.toast-ok', { hasText: `Unblocked ${NETWORK}` }).waitFor();

    await runAttack('alice', 'alice-secret', 2);
    assert.equal(await outcome('ok'), 2, 'the next logins from the network succeed');
  });

  test('stale state: the Redis value pane does not keep showing a key that was deleted', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="redis"]');
    // the value pane still showed the counter the unblock deleted: a new scan (on showing the tab) notices
    await page.locator(`.key-value [data-gone="${COUNTER_KEY}"]`).waitFor();
    assert.equal(await page.locator('.key-value pre').count(), 0);
  });

  test('stale state: a "not live" toast goes away once the next version is live', async () => {
    const { page } = browser;
    const file = path.join(workspace, 'features', 'blocklist.lua');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `local broken = = 1\n${good}`);
    const toast = page.locator('.toast[data-topic="not-live"]');
    await toast.waitFor();
    await page.locator('[data-testid=live-version][data-healthy="false"]').waitFor();
    fs.writeFileSync(file, good);
    await page.locator('[data-testid=live-version][data-healthy="true"]').waitFor();
    await toast.waitFor({ state: 'detached' });
  });

  test('stale state: the header stops saying Live when the studio stops', async () => {
    const { page } = browser;
    const live = page.locator('[data-testid=live-version]');
    assert.match(await live.innerText(), /^Live/);
    await studio.stop();
    // the page notices at its next status poll
    await page.locator('[data-testid=live-version][data-connected="false"]').waitFor({ timeout: 20_000 });
    assert.doesNotMatch(await live.innerText(), /^Live/);
    assert.match(await live.innerText(), /unreachable/);
  });
});
