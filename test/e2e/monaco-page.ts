// E2E helper: driving the Monaco editor like a user (keyboard), and reading what it shows (lines, markers).
import type { Page } from 'playwright-core';

// The evaluate() callbacks run in the page; these are the few DOM shapes they touch (the test tsconfig has no DOM).
interface PageElement {
  textContent: string | null;
  parentElement: PageElement | null;
  style: { top: string };
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement> };

/** Put the cursor at the end of line `n` (1-based) of the focused editor. */
export async function cursorToLineEnd(page: Page, n: number): Promise<void> {
  await page.locator('.editor-host .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < n; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
}

/** Insert a new line after line `n` with `text` (typed key by key; closing brackets are typed over). */
export async function insertLineAfter(page: Page, n: number, text: string): Promise<void> {
  await cursorToLineEnd(page, n);
  await page.keyboard.press('Enter');
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press('Escape');
}

/** Replace line `n` with nothing (select it, delete it, join). */
export async function deleteLine(page: Page, n: number): Promise<void> {
  await cursorToLineEnd(page, n);
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
}

/**
 * In the page: whether the editor shows `text` on `line` and/or squiggles on exactly `squiggles`; with neither,
 * it returns what it sees (self-contained: it is serialised into the page, where the CSP forbids eval).
 */
function editorState(a: { line: number; text?: string; squiggles?: number[] }): boolean | { text: string; squiggles: number[] } {
  const lineAt = new Map<string, number>();
  for (const e of document.querySelectorAll('.editor-host .margin-view-overlays .line-numbers')) {
    if (e.parentElement) lineAt.set(e.parentElement.style.top, Number(e.textContent?.trim()));
  }
  let text = '';
  for (const row of document.querySelectorAll('.editor-host .view-lines .view-line')) {
    if (lineAt.get(row.style.top) === a.line) text = (row.textContent ?? '').replace(/\u00a0/g, ' ').trim();
  }
  const seen = new Set<number>();
  for (const sq of document.querySelectorAll('.editor-host .view-overlays .squiggly-error')) {
    const n = sq.parentElement ? lineAt.get(sq.parentElement.style.top) : undefined;
    if (n !== undefined) seen.add(n);
  }
  const squiggles = [...seen].sort((x, y) => x - y);
  if (a.text === undefined && a.squiggles === undefined) return { text, squiggles };
  return (a.text === undefined || text === a.text.trim()) && (a.squiggles === undefined || JSON.stringify(squiggles) === JSON.stringify(a.squiggles));
}

async function waitForEditor(page: Page, want: { line: number; text?: string; squiggles?: number[] }): Promise<void> {
  try {
    await page.waitForFunction(editorState, want, { timeout: 5000, polling: 50 });
  } catch (e) {
    const seen = (await page.evaluate(editorState, { line: want.line })) as { text: string; squiggles: number[] };
    throw new Error(`${(e as Error).message.split('\n')[0]}: wanted ${JSON.stringify(want)}, the editor shows line ${want.line} "${seen.text}" and squiggles on ${JSON.stringify(seen.squiggles)}`);
  }
}

/** Wait until line `n` shows exactly `text` (surrounding blanks ignored); Monaco renders on the next frame. */
export function waitForLine(page: Page, n: number, text: string): Promise<void> {
  return waitForEditor(page, { line: n, text });
}

/** Wait until the error squiggles are on exactly these lines. */
export function waitForSquiggles(page: Page, lines: number[]): Promise<void> {
  return waitForEditor(page, { line: 1, squiggles: lines });
}

/**
 * Hover a word of the editor until Monaco's hover shows `text`. Monaco opens a hover only when the mouse moves onto
 * the word, and a suggest widget or a hover still closing can swallow one move: the mouse leaves and comes back.
 */
export async function hoverShows(page: Page, word: RegExp, text: string): Promise<void> {
  const span = page.locator('.editor-host .view-line span', { hasText: word }).first();
  const hover = page.locator('.monaco-hover', { hasText: text });
  for (let attempt = 0; ; attempt++) {
    await page.mouse.move(1, 1);
    await span.hover();
    try {
      await hover.waitFor({ timeout: 5000 });
      return;
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}
