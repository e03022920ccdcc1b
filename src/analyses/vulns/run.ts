/**
 * `wardline vulns`: identities matched against the stored advisories, then
 * put in the order an attacker would find them: known exploited (CISA KEV)
 * first, then by CVSS, exposure (internet-facing, reachable from user/DMZ/
 * partner footholds through the model's conduits and observed flows), PHI
 * and clinical criticality. VEX and vendor "fixed"/"not affected"
 * statements suppress a match, and say so.
 */
import type { Finding } from '../../core/finding.ts';
import { SEVERITIES, type Severity } from '../../core/severity.ts';
import { siteIdentities } from '../../feeds/identity.ts';
import { vexFor } from '../../feeds/vex.ts';
import { dbIndex, matchIdentities, type Match } from '../../feeds/match.ts';
import type { VexStatement } from '../../feeds/sbom.ts';
import { kevFor, loadAdvisory } from '../../feeds/store.ts';
import { cvssSeverity } from '../../feeds/cvss.ts';
import type { Advisory, KevEntry } from '../../feeds/types.ts';
import { compareVersions } from '../../feeds/version.ts';
import type { SiteModel } from '../../model/types.ts';
import type { FlowEdge, HostFacts } from '../../observations/types.ts';
import type { Db } from '../../store/db.ts';
import { lifecycleOf, type LifecycleRule } from './eol.ts';
import { exposures, type Exposure } from './exposure.ts';

export interface VulnOptions {
  model: SiteModel;
  modelPath: string;
  db: Db;
  edges?: readonly FlowEdge[];
  hosts?: readonly HostFacts[];
  probeFindings?: readonly Finding[];
  /** Extra VEX documents (CycloneDX with vulnerabilities[].analysis). */
  vex?: readonly VexStatement[];
  /** Only this asset. */
  asset?: string;
  now?: number;
}

export interface AssetVuln {
  asset: string;
  vuln: string;
  aliases: string[];
  title: string;
  cvss?: number;
  severity: Severity;
  /** Higher first; the terms are in `factors`. */
  priority: number;
  factors: string[];
  kev?: KevEntry;
  exposure?: Exposure;
  identities: string[];
  why: string[];
  advisories: Array<{ key: string; source: string; document?: string; file: string }>;
  fixed?: string;
  remediation: string[];
  suppressed?: string;
}

export interface LifecycleHit {
  asset: string;
  identity: string;
  source: string;
  rule: LifecycleRule;
}

export interface VulnReport {
  vulns: AssetVuln[];
  suppressed: AssetVuln[];
  lifecycle: LifecycleHit[];
  findings: Finding[];
  identities: number;
  assetsWithIdentity: number;
  warnings: string[];
}

const CRIT_WEIGHT = { low: 0, medium: 0.5, high: 1.5, critical: 2 } as const;

function bump(s: Severity, by: number): Severity {
  const i = Math.max(1, Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(s) + by));
  return SEVERITIES[i];
}

export async function runVulns(o: VulnOptions): Promise<VulnReport> {
  const model = o.asset ? { ...o.model, assets: o.model.assets.filter((a) => a.name === o.asset) } : o.model;
  const { identities, vex: sbomVex, warnings } = siteIdentities({ model, modelPath: o.modelPath, hosts: o.hosts, probeFindings: o.probeFindings });
  const vex = [...sbomVex, ...(o.vex ?? [])];
  const matches = await matchIdentities(identities, dbIndex(o.db));
  let exp: Map<string, Exposure> | undefined;
  try {
    exp = exposures(o.model, o.edges ?? [], o.now);
  } catch (err) {
    warnings.push(`exposure not computed: ${(err as Error).message}`);
  }
  const advCache = new Map<string, Omit<Advisory, 'affected'> | undefined>();
  const adv = async (k: string) => {
    if (!advCache.has(k)) advCache.set(k, await loadAdvisory(o.db, k));
    return advCache.get(k);
  };
  // Group by (asset, vulnerability id); a CVE from NVD and from a CSAF advisory is one row.
  const groups = new Map<string, Match[]>();
  for (const m of matches) {
    const a = await adv(m.advKey);
    if (!a) continue;
    const k = `${m.asset}\u0000${a.id}`;
    const g = groups.get(k);
    if (g) g.push(m); else groups.set(k, [m]);
  }
  const cves = new Set<string>();
  for (const ms of groups.values()) for (const m of ms) for (const x of (await adv(m.advKey))!.aliases) if (x.startsWith('CVE-')) cves.add(x);
  const kev = await kevFor(o.db, [...cves]);
  const assetByName = new Map(model.assets.map((a) => [a.name, a]));
  const vulns: AssetVuln[] = [];
  const suppressed: AssetVuln[] = [];
  for (const ms of groups.values()) {
    const first = (await adv(ms[0].advKey))!;
    const asset = assetByName.get(ms[0].asset)!;
    const advs = await Promise.all(ms.map((m) => adv(m.advKey)));
    const aliases = [...new Set(advs.flatMap((a) => [a!.id, ...a!.aliases]))];
    const affected = ms.filter((m) => m.entry.status === 'affected');
    const notAffected = ms.find((m) => m.entry.status !== 'affected');
    const vexHit = affected.map((m) => ({ m, v: vexFor(m.identity, aliases, vex) })).find((x) => x.v);
    const cvss = advs.map((a) => a!.cvss?.score).filter((x): x is number => x !== undefined).sort((x, y) => y - x)[0];
    const k = aliases.map((x) => kev.get(x)).find(Boolean);
    const e = exp?.get(asset.name);
    const factors: string[] = [];
    let priority = cvss ?? 5;
    factors.push(cvss !== undefined ? `CVSS ${cvss}` : 'no CVSS score (5 assumed)');
    const rated = cvss !== undefined ? cvssSeverity(cvss) : 'medium';
    let severity: Severity = rated === 'none' ? 'low' : rated;
    if (k) {
      priority += 5 + (k.ransomware === 'Known' ? 1 : 0);
      factors.push(`CISA KEV since ${k.dateAdded}${k.ransomware === 'Known' ? ', used by ransomware' : ''}`);
      severity = bump(severity, 1);
    }
    if (e?.internetFacing || e?.fromInternet) {
      priority += 3;
      factors.push(e.internetFacing ? `internet-facing zone ${e.zone}` : 'directly reachable from the internet (one conduit or observed flow)');
      severity = bump(severity, 1);
    } else if (e && e.footholdHops >= 0) {
      priority += e.footholdHops <= 2 ? 2 : 1;
      factors.push(e.footholdHops === 0 ? `in a user/DMZ-facing zone (${e.zone})` : `reachable from a user/DMZ/partner foothold in ${e.footholdHops} hop(s)`);
    } else if (e) {
      factors.push('not reachable from any user/DMZ/partner foothold in the model');
      if (!k) severity = bump(severity, -1);
    }
    if (asset.phi) { priority += 1.5; factors.push('handles PHI'); }
    // A match backed only by a guess (a vendor-only fingerprint, a product without version) is listed, but lower.
    if (ms.every((m) => m.identity.confidence === 'low')) { priority -= 1; factors.push('identity confidence low'); }
    priority += CRIT_WEIGHT[asset.criticality];
    factors.push(`criticality ${asset.criticality}`);
    const fixedList = affected.map((m) => m.entry.fixed).filter((x): x is string => !!x).sort(compareVersions);
    const remediation = [...new Set(advs.flatMap((a) => a!.remediations
      .map((r) => `${r.category}: ${r.text || ''}${r.url ? ` ${r.url}` : ''}`.trim())))].slice(0, 6);
    const row: AssetVuln = {
      asset: asset.name, vuln: first.id, aliases, title: first.title, cvss, severity, priority: Math.round(priority * 10) / 10, factors, kev: k, exposure: e,
      identities: [...new Set(ms.map((m) => `${m.identity.display} [${m.identity.source}, ${m.identity.confidence}]`))],
      why: [...new Set(ms.map((m) => `${m.why} — ${m.entry.status} per ${m.advKey}`))],
      advisories: advs.map((a, i) => ({ key: ms[i].advKey, source: a!.source, document: a!.document, file: a!.file })),
      fixed: fixedList[fixedList.length - 1], remediation,
    };
    if (!affected.length || notAffected) {
      row.suppressed = notAffected ? `${notAffected.entry.status.replace('_', ' ')} per ${notAffected.advKey}: ${notAffected.why}` : 'no affected statement';
      suppressed.push(row);
    } else if (vexHit) {
      row.suppressed = `VEX ${vexHit.v!.state}${vexHit.v!.justification ? ` (${vexHit.v!.justification})` : ''} in ${vexHit.v!.file}`;
      suppressed.push(row);
    } else vulns.push(row);
  }
  vulns.sort((a, b) => b.priority - a.priority || a.asset.localeCompare(b.asset) || a.vuln.localeCompare(b.vuln));
  const lifecycle: LifecycleHit[] = [];
  const seenLc = new Set<string>();
  for (const id of identities) {
    const r = lifecycleOf(id);
    if (!r || seenLc.has(`${id.asset}|${r.id}`)) continue;
    seenLc.add(`${id.asset}|${r.id}`);
    lifecycle.push({ asset: id.asset, identity: id.display, source: `${id.source}: ${id.detail}`, rule: r });
  }
  const findings = [...vulns.map((v) => vulnFinding(v, assetByName.get(v.asset)!)), ...lifecycle.map((l) => lifecycleFinding(l, assetByName.get(l.asset)!, exp?.get(l.asset)))];
  return { vulns, suppressed, lifecycle, findings, identities: identities.length, assetsWithIdentity: new Set(identities.map((i) => i.asset)).size, warnings };
}

function vulnFinding(v: AssetVuln, asset: SiteModel['assets'][number]): Finding {
  const cve = v.aliases.find((x) => x.startsWith('CVE-'));
  return {
    id: `vulns:${v.asset}:${v.vuln}`,
    rule: v.kev ? 'vulns.known-exploited' : 'vulns.known-vulnerability',
    title: `${v.vuln}${v.kev ? ' (known exploited)' : ''} in ${v.identities[0]?.replace(/ \[.*$/, '')} on ${v.asset}`,
    severity: v.severity, source: 'vulns', subject: v.asset, process: asset.process, zone: asset.zone ?? v.exposure?.zone,
    evidence: { vuln: v.vuln, aliases: v.aliases, cvss: v.cvss, priority: v.priority, factors: v.factors, identities: v.identities, why: v.why, fixed: v.fixed, kev: v.kev ? { dateAdded: v.kev.dateAdded, dueDate: v.kev.dueDate, ransomware: v.kev.ransomware } : undefined, advisories: v.advisories.map((a) => a.key) },
    rationale: v.title,
    fix: v.fixed ? `Update to ${v.fixed} or later.${v.remediation.length ? ` ${v.remediation[0]}` : ''}` : v.remediation[0] ?? (v.kev?.requiredAction ?? 'See the advisory for a fix or mitigation.'),
    references: [...(cve ? [`https://nvd.nist.gov/vuln/detail/${cve}`] : []), ...(v.kev ? ['CISA KEV catalogue'] : []), ...v.advisories.filter((a) => a.document).map((a) => `${a.source.toUpperCase()} ${a.document}`), 'HICP TV2 Practice 9 (vulnerability management)'],
  };
}

function lifecycleFinding(l: LifecycleHit, asset: SiteModel['assets'][number], e: Exposure | undefined): Finding {
  const exposed = !!e && (e.internetFacing || e.fromInternet || e.footholdHops >= 0);
  const sev: Severity = l.rule.status === 'end-of-life' ? (exposed ? 'high' : 'medium') : exposed ? 'medium' : 'low';
  return {
    id: `vulns:lifecycle:${l.asset}:${l.rule.id}`, rule: `vulns.${l.rule.status}`, title: `${l.identity} on ${l.asset} is ${l.rule.status}`,
    severity: sev, source: 'vulns', subject: l.asset, process: asset.process, zone: asset.zone ?? e?.zone,
    evidence: { identity: l.identity, from: l.source, rule: l.rule.id }, rationale: l.rule.why, fix: l.rule.fix, references: [l.rule.reference],
  };
}
