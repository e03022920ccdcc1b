/**
 * Matching identities against affected products. Every match carries the
 * sentence that explains it (which identity, from where, which range of
 * which advisory); nothing matches without an identity, and nothing needing
 * a version matches an identity that has none.
 */
import type { Db } from '../store/db.ts';
import { cpeAdmits, parseCpe, type Cpe } from './cpe.ts';
import type { SoftwareIdentity } from './identity.ts';
import { productRows, productRowsMany } from './store.ts';
import type { AffectedProduct } from './types.ts';
import { describeRange, inRange } from './version.ts';

export interface IndexRow {
  advKey: string;
  entry: AffectedProduct;
}

/** Affected products by product key; the store's index or an in-memory map. */
export interface AdvisoryIndex {
  lookup(product: string): Promise<IndexRow[]>;
  /** Optional: fetch many keys at once before the lookups (the store batches them). */
  prefetch?(products: readonly string[]): Promise<void>;
}

export function dbIndex(db: Db): AdvisoryIndex {
  let cache: Map<string, IndexRow[]> | undefined;
  return {
    async prefetch(products) {
      cache = await productRowsMany(db, products);
    },
    async lookup(product) {
      return cache ? cache.get(product) ?? [] : productRows(db, product);
    },
  };
}

export function memoryIndex(rows: Iterable<IndexRow>): AdvisoryIndex {
  const m = new Map<string, IndexRow[]>();
  for (const r of rows) {
    const list = m.get(r.entry.product);
    if (list) list.push(r); else m.set(r.entry.product, [r]);
  }
  return { lookup: async (p) => m.get(p) ?? [] };
}

export interface Match {
  asset: string;
  advKey: string;
  identity: SoftwareIdentity;
  entry: AffectedProduct;
  /** "Orthanc 1.10.1 (model-cpe, assets.yaml:112) is in cpe:2.3:a:orthanc-server:orthanc < 1.12.0". */
  why: string;
}

function tokens(s: string): string[] {
  return s.split('_').filter(Boolean);
}

/** "becton_dickinson_and_company_bd" and "bd" are one vendor; "" is unknown and admits any. */
export function vendorCompatible(a: string, b: string): boolean {
  if (!a || !b || a === b) return true;
  const ta = tokens(a), tb = tokens(b);
  const [short, long] = ta.length <= tb.length ? [ta, tb] : [tb, ta];
  return short.every((t) => long.includes(t));
}

const cpeCache = new Map<string, Cpe | undefined>();
function cachedCpe(text: string): Cpe | undefined {
  let c = cpeCache.get(text);
  if (c === undefined && !cpeCache.has(text)) {
    c = parseCpe(text);
    if (cpeCache.size > 100_000) cpeCache.clear();
    cpeCache.set(text, c);
  }
  return c;
}

function where(e: AffectedProduct): string {
  if (e.kind === 'cpe') return e.cpe ?? e.label;
  if (e.kind === 'package') return `package ${e.label}`;
  return `product "${e.label}"`;
}

/** Why the identity falls in the entry, or undefined when it does not. */
export function explainMatch(id: SoftwareIdentity, e: AffectedProduct): string | undefined {
  if (id.product !== e.product) return undefined;
  if (e.kind === 'cpe') {
    const crit = e.cpe ? cachedCpe(e.cpe) : undefined;
    if (id.cpe && crit) {
      if (!cpeAdmits(crit, { ...id.cpe, version: '*' })) return undefined;
    } else if (!vendorCompatible(id.vendor, e.vendor)) return undefined;
  } else if (e.kind === 'package') {
    if (!id.purl) return undefined;
    if (e.ecosystem && id.purl.type !== e.ecosystem) return undefined;
  } else if (!vendorCompatible(id.vendor, e.vendor)) return undefined;
  const range = e.range;
  const needsVersion = !(range.all && !range.exact && range.startIncluding === undefined && range.startExcluding === undefined && range.endIncluding === undefined && range.endExcluding === undefined);
  if (needsVersion) {
    if (!id.version || !inRange(id.version, range)) return undefined;
  }
  const idText = `${id.display} (${id.source}: ${id.detail})`;
  const rangeText = describeRange(range);
  return `${idText} is in ${where(e)} ${needsVersion ? rangeText : '(all versions)'}${e.note ? `; ${e.note}` : ''}`;
}

/** One lookup per distinct product key; cost grows with identities × entries for that product, not with the feed. */
export async function matchIdentities(identities: readonly SoftwareIdentity[], index: AdvisoryIndex): Promise<Match[]> {
  const byProduct = new Map<string, SoftwareIdentity[]>();
  for (const id of identities) {
    if (!id.product) continue;
    const list = byProduct.get(id.product);
    if (list) list.push(id); else byProduct.set(id.product, [id]);
  }
  await index.prefetch?.([...byProduct.keys()]);
  const out: Match[] = [];
  for (const [product, ids] of byProduct) {
    const rows = await index.lookup(product);
    if (!rows.length) continue;
    for (const id of ids) {
      for (const r of rows) {
        const why = explainMatch(id, r.entry);
        if (why) out.push({ asset: id.asset, advKey: r.advKey, identity: id, entry: r.entry, why });
      }
    }
  }
  return out;
}
