/**
 * Version comparison for the versions medical devices and servers actually
 * announce: 3.6.7, 1.10.1, 2.0.1-SP3, 10.0.19041.1234, 1.2b3, 2023.3_Build_9342,
 * VA30, 1:1.10.1+dfsg-1. There is no single standard, so the rules are:
 * numbers compare numerically; pre-release words (alpha, beta, rc, dev, pre,
 * preview, ~, and a/b/c before a number) sort before the release; every other word (sp, patch,
 * build, update, hotfix, r) sorts after it; a missing part counts as 0 or
 * as "nothing", whichever the other side's next part says.
 */

type Token = number | string;

const PRE = new Set(['alpha', 'beta', 'rc', 'cr', 'pre', 'preview', 'dev', 'snapshot', 'milestone', 'ea', '~']);
/** A lone letter is a pre-release only before a number (1.2b3); alone it is a letter release (OpenSSL 1.0.2a). */
const LETTER_PRE: Record<string, string> = { a: 'alpha', b: 'beta', c: 'rc', m: 'milestone' };

/** Splits into numeric and word tokens; separators . - _ + space and / are dropped. */
export function versionTokens(v: string): Token[] {
  let s = v.trim().toLowerCase();
  // A Debian epoch ("1:") only orders repackagings; vendors never state it.
  const epoch = /^\d+:(?=\d)/.exec(s);
  if (epoch) s = s.slice(epoch[0].length);
  if (/^v\d/.test(s)) s = s.slice(1);
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      let j = i;
      while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      out.push(Number(s.slice(i, j)));
      i = j;
    } else if ((c >= 97 && c <= 122)) {
      let j = i;
      while (j < s.length && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
      const w = s.slice(i, j);
      const digitNext = j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57;
      out.push(digitNext && LETTER_PRE[w] ? LETTER_PRE[w] : w);
      i = j;
    } else if (s[i] === '~') {
      out.push('~');
      i++;
    } else i++;
  }
  return out;
}

function isPre(t: Token | undefined): boolean {
  return typeof t === 'string' && PRE.has(t);
}

/** Rank of a token kind at a position: pre-release word < end/number < other word. */
function compareToken(a: Token, b: Token): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') {
    const pa = isPre(a), pb = isPre(b);
    if (pa !== pb) return pa ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  // number vs word: a pre-release word is older than any number, other words newer.
  if (typeof a === 'string') return isPre(a) ? -1 : 1;
  return isPre(b) ? 1 : -1;
}

// Matching compares the same few versions (an asset's, a range's bounds) many times over.
const tokenCache = new Map<string, Token[]>();
function cachedTokens(v: string): Token[] {
  let t = tokenCache.get(v);
  if (!t) {
    if (tokenCache.size >= 50_000) tokenCache.clear();
    t = versionTokens(v);
    tokenCache.set(v, t);
  }
  return t;
}

/** -1, 0 or 1. Total and deterministic for any two strings. */
export function compareVersions(a: string, b: string): number {
  return compareTokens(cachedTokens(a), cachedTokens(b));
}

export function compareTokens(ta: readonly Token[], tb: readonly Token[]): number {
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i], y = tb[i];
    if (x === undefined) { const t = tailSign(tb, i); return t === 0 ? 0 : -t; }
    if (y === undefined) return tailSign(ta, i);
    const c = compareToken(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

/** How a remaining tail compares with nothing: 1.2.0 == 1.2, 1.2.1 > 1.2, 1.2b1 < 1.2. */
function tailSign(t: readonly Token[], from: number): number {
  for (let i = from; i < t.length; i++) {
    const x = t[i];
    if (x === 0) continue;
    return isPre(x) ? -1 : 1;
  }
  return 0;
}

/**
 * Semantic Versioning 2.0 order (OSV SEMVER ranges, Go, npm): pre-releases
 * sort before their release ("1.22.0-0" < "1.22.0"), build metadata ignored.
 */
export function compareSemver(a: string, b: string): number {
  const pa = splitSemver(a), pb = splitSemver(b);
  const c = compareTokens(pa.core, pb.core);
  if (c !== 0) return c;
  if (!pa.pre && !pb.pre) return 0;
  if (!pa.pre) return 1;
  if (!pb.pre) return -1;
  const xa = pa.pre.split('.'), xb = pb.pre.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]), nb = /^\d+$/.test(xb[i]);
    if (na && nb) { const d = Number(xa[i]) - Number(xb[i]); if (d) return d < 0 ? -1 : 1; continue; }
    if (na !== nb) return na ? -1 : 1;
    if (xa[i] !== xb[i]) return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}

function splitSemver(v: string): { core: number[]; pre?: string } {
  const s = v.trim().replace(/^v/, '').split('+')[0];
  const dash = s.indexOf('-');
  const core = (dash >= 0 ? s.slice(0, dash) : s).split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : 0));
  return { core, pre: dash >= 0 ? s.slice(dash + 1) : undefined };
}

/** Bounds of an affected range; any bound may be absent. */
export interface VersionRange {
  /** Exactly these versions (CSAF "5.0|5.1", NVD cpe with a fixed version). */
  exact?: string[];
  startIncluding?: string;
  startExcluding?: string;
  endIncluding?: string;
  endExcluding?: string;
  /** Every version (NVD "*" without bounds, CSAF "*"). */
  all?: boolean;
  /** Which order to use: semver for OSV SEMVER, generic otherwise. */
  scheme?: 'generic' | 'semver';
}

export function inRange(version: string, r: VersionRange): boolean {
  const cmp = r.scheme === 'semver' ? compareSemver : compareVersions;
  if (r.exact) return r.exact.some((e) => cmp(version, e) === 0);
  const bounded = r.startIncluding ?? r.startExcluding ?? r.endIncluding ?? r.endExcluding;
  if (bounded === undefined) return r.all === true;
  if (r.startIncluding !== undefined && cmp(version, r.startIncluding) < 0) return false;
  if (r.startExcluding !== undefined && cmp(version, r.startExcluding) <= 0) return false;
  if (r.endIncluding !== undefined && cmp(version, r.endIncluding) > 0) return false;
  if (r.endExcluding !== undefined && cmp(version, r.endExcluding) >= 0) return false;
  return true;
}

/** "< 1.12.0", ">= 3.5.4, < 3.6.7", "3.6.7", "*" for explanations. */
export function describeRange(r: VersionRange): string {
  if (r.exact) return r.exact.join(' | ');
  const parts: string[] = [];
  if (r.startIncluding !== undefined) parts.push(`>= ${r.startIncluding}`);
  if (r.startExcluding !== undefined) parts.push(`> ${r.startExcluding}`);
  if (r.endIncluding !== undefined) parts.push(`<= ${r.endIncluding}`);
  if (r.endExcluding !== undefined) parts.push(`< ${r.endExcluding}`);
  return parts.length ? parts.join(', ') : r.all ? 'all versions' : 'no version';
}

/**
 * Free-text ranges from CISA CSAF product_version_range branches and vers:
 * strings: "<1.5.8", "< 3.6.7", ">= 1.1 | <= 1.3.2", "5.0|5.1", "*",
 * "<=2023.3_Build_9342", "vers:generic/>=1.0|<2.0". Returns undefined for
 * text it cannot read (the caller notes it instead of guessing).
 */
export function parseRangeText(text: string): VersionRange | undefined {
  let s = text.trim();
  const vers = /^vers:[a-z0-9.+-]+\//i.exec(s);
  if (vers) s = s.slice(vers[0].length);
  if (s === '*' || /^all( versions)?$/i.test(s)) return { all: true };
  const parts = s.split('|').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const r: VersionRange = {};
  const exact: string[] = [];
  for (const p of parts) {
    const m = /^(<=|>=|<|>|=|==)?\s*(.+)$/.exec(p);
    if (!m) return undefined;
    const op = m[1] ?? '';
    const v = m[2].trim().replace(/^(versions?|v\.?)\s+/i, '');
    if (!v || /\s(to|through)\s/i.test(v)) return undefined;
    if (op === '<') r.endExcluding = v;
    else if (op === '<=') r.endIncluding = v;
    else if (op === '>') r.startExcluding = v;
    else if (op === '>=') r.startIncluding = v;
    else exact.push(v);
  }
  if (exact.length && (r.startIncluding ?? r.startExcluding ?? r.endIncluding ?? r.endExcluding) !== undefined) return undefined;
  if (exact.length) return { exact };
  return r;
}
