/**
 * NVD CVE API 2.0: a single `cve` object (as the per-CVE mirrors store it),
 * a `{cve: {...}}` item, or a paged response with `vulnerabilities[]`.
 */
import { parseCpe } from './cpe.ts';
import { bestCvss } from './cvss.ts';
import { arr, obj, num, str, type Obj } from './json.ts';
import { normaliseName, type AffectedProduct, type Advisory, type Cvss, type ParsedFeed } from './types.ts';

export function isNvd(doc: Obj): boolean {
  if (Array.isArray(doc.vulnerabilities) && (doc.format === 'NVD_CVE' || obj(arr(doc.vulnerabilities)[0])?.cve !== undefined)) return true;
  const c = obj(doc.cve) ?? doc;
  return typeof c.id === 'string' && /^CVE-\d{4}-\d+$/.test(c.id) && (Array.isArray(c.descriptions) || c.metrics !== undefined);
}

export function parseNvd(doc: Obj, file: string): ParsedFeed {
  const warnings: string[] = [];
  const items = Array.isArray(doc.vulnerabilities) ? arr(doc.vulnerabilities).map((v) => obj(obj(v)?.cve)) : [obj(doc.cve) ?? doc];
  const advisories: Advisory[] = [];
  items.forEach((c, i) => {
    if (!c || typeof c.id !== 'string') {
      warnings.push(`${file}: vulnerabilities[${i}] has no cve.id; skipped`);
      return;
    }
    advisories.push(nvdAdvisory(c, file));
  });
  return { format: 'nvd', advisories, kev: [], warnings };
}

export function nvdAdvisory(c: Obj, file: string): Advisory {
  const id = str(c.id)!;
  const desc = arr(c.descriptions).map(obj).find((d) => d?.lang === 'en') ?? obj(arr(c.descriptions)[0]);
  const metrics = obj(c.metrics) ?? {};
  const scores: Cvss[] = [];
  for (const key of ['cvssMetricV40', 'cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2']) {
    for (const m of arr(metrics[key]).map(obj)) {
      const d = obj(m?.cvssData);
      const score = num(d?.baseScore);
      if (d && score !== undefined) {
        scores.push({ version: str(d.version) ?? key.slice(10), score, vector: str(d.vectorString), severity: str(d.baseSeverity) ?? str(m?.baseSeverity) });
      }
    }
  }
  const cwes = arr(c.weaknesses).flatMap((w) => arr(obj(w)?.description).map((d) => str(obj(d)?.value))).filter((s): s is string => !!s && s.startsWith('CWE-'));
  const affected: AffectedProduct[] = [];
  const notes: string[] = [];
  for (const conf of arr(c.configurations).map(obj)) {
    const nodes = arr(conf?.nodes).map(obj);
    // In an AND configuration the non-vulnerable CPEs are platforms the product must run on.
    const platforms = conf?.operator === 'AND' || nodes.some((n) => n?.operator === 'AND')
      ? nodes.flatMap((n) => arr(n?.cpeMatch).map(obj)).filter((m) => m && m.vulnerable === false).map((m) => str(m?.criteria)).filter((s): s is string => !!s)
      : [];
    for (const node of nodes) {
      if (node?.negate === true) continue;
      for (const m of arr(node?.cpeMatch).map(obj)) {
        if (!m || m.vulnerable !== true) continue;
        const criteria = str(m.criteria);
        const cpe = criteria ? parseCpe(criteria) : undefined;
        if (!cpe) { notes.push(`unreadable cpe criteria ${criteria ?? '(none)'}`); continue; }
        const range: AffectedProduct['range'] = {
          startIncluding: str(m.versionStartIncluding), startExcluding: str(m.versionStartExcluding),
          endIncluding: str(m.versionEndIncluding), endExcluding: str(m.versionEndExcluding),
        };
        for (const k of Object.keys(range) as Array<keyof typeof range>) if (range[k] === undefined) delete range[k];
        if (cpe.version !== '*' && cpe.version !== '-') range.exact = [cpe.version];
        else if (!Object.keys(range).length) range.all = true;
        affected.push({
          kind: 'cpe', vendor: normaliseName(cpe.vendor), product: normaliseName(cpe.product), cpe: criteria, label: `${cpe.vendor}:${cpe.product}`, range, status: 'affected',
          fixed: str(m.versionEndExcluding),
          note: platforms.length ? `only when running on ${platforms.slice(0, 3).join(', ')}${platforms.length > 3 ? ', ...' : ''}` : undefined,
        });
      }
    }
  }
  if (!affected.length) notes.push(`no CPE configuration yet (vulnStatus ${str(c.vulnStatus) ?? 'unknown'}): nothing to match until NVD analyses it or another feed names the product`);
  const remediations = [];
  if (str(c.cisaRequiredAction)) remediations.push({ category: 'kev_required_action', text: str(c.cisaRequiredAction)! });
  return {
    key: `nvd:${id}`, id, source: 'nvd', aliases: [id], title: (str(desc?.value) ?? id).slice(0, 400),
    published: str(c.published), modified: str(c.lastModified), cvss: bestCvss(scores), cwes: [...new Set(cwes)],
    references: arr(c.references).map((r) => str(obj(r)?.url)).filter((s): s is string => !!s).slice(0, 20),
    affected, remediations, notes, file,
  };
}

