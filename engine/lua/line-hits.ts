// Line hits counted where the Lua runs (a worker thread) and handed over in one message: chunk name -> line -> count.
import type { LineListener } from './line-hook';

/** Hits as they cross threads: [chunk name, [[line, count], ...]] per chunk. */
export type LineHitList = Array<[string, Array<[number, number]>]>;

/** A counting line listener whose hits can be taken (and cleared) as a plain list. */
export class LineHits {
  private hits = new Map<string, Map<number, number>>();

  readonly listener: LineListener = (source, line) => {
    let byLine = this.hits.get(source);
    if (!byLine) {
      byLine = new Map();
      this.hits.set(source, byLine);
    }
    byLine.set(line, (byLine.get(line) ?? 0) + 1);
  };

  /** The hits since the last take, then none. */
  take(): LineHitList {
    const out: LineHitList = [...this.hits].map(([source, byLine]) => [source, [...byLine]]);
    this.hits = new Map();
    return out;
  }
}

/** Several threads' hits as one list (counts of the same line added up). */
export function mergeLineHits(lists: LineHitList[]): LineHitList {
  const all = new Map<string, Map<number, number>>();
  for (const list of lists) {
    for (const [source, lines] of list) {
      const byLine = all.get(source) ?? new Map<number, number>();
      for (const [l, n] of lines) byLine.set(l, (byLine.get(l) ?? 0) + n);
      all.set(source, byLine);
    }
  }
  return [...all].map(([source, byLine]) => [source, [...byLine]]);
}
