/**
 * CSAF 2.0 advisories and VEX documents: the product tree's branches give
 * each product id a vendor, a product name and a version or range; each
 * vulnerability's product_status says which ids are affected, fixed or not
 * affected, with remediations and CVSS scores per product.
 */
import { parseCpe } from './cpe.ts';
import { bestCvss } from './cvss.ts';
import { arr, obj, num, str, strs, type Obj } from './json.ts';
import { parsePurl } from './purl.ts';
import { normaliseName, type AffectedProduct, type Advisory, type Cvss, type ParsedFeed, type Remediation } from './types.ts';
import { parseRangeText, type VersionRange } from './version.ts';

export function isCsaf(doc: Obj): boolean {
  const d = obj(doc.document);
  return !!d && (str(d.csaf_version) === '2.0' || str(d.category)?.startsWith('csaf_') === true);
}

/** What the tree says about one product id. */
export interface CsafProduct {
  id: string;
  name: string;
  vendor: string;
  product: string;
  version?: string;
  range?: string;
  cpe?: string;
  purl?: string;
}

/** Walks branches (recursively), full_product_names and relationships into product ids. */
export function csafProducts(tree: Obj | undefined): Map<string, CsafProduct> {
  const out = new Map<string, CsafProduct>();
  if (!tree) return out;
  const add = (p: Obj | undefined, ctx: { vendor?: string; product?: string; version?: string; range?: string }) => {
    const id = str(p?.product_id);
    if (!p || !id) return;
    const helper = obj(p.product_identification_helper);
    out.set(id, {
      id, name: str(p.name) ?? id, vendor: ctx.vendor ?? '', product: ctx.product ?? str(p.name) ?? id,
      version: ctx.version, range: ctx.range, cpe: str(helper?.cpe), purl: str(helper?.purl),
    });
  };
  const walk = (branches: unknown, ctx: { vendor?: string; product?: string; version?: string; range?: string }, depth: number) => {
    if (depth > 30) return;
    for (const b of arr(branches).map(obj)) {
      if (!b) continue;
      const cat = str(b.category);
      const name = str(b.name) ?? '';
      const next = { ...ctx };
      if (cat === 'vendor') next.vendor = name;
      else if (cat === 'product_name' || (cat === 'product_family' && !next.product)) next.product = name;
      else if (cat === 'product_version') next.version = name;
      else if (cat === 'product_version_range') next.range = name;
      else if (cat === 'service_pack' || cat === 'patch_level') next.version = next.version ? `${next.version} ${name}` : name;
      if (b.product) add(obj(b.product), next);
      walk(b.branches, next, depth + 1);
    }
  };
  walk(tree.branches, {}, 0);
  for (const p of arr(tree.full_product_names).map(obj)) add(p, {});
  for (const r of arr(tree.relationships).map(obj)) {
    const fp = obj(r?.full_product_name);
    const comp = out.get(str(r?.product_reference) ?? '');
    if (fp && comp) add(fp, { vendor: comp.vendor, product: comp.product, version: comp.version, range: comp.range });
  }
  return out;
}

function affectedFor(p: CsafProduct, status: AffectedProduct['status'], notes: string[]): AffectedProduct {
  let range: VersionRange | undefined;
  if (p.version) range = { exact: [p.version] };
  else if (p.range) {
    range = parseRangeText(p.range);
    if (!range) notes.push(`${p.id}: version range "${p.range}" not understood; treated as every version`);
  }
  const cpe = p.cpe ? parseCpe(p.cpe) : undefined;
  if (!range && cpe && cpe.version !== '*' && cpe.version !== '-') range = { exact: [cpe.version] };
  const purl = p.purl ? parsePurl(p.purl) : undefined;
  if (!range && purl?.version) range = { exact: [purl.version] };
  const base = { label: p.name, range: range ?? { all: true }, status, productId: p.id };
  if (cpe) return { ...base, kind: 'cpe', vendor: normaliseName(cpe.vendor), product: normaliseName(cpe.product), cpe: p.cpe };
  if (purl) return { ...base, kind: 'package', vendor: '', product: normaliseName(purl.name), ecosystem: purl.type };
  return { ...base, kind: 'product', vendor: normaliseName(p.vendor), product: normaliseName(p.product) };
}

export function parseCsaf(doc: Obj, file: string): ParsedFeed {
  const d = obj(doc.document)!;
  const tracking = str(obj(d.tracking)?.id) ?? file;
  const products = csafProducts(obj(doc.product_tree));
  const warnings: string[] = [];
  const advisories: Advisory[] = [];
  arr(doc.vulnerabilities).forEach((v, i) => {
    const vu = obj(v);
    if (!vu) return;
    const cve = str(vu.cve);
    const id = cve ?? str(obj(arr(vu.ids)[0])?.text) ?? `${tracking}#${i + 1}`;
    const notes: string[] = [];
    const ps = obj(vu.product_status) ?? {};
    const affected: AffectedProduct[] = [];
    const fixedIds = new Set([...strs(ps.fixed), ...strs(ps.first_fixed)]);
    const fixedVersion = [...fixedIds].map((fid) => products.get(fid)?.version).find((x) => !!x);
    const push = (ids: string[], status: AffectedProduct['status']) => {
      for (const pid of ids) {
        const p = products.get(pid);
        if (!p) { notes.push(`product id ${pid} is not in the product tree`); continue; }
        const a = affectedFor(p, status, notes);
        if (status === 'affected' && fixedVersion) a.fixed = fixedVersion;
        affected.push(a);
      }
    };
    push([...strs(ps.known_affected), ...strs(ps.first_affected), ...strs(ps.last_affected)], 'affected');
    push([...fixedIds], 'fixed');
    push(strs(ps.known_not_affected), 'not_affected');
    if (strs(ps.under_investigation).length) notes.push(`${strs(ps.under_investigation).length} product(s) under investigation`);
    const remediations: Remediation[] = arr(vu.remediations).map(obj).filter((r): r is Obj => !!r).map((r) => ({
      category: str(r.category) ?? 'other', text: (str(r.details) ?? '').slice(0, 600), url: str(r.url),
    }));
    const scores: Cvss[] = [];
    for (const s of arr(vu.scores).map(obj)) {
      for (const key of ['cvss_v4', 'cvss_v3', 'cvss_v2']) {
        const c = obj(s?.[key]);
        const score = num(c?.baseScore);
        if (c && score !== undefined) scores.push({ version: str(c.version) ?? key.slice(6), score, vector: str(c.vectorString), severity: str(c.baseSeverity) });
      }
    }
    const cwe = str(obj(vu.cwe)?.id);
    advisories.push({
      key: `csaf:${tracking}:${id}`, id, source: 'csaf', aliases: cve ? [cve] : [], document: tracking,
      title: (str(vu.title) ?? str(d.title) ?? id).slice(0, 400), published: str(obj(d.tracking)?.initial_release_date),
      modified: str(obj(d.tracking)?.current_release_date), cvss: bestCvss(scores), cwes: cwe ? [cwe] : [],
      references: arr(vu.references).map((r) => str(obj(r)?.url)).filter((s): s is string => !!s).slice(0, 20),
      affected, remediations, notes, file,
    });
  });
  if (!advisories.length) warnings.push(`${file}: CSAF document ${tracking} lists no vulnerabilities`);
  return { format: 'csaf', advisories, kev: [], warnings };
}
