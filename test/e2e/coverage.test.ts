// End-to-end: the Coverage panel runs the sample workspace's test suite with coverage in the real studio; the
// summary lists every script with its percentage (the figures of the lcov written), and the editor colours the
// executable lines of a script clicked in it, in Chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { ensureRendererBuilt, closeStudio, openStudioPage, startStudioProcess, tempWorkspace, type StudioProcess } from './studio-process';

interface PageNode {
  textContent: string | null;
  querySelector(s: string): PageNode | null;
  children: ArrayLike<PageNode>;
}
declare const document: { querySelector(s: string): PageNode | null };

/** lcov records by file: executable lines with their hits. */
function readLcov(text: string): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  let current: Map<number, number> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('SF:')) out.set(line.slice(3), (current = new Map()));
    const da = /^DA:(\d+),(\d+)$/.exec(line);
    if (da && current) current.set(Number(da[1]), Number(da[2]));
  }
  return out;
}

/** Workspace scripts (tests/ left out), as the summary must list them. */
function scripts(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.name.startsWith('.') || p === 'tests') return [];
    return e.isDirectory() ? scripts(dir, p) : e.name.endsWith('.lua') ? [p] : [];
  });
}

describe('studio UI in Chromium: coverage', { skip: browserMissing(), concurrency: false }, () => {
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

  test('run the sample test suite with coverage: the editor colours the lines and the summary lists each script with its percentage', async () => {
    const { page } = browser;
    await page.click('.dock-tab[data-tab="coverage"]');
    await page.click('[data-panel=coverage] button:text-is("Run tests with coverage")');
    await page.locator('[data-panel=coverage][data-source="tests"][data-busy="false"] .cov-row').first().waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-testid=coverage-head]').innerText(), /Tests: \d+ passed, 0 failed · lcov: /);

    const lcov = readLcov(fs.readFileSync(path.join(workspace, '.authstudio', 'coverage', 'lcov.info'), 'utf8'));
    const rows = await page.locator('.cov-row').evaluateAll((els) => els.map((e) => ({
      file: e.getAttribute('data-file'), lines: e.children[1].textContent, percent: e.children[2].getAttribute('data-percent'), text: e.children[2].textContent,
    })));
    assert.deepEqual(rows.map((r) => r.file).sort(), scripts(workspace).sort(), 'every script is listed, run or not');
    for (const r of rows) {
      const da = lcov.get(r.file!)!;
      const hit = [...da.values()].filter((n) => n > 0).length;
      assert.equal(r.lines, `${hit} / ${da.size}`, r.file!);
      const expected = da.size === 0 ? 100 : Math.round((1000 * hit) / da.size) / 10;
      assert.equal(Number(r.percent), expected, r.file!);
      assert.match(r.text!, new RegExp(`${expected.toFixed(1).replace('.', '\\.')} %$`));
    }
    assert.equal(rows.find((r) => r.file === 'dovecot/authstudio-2.4.lua')?.percent, '0', 'a script no test runs shows 0 %');

    // a click opens the script with its executable lines marked: ran (green) or never ran (red), as lcov says
    const file = 'features/blocklist.lua';
    await page.click(`.cov-row[data-file="${file}"]`);
    await page.locator('.editor-header .editor-path', { hasText: file }).waitFor();
    await page.locator('.monaco-editor .cov-hit').first().waitFor();
    const marks = await page.evaluate(() => {
      const out: Array<{ line: number; mark: string }> = [];
      const margin = document.querySelector('.monaco-editor .margin-view-overlays')!;
      for (const row of Array.from(margin.children)) {
        const line = Number(row.querySelector('.line-numbers')?.textContent);
        const mark = row.querySelector('.cov-hit') ? 'hit' : row.querySelector('.cov-miss') ? 'miss' : 'none';
        out.push({ line, mark });
      }
      return out;
    });
    const da = lcov.get(file)!;
    const shown = marks.filter((m) => m.line > 0);
    assert.ok(shown.length >= Math.max(...da.keys()), 'the whole script is in view');
    for (const m of shown) {
      const hits = da.get(m.line);
      assert.equal(m.mark, hits === undefined ? 'none' : hits > 0 ? 'hit' : 'miss', `line ${m.line}`);
    }
    assert.ok(shown.some((m) => m.mark === 'hit'));
    await screenshot(page, 'coverage');
    assert.deepEqual(browser.errors, []);
  });
});
