/**
 * "Did you mean …?" ranking for Windows names (accounts, rights). Lives with the Windows domain
 * model so identity and rights parsing can suggest without depending on the baseline layer.
 */

/** Levenshtein distance between two strings, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const row = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (s[i - 1] === t[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[t.length]!;
}

/**
 * Up to `max` candidates plausibly meant by `word`: small edit distance (≤ a third of the word,
 * at least 2) or containing / contained in it (case-insensitive). Closest first; ties keep input order.
 */
export function nearestNames(word: string, candidates: readonly string[], max = 3): string[] {
  const w = word.trim().toLowerCase();
  if (w === '' || max <= 0) return [];
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored: { name: string; score: number; index: number }[] = [];
  candidates.forEach((name, index) => {
    const c = name.toLowerCase();
    const d = editDistance(w, c);
    let score = d <= limit ? d : Infinity;
    if (score === Infinity && w.length >= 3 && (c.includes(w) || w.includes(c))) score = limit + 1 + Math.abs(c.length - w.length) / 100;
    if (score !== Infinity) scored.push({ name, score, index });
  });
  scored.sort((x, y) => x.score - y.score || x.index - y.index);
  const out: string[] = [];
  for (const s of scored) {
    if (!out.some((o) => o.toLowerCase() === s.name.toLowerCase())) out.push(s.name);
    if (out.length >= max) break;
  }
  return out;
}
