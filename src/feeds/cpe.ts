/**
 * CPE 2.3 formatted strings (cpe:2.3:part:vendor:product:version:update:
 * edition:language:sw_edition:target_sw:target_hw:other) with backslash
 * escaping, ANY (*) and NA (-), and the older 2.2 URI form (cpe:/a:v:p:ver)
 * that CSAF product helpers still use.
 */
import { compareVersions } from './version.ts';

export const CPE_FIELDS = ['part', 'vendor', 'product', 'version', 'update', 'edition', 'language', 'swEdition', 'targetSw', 'targetHw', 'other'] as const;

/** Field values, unescaped and lower-cased; '*' ANY and '-' NA kept as such. */
export interface Cpe {
  part: string;
  vendor: string;
  product: string;
  version: string;
  update: string;
  edition: string;
  language: string;
  swEdition: string;
  targetSw: string;
  targetHw: string;
  other: string;
}

export const ANY = '*';
export const NA = '-';

/** Splits on ':' not escaped by a backslash, then removes the escapes. */
function splitEscaped(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      cur += s[i + 1];
      i++;
    } else if (ch === ':') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses a CPE 2.3 formatted string or a 2.2 URI; undefined when it is neither. */
export function parseCpe(text: string): Cpe | undefined {
  const s = text.trim();
  let fields: string[];
  if (/^cpe:2\.3:/i.test(s)) {
    fields = splitEscaped(s.slice(8));
    if (fields.length !== 11) return undefined;
    // A quoted wildcard ("\*") is a literal; unquoted "*" alone is ANY.
  } else if (/^cpe:\/[aoh]?/i.test(s)) {
    fields = s.slice(5).split(':').map((f) => {
      try { return decodeURIComponent(f); } catch { return f; }
    });
    if (fields.length > 7) return undefined;
    while (fields.length < 11) fields.push(ANY);
    fields = fields.map((f) => (f === '' ? ANY : f));
  } else return undefined;
  const v = fields.map((f) => f.toLowerCase());
  if (!/^[aoh*]$/.test(v[0]) || !v[1] || !v[2]) return undefined;
  return {
    part: v[0], vendor: v[1], product: v[2], version: v[3], update: v[4], edition: v[5],
    language: v[6], swEdition: v[7], targetSw: v[8], targetHw: v[9], other: v[10],
  };
}

function esc(v: string): string {
  return v === ANY || v === NA ? v : v.replace(/([^A-Za-z0-9_.-])/g, '\\$1');
}

export function formatCpe(c: Cpe): string {
  return `cpe:2.3:${CPE_FIELDS.map((f) => esc(c[f])).join(':')}`;
}

/** A field of the criteria admits the candidate's field: ANY admits all, a wildcard pattern its matches. */
function fieldAdmits(criteria: string, candidate: string): boolean {
  if (criteria === ANY || candidate === ANY) return true;
  if (criteria === candidate) return true;
  if (criteria.includes('*') || criteria.includes('?')) {
    const re = new RegExp(`^${criteria.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return re.test(candidate);
  }
  return false;
}

/**
 * The candidate (what an asset runs) is admitted by the criteria's fixed
 * fields. The version field is compared as a version (3.6.7 == 3.6.7.0);
 * ranges on a '*' version are the caller's (NVD keeps them beside the CPE).
 */
export function cpeAdmits(criteria: Cpe, candidate: Cpe): boolean {
  if (!fieldAdmits(criteria.part, candidate.part)) return false;
  if (criteria.vendor !== candidate.vendor || criteria.product !== candidate.product) return false;
  if (criteria.version !== ANY && candidate.version !== ANY) {
    if (criteria.version === NA || candidate.version === NA) {
      if (criteria.version !== candidate.version) return false;
    } else if (compareVersions(criteria.version, candidate.version) !== 0 && !fieldAdmits(criteria.version, candidate.version)) return false;
  }
  for (const f of ['update', 'edition', 'language', 'swEdition', 'targetSw', 'targetHw', 'other'] as const) {
    if (!fieldAdmits(criteria[f], candidate[f])) return false;
  }
  return true;
}
