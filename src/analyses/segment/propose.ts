/**
 * wardline segment propose: zones by process and role, and the minimal
 * conduits (exact services, DICOM AE and HL7 identities, data minimum) that
 * keep every legitimate observed flow working. Suspicious flows become
 * review items, never conduits.
 */
import type { AssetKind, Conduit, EndpointRef, Hl7Identity, ServiceSpec, SiteModel } from '../../model/types.ts';
import { classifyEdges } from '../../observations/classify.ts';
import type { FlowEdge } from '../../observations/types.ts';
import { isLoopbackAddress } from '../../graph/address.ts';
import { scanningSources, suspicion } from './legit.ts';
import { ZONE_DEFS, placeHosts, type Placement, type ProposedZoneDef } from './role.ts';

/** A model conduit as the proposal writes it, with what it was derived from. */
export interface ProposedConduit extends Pick<Conduit, 'id' | 'from' | 'to' | 'services' | 'dicom' | 'hl7' | 'fhir' | 'tlsRequired' | 'phiAllowed'> {
  justification: string;
  /** Comment lines: what it carries and what was seen. */
  rationale: string[];
  flows: number;
}

export interface ReviewItem {
  flow: string;
  handover?: string;
  reason: string;
}

export interface Proposal {
  site: string;
  zones: Array<ProposedZoneDef & { cidrs: string[] }>;
  assets: Array<{ name: string; address: string; zone: string; kind: AssetKind; process?: string; why: string }>;
  partners: Array<{ name: string; addresses: string[]; hostnames: string[] }>;
  conduits: ProposedConduit[];
  review: ReviewItem[];
  stats: { edges: number; intraZone: number; covered: number; suspicious: number };
}

/** What a DMZ display needs from an ADT feed: the envelope, the visit, MRN and name. */
const DISPLAY_SEGMENTS = ['MSH', 'EVN', 'PV1'];
const DISPLAY_FIELDS = ['PID-3', 'PID-5'];

const PROTOCOL_SERVICE: Record<string, string | undefined> = {
  dicom: 'dicom', 'dicom-tls': 'dicom-tls', hl7: 'hl7', 'hl7-tls': 'hl7-tls', fhir: 'fhir', dicomweb: 'dicomweb', http: 'http', tls: 'https', dns: 'dns', unknown: undefined,
};

const ZONE_KIND_DEFAULT: Record<string, AssetKind> = {
  'imaging-servers': 'pacs', 'emr-core': 'emr', interfaces: 'interface-engine', pharmacy: 'pharmacy', laboratory: 'lis',
  monitoring: 'monitoring-gateway', 'clinical-workstations': 'workstation',
};

const MODALITY_BY_SOP: Array<[string, AssetKind]> = [
  ['1.2.840.10008.5.1.4.1.1.2', 'ct'], ['1.2.840.10008.5.1.4.1.1.4', 'mr'], ['1.2.840.10008.5.1.4.1.1.6', 'us'], ['1.2.840.10008.5.1.4.1.1.3', 'us'],
  ['1.2.840.10008.5.1.4.1.1.1.1', 'dx'], ['1.2.840.10008.5.1.4.1.1.1', 'cr'], ['1.2.840.10008.5.1.4.1.1.12', 'xa'], ['1.2.840.10008.5.1.4.1.1.20', 'nm'], ['1.2.840.10008.5.1.4.1.1.128', 'pt'],
];

interface Group {
  src: Placement[];
  dst: Placement;
  transport: 'tcp' | 'udp';
  port: number;
  protocol: string | undefined;
  edges: FlowEdge[];
}

function uniq(xs: Iterable<string>): string[] {
  return [...new Set(xs)].filter((x) => x !== '').sort();
}

function day(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'unknown date';
}

function identities(g: Group, review: ReviewItem[]): Pick<ProposedConduit, 'dicom' | 'hl7' | 'fhir'> {
  const out: Pick<ProposedConduit, 'dicom' | 'hl7' | 'fhir'> = {};
  const pairs = g.edges.flatMap((e) => e.facts.dicom?.aePairs ?? []).filter((p) => p.outcome !== 'rejected');
  if (pairs.length) out.dicom = { callingAeTitles: uniq(pairs.map((p) => p.calling)), calledAeTitles: uniq(pairs.map((p) => p.called)) };
  const hl7 = g.edges.map((e) => e.facts.hl7).filter((h) => h !== undefined);
  if (hl7.length) {
    const types = uniq(hl7.flatMap((h) => Object.keys(h.messageTypes)).filter((t) => !t.startsWith('ACK')));
    const id: Hl7Identity = {
      sendingApplications: uniq(hl7.flatMap((h) => h.appPairs.map((p) => p.sendingApplication))),
      receivingApplications: uniq(hl7.flatMap((h) => h.appPairs.map((p) => p.receivingApplication))),
      messageTypes: types,
    };
    if (g.dst.zone === 'dmz' || g.dst.modelAsset?.kind === 'kiosk') {
      // A display in the DMZ gets the minimum, whatever the feed sends today.
      const segs = uniq(hl7.flatMap((h) => h.segments));
      const fields = uniq(hl7.flatMap((h) => h.fields));
      id.allowedSegments = DISPLAY_SEGMENTS.filter((s) => segs.includes(s) || s === 'MSH');
      id.allowedFields = DISPLAY_FIELDS;
      const excessSeg = segs.filter((s) => !id.allowedSegments!.includes(s) && s !== 'PID');
      const excessFields = fields.filter((f) => !DISPLAY_FIELDS.includes(f) && !id.allowedSegments!.includes(f.split('-')[0]));
      if (excessSeg.length || excessFields.length) {
        review.push({
          flow: `${g.src.map((s) => s.asset).join(',')} -> ${g.dst.asset} ${g.transport}/${g.port}`,
          handover: g.edges[0].label?.handover,
          reason: `data minimisation: the feed also carries ${[...excessSeg.map((s) => `segment ${s}`), ...excessFields.map((f) => `field ${f}`)].join(', ')}; the conduit allows only ${[...id.allowedSegments, ...id.allowedFields].join(', ')}: filter the feed at the interface engine`,
        });
      }
    }
    out.hl7 = id;
  }
  const fhir = uniq(g.edges.flatMap((e) => e.facts.http?.fhirResources ?? []));
  if (fhir.length) out.fhir = { allowedResources: fhir };
  return out;
}

function endpoint(places: Placement[], zoneOf: string): EndpointRef {
  if (places.length > 1) return { zone: zoneOf };
  const p = places[0];
  if (p.partner) return { partner: p.partner };
  if (p.zone === 'internet') return { zone: 'internet' };
  return { asset: p.asset };
}

export function proposeSegmentation(allEdges: FlowEdge[], model?: SiteModel): Proposal {
  const edges = allEdges.filter((e) => !isLoopbackAddress(e.src) && !isLoopbackAddress(e.dst));
  classifyEdges(edges, model);
  const places = placeHosts(edges, model);
  const scanners = scanningSources(edges);
  const review: ReviewItem[] = [];
  const groups = new Map<string, Group>();
  let intra = 0, covered = 0;
  const suspicious = new Set<FlowEdge>();
  for (const e of edges) {
    const why = suspicion(e, places, scanners, model !== undefined);
    if (why) {
      suspicious.add(e);
      if (!scanners.has(e.src)) review.push({ flow: `${e.src} -> ${e.dst} ${e.transport}/${e.dport} ${e.protocol}`, handover: e.label?.handover, reason: why });
      continue;
    }
    const s = places.get(e.src)!;
    const d = places.get(e.dst)!;
    if (s.zone === d.zone && s.zone !== 'internet') { intra++; continue; }
    covered++;
    // One conduit per port: a content-identified protocol names it, port guesses do not split it.
    const protocol = e.protocolFrom === 'content' ? PROTOCOL_SERVICE[e.protocol] : undefined;
    const key = `${s.asset}|${d.asset}|${e.transport}|${e.dport}`;
    const g = groups.get(key);
    if (g) { g.edges.push(e); g.protocol ??= protocol; }
    else groups.set(key, { src: [s], dst: d, transport: e.transport === 'udp' ? 'udp' : 'tcp', port: e.dport, protocol, edges: [e] });
  }
  for (const scanner of [...scanners].sort()) {
    const n = edges.filter((e) => e.src === scanner).length;
    review.push({ flow: `${scanner} -> (${n} flows)`, reason: 'scan: many hosts/ports probed; isolate and investigate, no conduit proposed' });
  }
  // Three or more hosts of one zone sending the same service to one destination share a zone conduit.
  const merged = new Map<string, Group>();
  for (const g of groups.values()) {
    const s = g.src[0];
    const key = `${s.partner ? s.asset : s.zone}|${g.dst.asset}|${g.transport}|${g.port}`;
    const m = merged.get(key);
    if (m) { m.src.push(s); m.edges.push(...g.edges); m.protocol ??= g.protocol; } else merged.set(key, { ...g, src: [s], edges: [...g.edges] });
  }
  const final: Group[] = [];
  for (const m of merged.values()) {
    if (m.src.length >= 3 && m.src[0].zone !== 'internet') final.push(m);
    else for (const s of m.src) final.push({ ...m, src: [s], edges: m.edges.filter((e) => places.get(e.src) === s) });
  }
  final.sort((a, b) => (a.src[0].zone + a.src[0].asset + a.dst.asset + a.port).localeCompare(b.src[0].zone + b.src[0].asset + b.dst.asset + b.port));
  const ids = new Set<string>();
  const conduits: ProposedConduit[] = final.map((g) => {
    const from = endpoint(g.src, g.src[0].zone);
    const to = endpoint([g.dst], g.dst.zone);
    const fromName = 'zone' in from ? from.zone : 'asset' in from ? from.asset : from.partner;
    const toName = 'zone' in to ? to.zone : 'asset' in to ? to.asset : to.partner;
    let id = `${fromName}-to-${toName}`;
    if (ids.has(id)) id = `${id}-${g.protocol ?? g.transport}-${g.port}`;
    ids.add(id);
    const ident = identities(g, review);
    const encrypted = g.edges.every((e) => e.encrypted);
    const phi = g.edges.some((e) => e.phi);
    const crossesOut = g.dst.zone === 'internet' || g.dst.partner !== undefined || g.src[0].zone === 'internet';
    const tlsRequired = encrypted || (phi && crossesOut);
    if (tlsRequired && !encrypted) {
      review.push({ flow: `${fromName} -> ${toName} ${g.transport}/${g.port}`, handover: g.edges[0].label?.handover, reason: 'PHI crosses the perimeter in cleartext today: the conduit requires TLS (HIPAA 164.312(e)(1)); enable MLLP/TLS or a VPN before enforcing' });
    }
    const handovers = uniq(g.edges.map((e) => e.label?.handover ?? ''));
    const sessions = g.edges.reduce((n, e) => n + e.sessions, 0);
    const first = Math.min(...g.edges.map((e) => e.firstSeen));
    const last = Math.max(...g.edges.map((e) => e.lastSeen));
    const process = g.edges[0].label?.process;
    const rationale = [
      ...handovers.slice(0, 3),
      `seen ${sessions} session(s) in ${g.edges.length} flow(s), ${day(first)} .. ${day(last)}${g.src.length > 1 ? `, from ${g.src.length} hosts of ${g.src[0].zone}` : ''}`,
    ];
    const service: ServiceSpec = { transport: g.transport, ports: [g.port], ...(g.protocol ? { protocol: g.protocol } : {}) };
    return {
      id, from, to, services: [service], ...ident, tlsRequired, phiAllowed: phi,
      justification: `${process && process !== 'unknown' ? `${process}: ` : ''}${handovers[0]?.replace(/^[^:]+: /, '') ?? `${g.transport}/${g.port}`} (observed)`,
      rationale, flows: g.edges.length,
    };
  });
  // Hosts seen only as targets of suspicious flows (silent scan targets) are not proposed as assets.
  const real = new Set<string>();
  for (const e of edges) {
    // Sources only of suspicious flows (scanners, unknown hosts) are for review, not for the inventory.
    if (!suspicious.has(e)) real.add(e.src);
    if (!suspicious.has(e) || e.protocolFrom === 'content') real.add(e.dst);
  }
  for (const a of [...places.keys()]) if (!real.has(a)) places.delete(a);
  // Zones: the proposed role zones with their members as host routes.
  const zoneMembers = new Map<string, string[]>();
  for (const p of places.values()) if (!p.partner && p.zone !== 'internet') (zoneMembers.get(p.zone) ?? zoneMembers.set(p.zone, []).get(p.zone)!).push(`${p.address}/32`);
  const zones = [...zoneMembers.keys()].sort().map((z) => ({ ...ZONE_DEFS[z], cidrs: zoneMembers.get(z)!.sort() }));
  zones.push({ ...ZONE_DEFS.internet, cidrs: ['0.0.0.0/0'] });
  const assets = [...places.values()].filter((p) => !p.partner && p.zone !== 'internet').map((p) => ({
    name: p.asset, address: p.address, zone: p.zone, kind: p.modelAsset?.kind ?? inferKind(p, edges), process: p.modelAsset?.process, why: p.why,
  })).sort((a, b) => (a.zone + a.name).localeCompare(b.zone + b.name));
  const partners = [...places.values()].filter((p) => p.partner).map((p) => ({
    name: p.partner!, addresses: [p.address],
    hostnames: uniq(edges.filter((e) => e.dst === p.address).flatMap((e) => [...(e.facts.tls?.sni ?? []), ...(e.facts.http?.hosts ?? [])])),
  })).sort((a, b) => a.name.localeCompare(b.name));
  return {
    site: model?.site.name ?? 'proposed segmentation',
    zones, assets, partners: partners.filter((p, i) => partners.findIndex((x) => x.name === p.name) === i),
    conduits, review, stats: { edges: edges.length, intraZone: intra, covered, suspicious: suspicious.size },
  };
}

function inferKind(p: Placement, edges: readonly FlowEdge[]): AssetKind {
  if (p.zone === 'modalities') {
    const sops = edges.filter((e) => e.src === p.address).flatMap((e) => e.facts.dicom?.sopClasses ?? []);
    for (const [prefix, kind] of MODALITY_BY_SOP) if (sops.some((s) => s === prefix || s.startsWith(`${prefix}.`))) return kind;
  }
  return ZONE_KIND_DEFAULT[p.zone] ?? 'other';
}
