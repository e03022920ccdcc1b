/**
 * OSV records: affected packages by ecosystem and name (or purl), with
 * SEMVER/ECOSYSTEM event ranges (introduced, fixed, last_affected, limit)
 * and explicit version lists. GIT ranges name commits, which no asset
 * reports, so they are kept as a note only.
 */
import { bestCvss, cvss3BaseScore } from './cvss.ts';
import { arr, obj, str, strs, type Obj } from './json.ts';
import { ecosystemType, parsePurl } from './purl.ts';
import { normaliseName, type AffectedProduct, type Cvss, type ParsedFeed } from './types.ts';
import type { VersionRange } from './version.ts';

export function isOsv(doc: Obj): boolean {
  return typeof doc.id === 'string' && (Array.isArray(doc.affected) || typeof doc.modified === 'string') && !doc.document && !doc.descriptions;
}

/** OSV gives a CVSS vector (or a bare number); v3 vectors are scored, others kept only when numeric. */
function osvSeverity(list: unknown): Cvss[] {
  return arr(list).map(obj).flatMap((s) => {
    const t = str(s?.type) ?? '';
    const score = str(s?.score) ?? '';
    const n = Number(score);
    if (Number.isFinite(n) && score.trim() !== '') return [{ version: t.replace('CVSS_V', ''), score: n }];
    const v3 = cvss3BaseScore(score);
    if (v3 !== undefined) return [{ version: score.slice(5, 8), score: v3, vector: score }];
    return [];
  });
}

export function parseOsv(doc: Obj, file: string): ParsedFeed {
  const id = str(doc.id)!;
  const notes: string[] = [];
  const affected: AffectedProduct[] = [];
  if (str(doc.withdrawn)) notes.push(`withdrawn ${str(doc.withdrawn)}`);
  arr(doc.affected).forEach((a0, i) => {
    const a = obj(a0);
    if (!a) return;
    const pkg = obj(a.package);
    const purl = str(pkg?.purl) ? parsePurl(str(pkg?.purl)!) : undefined;
    const eco = str(pkg?.ecosystem);
    const name = str(pkg?.name) ?? purl?.fullName;
    const ranges = arr(a.ranges).map(obj).filter((r): r is Obj => !!r);
    const git = ranges.filter((r) => r.type === 'GIT');
    if (git.length) notes.push(`affected[${i}]: GIT range${git.length > 1 ? 's' : ''} on ${git.map((r) => str(r.repo) ?? '?').join(', ')} (commit ranges; not matched against versions)`);
    if (!name) return;
    const ecosystem = eco ? ecosystemType(eco) : purl?.type ?? '';
    const product = normaliseName(name);
    const label = `${eco ?? purl?.type ?? '?'}:${name}`;
    for (const r of ranges) {
      if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') continue;
      const scheme = r.type === 'SEMVER' ? 'semver' : 'generic';
      // Events come in order: each "introduced" opens an interval the next fixed/last_affected/limit closes.
      let open: VersionRange | undefined;
      const close = () => { if (open) affected.push({ kind: 'package', vendor: '', product, ecosystem, label, range: open, status: 'affected', fixed: open.endExcluding }); open = undefined; };
      for (const e of arr(r.events).map(obj)) {
        if (!e) continue;
        if (str(e.introduced) !== undefined) {
          close();
          const intro = str(e.introduced)!;
          open = intro === '0' ? { scheme } : { startIncluding: intro, scheme };
          if (intro === '0') open.all = true;
        } else if (open && str(e.fixed) !== undefined) { open.endExcluding = str(e.fixed); delete open.all; close(); }
        else if (open && str(e.last_affected) !== undefined) { open.endIncluding = str(e.last_affected); delete open.all; close(); }
        else if (open && str(e.limit) !== undefined) { open.endExcluding = str(e.limit); delete open.all; close(); }
      }
      close();
    }
    const versions = strs(a.versions);
    if (versions.length && !ranges.some((r) => r.type !== 'GIT')) {
      affected.push({ kind: 'package', vendor: '', product, ecosystem, label, range: { exact: versions }, status: 'affected' });
    }
  });
  const aliases = [id, ...strs(doc.aliases)].filter((x, i, all) => all.indexOf(x) === i);
  const cve = aliases.find((x) => /^CVE-\d{4}-\d+$/.test(x));
  return {
    format: 'osv', kev: [], warnings: [],
    advisories: [{
      key: `osv:${id}`, id: cve ?? id, source: 'osv', aliases, document: id,
      title: (str(doc.summary) ?? str(doc.details) ?? id).slice(0, 400), published: str(doc.published), modified: str(doc.modified),
      cvss: bestCvss(osvSeverity(doc.severity)), cwes: strs(obj(doc.database_specific)?.cwe_ids),
      references: arr(doc.references).map((r) => str(obj(r)?.url)).filter((s): s is string => !!s).slice(0, 20),
      affected, remediations: affected.some((x) => x.fixed) ? [{ category: 'vendor_fix', text: `upgrade to ${[...new Set(affected.map((x) => x.fixed).filter(Boolean))].join(' / ')} or later` }] : [],
      notes, file,
    }],
  };
}
