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

const V3: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

/** CVSS v3.x "round up to one decimal" as the specification defines it (integer arithmetic). */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/**
 * Base score of a CVSS v3.0/3.1 vector ("CVSS:3.1/AV:N/AC:L/..."), for feeds
 * that give only the vector (OSV). Undefined for anything else (v2, v4 and
 * malformed vectors are not scored here).
 */
export function cvss3BaseScore(vector: string): number | undefined {
  const m = /^CVSS:3\.[01]\/(.*)$/.exec(vector.trim());
  if (!m) return undefined;
  const f: Record<string, string> = {};
  for (const part of m[1].split('/')) {
    const [k, v] = part.split(':');
    if (k && v) f[k] = v;
  }
  const scope = f.S;
  const av = V3.AV[f.AV], ac = V3.AC[f.AC], ui = V3.UI[f.UI], c = V3.C[f.C], i = V3.I[f.I], a = V3.A[f.A];
  const pr = scope === 'C' ? { N: 0.85, L: 0.68, H: 0.5 }[f.PR] : scope === 'U' ? { N: 0.85, L: 0.62, H: 0.27 }[f.PR] : undefined;
  if ([av, ac, ui, c, i, a, pr].some((x) => x === undefined)) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const expl = 8.22 * av * ac * pr! * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + expl, 10)) : roundUp(Math.min(1.08 * (impact + expl), 10));
}
