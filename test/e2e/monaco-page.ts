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

/** The text of the visible line `n` as the editor renders it. */
export async function lineText(page: Page, n: number): Promise<string> {
  return page.evaluate((line) => {
    const num = [...document.querySelectorAll('.editor-host .margin-view-overlays .line-numbers')].find((e) => e.textContent?.trim() === String(line));
    if (!num) return '';
    const top = num.parentElement!.style.top;
    const row = [...document.querySelectorAll('.editor-host .view-lines .view-line')].find((e) => e.style.top === top);
    return row?.textContent?.replace(/\u00a0/g, ' ') ?? '';
  }, n);
}

/** Line numbers on which the editor draws an error squiggle. */
export async function squiggleLines(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const lineAt = new Map<string, number>();
    for (const e of document.querySelectorAll('.editor-host .margin-view-overlays .line-numbers')) {
      lineAt.set(e.parentElement!.style.top, Number(e.textContent?.trim()));
    }
    const out = new Set<number>();
    for (const sq of document.querySelectorAll('.editor-host .view-overlays .squiggly-error')) {
      const n = lineAt.get(sq.parentElement!.style.top);
      if (n !== undefined) out.add(n);
    }
    return [...out].sort((a, b) => a - b);
  });
}
