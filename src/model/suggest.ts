/** "Did you mean" for mistyped kinds, keys and references. */

function distance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = lc.startsWith(w) || w.startsWith(lc) ? Math.min(1, distance(w, lc)) : distance(w, lc);
    if (d < bestD) { bestD = d; best = c; }
  }
  const limit = Math.max(2, Math.floor(w.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** A hint naming the closest candidate, or listing them when there are few. */
export function suggestHint(word: string, candidates: readonly string[], what: string): string | undefined {
  const near = closest(word, candidates);
  if (near) return `did you mean '${near}'?`;
  if (candidates.length === 0) return `no ${what} is defined`;
  if (candidates.length <= 12) return `known ${what}: ${candidates.join(', ')}`;
  return undefined;
}
