import type { Cvss } from './types.ts';

/** CVSS v3/v4 qualitative rating from a base score. */
export function cvssSeverity(score: number): 'none' | 'low' | 'medium' | 'high' | 'critical' {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'none';
}

/** Prefer v4, then v3.1, v3.0, v2; the higher score when two of a version disagree. */
export function bestCvss(list: Cvss[]): Cvss | undefined {
  const rank = (v: string) => (v.startsWith('4') ? 4 : v.startsWith('3') ? 3 : 2);
  let best: Cvss | undefined;
  for (const c of list) {
    if (!Number.isFinite(c.score)) continue;
    if (!best || rank(c.version) > rank(best.version) || (rank(c.version) === rank(best.version) && c.score > best.score)) best = c;
  }
  return best;
}
