/** "Did you mean …?" for misspelt keys, enum values, ids and parameter names. */
import { editDistance } from './edit-distance.js';

/**
 * The candidate closest to `word` if it is plausibly a typo of it (distance ≤ a third of its
 * length, at least 2; a case-only difference counts), else undefined.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word, c);
    if (d < bestD) { best = c; bestD = d; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
