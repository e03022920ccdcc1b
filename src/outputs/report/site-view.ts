/**
 * One read of the store (and the model, when given) shaped for people: the
 * data-flow map with a verdict on every edge, the asset inventory with its
 * facts, findings, a timeline and the blast radius before/after a proposal.
 * The report formats and the dashboard both render this; neither touches
 * SQL or the analyses directly.
 */
import type { Finding } from '../../core/finding.ts';
import { isPrivateAddress } from '../../core/net.ts';
import { severityRank, type Severity } from '../../core/severity.ts';
import { blastFrom, rankFootholds, type BlastResult } from '../../analyses/blast/blast.ts';
import { runCheck, type FlowVerdict } from '../../analyses/check/run.ts';
import { compilePolicy } from '../../graph/policy.ts';
import { buildSiteGraph, resolveNodes, type SiteGraph } from '../../graph/site-graph.ts';
import type { SiteModel } from '../../model/types.ts';
import { ModelPlacer } from '../../observations/classify.ts';
import { loadObservations } from '../../observations/persist.ts';
import { edgeKey, type FlowEdge, type HostFacts, type Observations } from '../../observations/types.ts';
import type { Db } from '../../store/db.ts';

export type Verdict = FlowVerdict['verdict'] | 'unchecked';

export interface ViewNode {
  id: number;
  address: string;
  /** Asset or partner name, else the address. */
  name: string;
  zone: string;
  kind?: string;
  process?: string;
  phi: boolean;
}

export interface ViewEdge {
  id: number;
  key: string;
  src: number;
  dst: number;
  transport: string;
  dport: number;
  protocol: string;
  process: string;
  handover?: string;
  verdict: Verdict;
  conduit?: string;
  rules: string[];
  phi: boolean;
  encrypted: boolean;
  sessions: number;
  bytes: number;
  firstSeen: number;
  lastSeen: number;
}

export interface AssetRow {
  name: string;
  addresses: string[];
  zone: string;
  process?: string;
  kind?: string;
  modelled: boolean;
  vendor?: string;
  product?: string;
  version?: string;
  /** What the wire said it runs: "DCMTK 3.6.7 (dicom, high)". */
  software: string[];
  aeTitles: string[];
  hl7Applications: string[];
  roles: string[];
  phi: boolean;
  criticality?: string;
  /** In an internet- or user-facing zone, or named by an exposure finding. */
  exposed: boolean;
  vulnerabilities: Array<{ id: string; title: string; severity: Severity }>;
  openFindings: number;
  firstSeen?: number;
  lastSeen?: number;
}

export interface StoredFinding extends Finding {
  status: string;
}

export interface TimelineEntry {
  ts: number;
  kind: string;
  severity: string;
  subject: string;
  title: string;
}

export interface BlastView {
  target: string;
  before: BlastResult;
  /** Under the proposed model alone (enforced), when one was given. */
  after?: BlastResult;
  proposed?: string;
}

export interface SiteView {
  site: string;
  generatedAt: number;
  /** The store it was read from, without credentials. */
  store: string;
  hasModel: boolean;
  nodes: ViewNode[];
  edges: ViewEdge[];
  assets: AssetRow[];
  findings: StoredFinding[];
  timeline: TimelineEntry[];
  blast?: BlastView;
  counts: {
    edges: number; allowed: number; intraZone: number; violations: number; unchecked: number;
    assets: number; hosts: number; phiEdgesCleartext: number;
    findings: number; bySeverity: Record<string, number>;
  };
}

export interface SiteViewOptions {
  model?: SiteModel;
  /** A proposed model: the blast radius is shown before (today) and after (proposal enforced). */
  proposed?: { model: SiteModel; label: string };
  /** Asset, zone or address for the blast radius; default the riskiest exposed foothold. */
  blastTarget?: string;
  now?: number;
  /** Cap on timeline entries. */
  timelineLimit?: number;
  /** Observations already loaded (the dashboard keeps them for blast queries). */
  observations?: Observations;
}

interface FindingRow {
  id: string; rule: string; title: string; severity: string; source: string; subject: string;
  process: string | null; zone: string | null; evidence_json: string; references_json: string;
  rationale: string | null; fix: string | null; location_json: string | null; status: string;
  first_seen: number; last_seen: number;
}

function safeJson<T>(s: string | null, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

/** Stored findings; `exceptSource` leaves out one source's (recomputed by the caller). */
export async function loadFindings(db: Db, exceptSource?: string): Promise<StoredFinding[]> {
  const rows = exceptSource
    ? await db.all<FindingRow>('SELECT * FROM findings WHERE source <> ? ORDER BY id', [exceptSource])
    : await db.all<FindingRow>('SELECT * FROM findings ORDER BY id');
  return rows.map((r) => ({
    id: r.id, rule: r.rule, title: r.title, severity: r.severity as Severity, source: r.source, subject: r.subject,
    ...(r.process ? { process: r.process } : {}), ...(r.zone ? { zone: r.zone } : {}),
    evidence: safeJson<Record<string, unknown>>(r.evidence_json, {}), references: safeJson<string[]>(r.references_json, []),
    ...(r.rationale ? { rationale: r.rationale } : {}), ...(r.fix ? { fix: r.fix } : {}),
    ...(r.location_json ? { location: safeJson(r.location_json, { file: '' }) } : {}),
    status: r.status, firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen),
  }));
}

// Code-point order: stable across locales, and far cheaper than localeCompare on 50k findings.
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortFindings<T extends Finding>(fs: T[]): T[] {
  return fs.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || cmp(a.rule, b.rule) || cmp(a.subject, b.subject));
}

async function loadTimeline(db: Db, findings: readonly StoredFinding[], limit: number): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  const events = await db.all<{ ts: number; kind: string; severity: string; subject: string; payload_json: string }>(
    'SELECT ts, kind, severity, subject, payload_json FROM events ORDER BY ts DESC, id DESC LIMIT ?', [limit]);
  for (const e of events) {
    const p = safeJson<{ title?: string; message?: string }>(e.payload_json, {});
    out.push({ ts: Number(e.ts), kind: e.kind, severity: e.severity, subject: e.subject, title: p.title ?? p.message ?? e.kind });
  }
  const snaps = await db.all<{ created_at: number; site: string; hash: string }>('SELECT created_at, site, hash FROM model_snapshots ORDER BY created_at DESC LIMIT ?', [limit]);
  for (const s of snaps) out.push({ ts: Number(s.created_at), kind: 'model.snapshot', severity: 'info', subject: s.site, title: `model snapshot ${s.hash.slice(0, 12)}` });
  const bases = await db.all<{ created_at: number; name: string; kind: string }>('SELECT created_at, name, kind FROM baselines ORDER BY created_at DESC LIMIT ?', [limit]);
  for (const b of bases) out.push({ ts: Number(b.created_at), kind: 'baseline', severity: 'info', subject: b.name, title: `baseline ${b.name} (${b.kind}) recorded` });
  // Drift and change findings are changes by nature; their first sighting is the moment of change.
  for (const f of findings) {
    if (f.source === 'drift' || f.source === 'monitor' || f.source === 'change' || f.source === 'simulate') {
      out.push({ ts: f.firstSeen ?? 0, kind: `${f.source}.finding`, severity: f.severity, subject: f.subject, title: f.title });
    }
  }
  return out.sort((a, b) => b.ts - a.ts).slice(0, limit);
}

const EXPOSED_KINDS = new Set(['dmz', 'external', 'user', 'wireless']);

/** Reads the store (and uses the model, when given) into one SiteView. */
export async function buildSiteView(db: Db, opts: SiteViewOptions = {}): Promise<SiteView> {
  const obs = opts.observations ?? await loadObservations(db);
  const model = opts.model;
  const now = opts.now ?? Date.now();
  // With a model, check findings are recomputed against it (a stored one the model no longer
  // produces is stale); only their triage status and first sighting come from the store.
  const stored = await loadFindings(db, model ? 'check' : undefined);
  const findings = new Map<string, StoredFinding>(stored.map((f) => [f.id, f]));
  const verdicts = new Map<string, FlowVerdict>();
  if (model) {
    const kept = new Map<string, { status: string; first_seen: number }>();
    for (const r of await db.all<{ id: string; status: string; first_seen: number }>("SELECT id, status, first_seen FROM findings WHERE source = 'check'")) kept.set(r.id, r);
    const r = runCheck(model, obs.edges, { now });
    for (const v of r.verdicts) verdicts.set(v.edge, v);
    for (const f of r.findings) {
      const k = kept.get(f.id);
      const sf = f as StoredFinding;
      sf.status = k?.status ?? 'open';
      if (k) sf.firstSeen = Number(k.first_seen);
      findings.set(f.id, sf);
    }
  }
  const allFindings = sortFindings([...findings.values()]);
  const placer = model ? new ModelPlacer(model) : undefined;
  const hostFacts = new Map<string, HostFacts>(obs.hosts.map((h) => [h.address, h]));

  const nodes: ViewNode[] = [];
  const nodeIds = new Map<string, number>();
  const nodeOf = (addr: string): number => {
    let id = nodeIds.get(addr);
    if (id !== undefined) return id;
    id = nodes.length;
    nodeIds.set(addr, id);
    const p = placer?.place(addr);
    const zone = p?.partner ? 'external partners' : p?.zone?.name ?? (isPrivateAddress(addr) ? (model ? 'not in model' : 'internal') : 'internet');
    const name = p?.asset?.name ?? p?.partner?.name ?? addr;
    nodes.push({
      id, address: addr, name, zone,
      ...(p?.asset ? { kind: p.asset.kind } : p?.partner ? { kind: `partner:${p.partner.kind}` } : {}),
      ...(p?.asset?.process ? { process: p.asset.process } : {}),
      phi: p?.asset?.phi ?? false,
    });
    return id;
  };
  const edges: ViewEdge[] = [];
  const counts = { edges: 0, allowed: 0, intraZone: 0, violations: 0, unchecked: 0, assets: 0, hosts: obs.hosts.length, phiEdgesCleartext: 0, findings: allFindings.length, bySeverity: {} as Record<string, number> };
  for (const e of obs.edges) {
    const key = edgeKey(e);
    const v = verdicts.get(key);
    const verdict: Verdict = v?.verdict ?? 'unchecked';
    edges.push(viewEdge(edges.length, key, e, nodeOf(e.src), nodeOf(e.dst), verdict, v));
    counts.edges++;
    if (verdict === 'allowed') counts.allowed++;
    else if (verdict === 'intra-zone') counts.intraZone++;
    else if (verdict === 'violation') counts.violations++;
    else counts.unchecked++;
    if (e.phi && !e.encrypted) counts.phiEdgesCleartext++;
  }
  for (const f of allFindings) counts.bySeverity[f.severity] = (counts.bySeverity[f.severity] ?? 0) + 1;

  const assets = inventory(model, placer, obs.hosts, hostFacts, allFindings);
  counts.assets = assets.length;
  const timeline = await loadTimeline(db, allFindings, opts.timelineLimit ?? 500);
  const blast = model ? blastView(model, obs.edges, opts, now) : undefined;
  return {
    site: model?.site.name ?? 'site', generatedAt: now, store: db.location, hasModel: !!model,
    nodes, edges, assets, findings: allFindings, timeline, ...(blast ? { blast } : {}), counts,
  };
}

function viewEdge(id: number, key: string, e: FlowEdge, src: number, dst: number, verdict: Verdict, v?: FlowVerdict): ViewEdge {
  return {
    id, key, src, dst, transport: e.transport, dport: e.dport, protocol: e.protocol,
    process: e.label?.process ?? 'unclassified', ...(e.label?.handover ? { handover: e.label.handover } : {}),
    verdict, ...(v?.conduit ? { conduit: v.conduit } : {}), rules: v?.rules ?? [],
    phi: e.phi, encrypted: e.encrypted, sessions: e.sessions, bytes: e.bytes, firstSeen: e.firstSeen, lastSeen: e.lastSeen,
  };
}

/** "CVE-2023-33466" for a vulnerability, the lifecycle rule ("orthanc-pre-1.12") for an end-of-life finding. */
function vulnId(f: Finding): string {
  if (typeof f.evidence.vuln === 'string') return f.evidence.vuln;
  if (typeof f.evidence.rule === 'string') return f.evidence.rule;
  return f.id.split(':').at(-1) ?? f.id;
}

function softwareText(h: HostFacts | undefined): string[] {
  if (!h) return [];
  return h.software.map((s) => `${[s.vendor, s.product, s.version].filter(Boolean).join(' ')} (${s.source}, ${s.confidence})`);
}

function inventory(model: SiteModel | undefined, placer: ModelPlacer | undefined, hosts: HostFacts[], facts: Map<string, HostFacts>, findings: StoredFinding[]): AssetRow[] {
  const bySubject = new Map<string, StoredFinding[]>();
  for (const f of findings) {
    const list = bySubject.get(f.subject);
    if (list) list.push(f);
    else bySubject.set(f.subject, [f]);
  }
  const zoneKind = new Map(model?.zones.map((z) => [z.name, z]) ?? []);
  const rows: AssetRow[] = [];
  const covered = new Set<string>();
  const finish = (row: AssetRow, subjects: string[]) => {
    const fs = subjects.flatMap((s) => bySubject.get(s) ?? []);
    row.vulnerabilities = fs.filter((f) => f.source === 'vulns').map((f) => ({ id: vulnId(f), title: f.title, severity: f.severity }));
    row.openFindings = fs.filter((f) => f.status === 'open').length;
    if (fs.some((f) => f.rule.includes('exposed'))) row.exposed = true;
    rows.push(row);
  };
  for (const a of model?.assets ?? []) {
    const seen = a.addresses.map((x) => facts.get(x)).filter((h): h is HostFacts => !!h);
    for (const x of a.addresses) covered.add(x);
    const z = a.zone ? zoneKind.get(a.zone) : undefined;
    finish({
      name: a.name, addresses: a.addresses, zone: a.zone ?? (a.addresses[0] ? placer?.place(a.addresses[0]).zone?.name : undefined) ?? 'not in model',
      ...(a.process ? { process: a.process } : {}), kind: a.kind, modelled: true,
      ...(a.vendor ? { vendor: a.vendor } : {}), ...(a.product ? { product: a.product } : {}), ...(a.version ? { version: a.version } : {}),
      software: seen.flatMap(softwareText),
      aeTitles: [...new Set([...a.aeTitles, ...seen.flatMap((h) => h.aeTitles)])],
      hl7Applications: [...new Set([...a.hl7Applications, ...seen.flatMap((h) => h.hl7Applications)])],
      roles: [...new Set(seen.flatMap((h) => h.roles))], phi: a.phi, criticality: a.criticality,
      exposed: !!z && (z.internetFacing || EXPOSED_KINDS.has(z.kind)), vulnerabilities: [], openFindings: 0,
      ...(seen.length ? { firstSeen: Math.min(...seen.map((h) => h.firstSeen)), lastSeen: Math.max(...seen.map((h) => h.lastSeen)) } : {}),
    }, [a.name, ...a.addresses]);
  }
  for (const h of hosts) {
    if (covered.has(h.address)) continue;
    const p = placer?.place(h.address);
    if (p?.asset || p?.partner) continue;
    const z = p?.zone;
    finish({
      name: h.hostnames[0] ?? h.address, addresses: [h.address],
      zone: z?.name ?? (isPrivateAddress(h.address) ? (model ? 'not in model' : 'internal') : 'internet'),
      modelled: false, software: softwareText(h), aeTitles: h.aeTitles, hl7Applications: h.hl7Applications, roles: h.roles, phi: false,
      exposed: !!z && (z.internetFacing || EXPOSED_KINDS.has(z.kind)), vulnerabilities: [], openFindings: 0,
      firstSeen: h.firstSeen, lastSeen: h.lastSeen,
    }, [h.address]);
  }
  return rows.sort((a, b) => cmp(a.zone, b.zone) || cmp(a.name, b.name));
}

/** Blast radius of one target: today (model + observed flows) and, with a proposal, after it is enforced. */
/** The graphs a blast radius is computed on; build once and pass them to blastFor for repeated queries. */
export interface BlastGraphs {
  today: SiteGraph;
  after?: SiteGraph;
  proposed?: string;
}

export function blastGraphs(model: SiteModel, edges: readonly FlowEdge[], proposed: SiteViewOptions['proposed'], now: number): BlastGraphs {
  return {
    today: buildSiteGraph(compilePolicy(model), edges, { model: true, observed: true, now }),
    ...(proposed ? { after: buildSiteGraph(compilePolicy(proposed.model), [], { model: true, observed: false, now }), proposed: proposed.label } : {}),
  };
}

/** Blast radius of one target: today (model + observed flows) and, with a proposal, after it is enforced. */
export function blastFor(g: BlastGraphs, target: string): BlastView | undefined {
  const src = resolveNodes(g.today, target);
  if (!src) return undefined;
  const before = blastFrom(g.today, src);
  if (!g.after) return { target, before };
  const asrc = resolveNodes(g.after, target);
  const after = asrc ? blastFrom(g.after, asrc) : { ...before, reachedAssets: 0, phiAssets: 0, phiStores: 0, score: 0, phiReached: [], paths: [] };
  return { target, before, after, proposed: g.proposed };
}

function blastView(model: SiteModel, edges: readonly FlowEdge[], opts: SiteViewOptions, now: number): BlastView | undefined {
  const g = blastGraphs(model, edges, opts.proposed, now);
  const target = opts.blastTarget ?? rankFootholds(g.today, 50).find((r) => r.exposed && r.kind === 'asset')?.node ?? model.assets[0]?.name;
  return target ? blastFor(g, target) : undefined;
}
