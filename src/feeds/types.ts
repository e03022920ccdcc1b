import type { VersionRange } from './version.ts';

export type FeedFormat = 'nvd' | 'kev-json' | 'kev-csv' | 'csaf' | 'osv';

/** One affected (or fixed, or not-affected) product of an advisory, normalised for the index. */
export interface AffectedProduct {
  /** How to compare: a CPE criteria, a package (purl/OSV), or a CSAF product name. */
  kind: 'cpe' | 'package' | 'product';
  /** Normalised (see normaliseName) vendor; '' when the feed has none (OSV packages). */
  vendor: string;
  /** Normalised product or package name: the index key. */
  product: string;
  /** The CPE criteria, for kind 'cpe'. */
  cpe?: string;
  /** OSV ecosystem / purl type, for kind 'package'. */
  ecosystem?: string;
  /** The product name as the feed wrote it (CSAF full product name, OSV package). */
  label: string;
  range: VersionRange;
  status: 'affected' | 'fixed' | 'not_affected';
  /** The first fixed version, where the feed says it. */
  fixed?: string;
  /** Anything the matcher could not use but a person should know (GIT ranges, "only on platform X"). */
  note?: string;
  /** CSAF product id, to tie remediations and VEX flags. */
  productId?: string;
}

export interface Remediation {
  category: string;
  text: string;
  url?: string;
}

export interface Cvss {
  version: string;
  score: number;
  vector?: string;
  severity?: string;
}

/** One vulnerability from one feed document, as stored. */
export interface Advisory {
  /** Store key: "nvd:CVE-..", "osv:GHSA-..", "csaf:ICSMA-23-047-01:CVE-..". */
  key: string;
  /** The vulnerability id shown to people: a CVE where there is one. */
  id: string;
  source: 'nvd' | 'csaf' | 'osv';
  /** CVE ids and other aliases. */
  aliases: string[];
  /** The feed document (CSAF tracking id, OSV id). */
  document?: string;
  title: string;
  published?: string;
  modified?: string;
  cvss?: Cvss;
  cwes: string[];
  references: string[];
  affected: AffectedProduct[];
  remediations: Remediation[];
  /** Facts the import noticed: no configurations yet, GIT-only ranges... */
  notes: string[];
  /** The file it came from, relative as given. */
  file: string;
}

export interface KevEntry {
  cve: string;
  vendor: string;
  product: string;
  name: string;
  dateAdded: string;
  dueDate?: string;
  requiredAction?: string;
  ransomware?: string;
}

/** The result of parsing one feed file. */
export interface ParsedFeed {
  format: FeedFormat;
  advisories: Advisory[];
  kev: KevEntry[];
  warnings: string[];
}

/** vendor/product as the index keys them: lower case, runs of other characters as one '_'. */
export function normaliseName(s: string | undefined): string {
  return (s ?? '').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}
