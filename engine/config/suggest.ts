// "Did you mean ...?" for misspelled config keys and names: the closest known word by edit distance.

/** Levenshtein distance between two strings (insert, delete, substitute, and swap of neighbours). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2][j - 2] + 1);
      d[i][j] = best;
    }
  }
  return d[rows - 1][cols - 1];
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-\s]/g, '_');
}

/**
 * The known word closest to `word`, or undefined when none is close enough to be a plausible typo
 * (distance at most 1 for short words, 2 from five letters, a third of the length beyond that).
 * Case and `-` versus `_` differences count as exact matches.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = normalize(word);
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const dist = editDistance(w, normalize(k));
    if (dist < bestDist) {
      best = k;
      bestDist = dist;
    }
  }
  const limit = Math.max(w.length <= 4 ? 1 : 2, Math.floor(w.length / 3));
  return bestDist <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` when a close known word exists, else the empty string. */
export function didYouMean(word: string, known: readonly string[]): string {
  const hit = closest(word, known);
  return hit === undefined || hit === word ? '' : ` (did you mean "${hit}"?)`;
}
