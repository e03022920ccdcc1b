/**
 * Clinical classification of flow edges: which process a flow serves and
 * what handover it is ("Radiology: CT_SCANNER01 -> PACS_MAIN, C-STORE, CT
 * Image Storage"). Protocol facts decide first (an HL7 RDE is medication
 * management wherever it flows); the site model refines what the protocol
 * leaves open (an ORU from the monitoring gateway is patient monitoring)
 * and names endpoints, zones and partners.
 *
 * Basis: HL7 v2.5.1 Table 0076 message families (FLOW-1) and AE/HL7
 * application naming (FLOW-2) in the healthcare-security reference.
 */
import { isPrivateAddress } from '../core/net.ts';
import { ModelIndex } from '../model/index.ts';
import type { Asset, Partner, SiteModel, Zone } from '../model/types.ts';
import type { FlowEdge, FlowLabel } from './types.ts';

const PROCESS_TITLES: Record<string, string> = {
  radiology: 'Radiology',
  'patient-monitoring': 'Patient monitoring',
  'medication-management': 'Medication management',
  surgery: 'Surgery',
  diagnostics: 'Diagnostics',
  emr: 'EMR',
  billing: 'Billing',
  infrastructure: 'Infrastructure',
  unknown: 'Unclassified',
};

/** The SOP classes a hospital sees daily; others are shown by UID. */
export const SOP_CLASS_NAMES: Record<string, string> = {
  '1.2.840.10008.1.1': 'Verification',
  '1.2.840.10008.1.20.1': 'Storage Commitment',
  '1.2.840.10008.3.1.2.3.3': 'MPPS',
  '1.2.840.10008.5.1.4.31': 'Modality Worklist',
  '1.2.840.10008.5.1.4.1.1.1': 'CR Image Storage',
  '1.2.840.10008.5.1.4.1.1.1.1': 'DX Image Storage',
  '1.2.840.10008.5.1.4.1.1.1.2': 'Mammography Image Storage',
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.1': 'Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.4': 'MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.1': 'Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.6.1': 'US Image Storage',
  '1.2.840.10008.5.1.4.1.1.3.1': 'US Multi-frame Image Storage',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.12.1': 'XA Image Storage',
  '1.2.840.10008.5.1.4.1.1.20': 'NM Image Storage',
  '1.2.840.10008.5.1.4.1.1.128': 'PET Image Storage',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR Storage',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF Storage',
  '1.2.840.10008.5.1.4.1.2.1.1': 'Patient Root Q/R FIND',
  '1.2.840.10008.5.1.4.1.2.1.2': 'Patient Root Q/R MOVE',
  '1.2.840.10008.5.1.4.1.2.1.3': 'Patient Root Q/R GET',
  '1.2.840.10008.5.1.4.1.2.2.1': 'Study Root Q/R FIND',
  '1.2.840.10008.5.1.4.1.2.2.2': 'Study Root Q/R MOVE',
  '1.2.840.10008.5.1.4.1.2.2.3': 'Study Root Q/R GET',
};

/** HL7 message family (MSH-9.1) → process, where the family alone decides. */
const HL7_FAMILY_PROCESS: Record<string, string> = {
  ADT: 'emr', SIU: 'emr', MDM: 'emr', MFN: 'emr', QRY: 'emr', QBP: 'emr', RSP: 'emr', ACK: 'emr',
  ORM: 'emr', OML: 'diagnostics', OMI: 'radiology', ORL: 'diagnostics',
  RDE: 'medication-management', RDS: 'medication-management', RGV: 'medication-management',
  RAS: 'medication-management', RRE: 'medication-management', OMP: 'medication-management',
  DFT: 'billing', BAR: 'billing',
};

/** Where an address sits in the model. */
export interface Placement {
  asset?: Asset;
  zone?: Zone;
  partner?: Partner;
}

/**
 * Address → asset / zone / partner through the model's index (longest
 * prefix), cached per address: edge sets repeat the same few addresses.
 */
export class ModelPlacer {
  private readonly index: ModelIndex;
  private readonly cache = new Map<string, Placement>();

  constructor(model: SiteModel) {
    this.index = new ModelIndex(model);
  }

  place(address: string): Placement {
    const hit = this.cache.get(address);
    if (hit) return hit;
    const asset = this.index.assetFor(address);
    const zone = (asset?.zone ? this.index.zones.get(asset.zone) : undefined) ?? this.index.zoneFor(address);
    const partner = this.index.partnerFor(address);
    const placed: Placement = { asset, zone, partner };
    this.cache.set(address, placed);
    return placed;
  }

  partnerByHostname(name: string): Partner | undefined {
    const hit = this.index.byHost(name);
    // Assets carry MACs, partners do not: a hostname of an asset is no partner.
    return hit && !('macs' in hit) ? hit : undefined;
  }
}

/**
 * The n keys with the highest counts, ties by key order. A selection into a
 * short list rather than a sort of all entries: labels are made for every
 * edge, and a count record holds a handful of keys.
 */
function topKeys(rec: Record<string, number>, n: number): string[] {
  const keys: string[] = [];
  const counts: number[] = [];
  for (const k in rec) {
    const c = rec[k];
    let i = keys.length;
    while (i > 0 && (counts[i - 1] < c || (counts[i - 1] === c && keys[i - 1] > k))) i--;
    if (i >= n) continue;
    // Shift right by hand: splice would make an array of the removed entries per call.
    let j = keys.length < n ? keys.length : n - 1;
    while (j > i) {
      keys[j] = keys[j - 1];
      counts[j] = counts[j - 1];
      j--;
    }
    keys[i] = k;
    counts[i] = c;
  }
  return keys;
}

function hl7Family(messageType: string): string {
  const caret = messageType.indexOf('^');
  return (caret < 0 ? messageType : messageType.slice(0, caret)).toUpperCase();
}

/** The first of `types` that is not an acknowledgement, else the first. */
function payloadTypes(types: string[]): string[] {
  const payload: string[] = [];
  for (const t of types) if (hl7Family(t) !== 'ACK') payload.push(t);
  return payload.length ? payload : types;
}

function isProcessOf(p: Placement, names: readonly string[]): string | undefined {
  const candidates = [p.asset?.process, ...(p.zone?.processes ?? [])];
  return candidates.find((c): c is string => c !== undefined && names.includes(c));
}

/** Only assets say which process an unrecognised flow serves; a zone often hosts several. */
function modelProcess(src: Placement, dst: Placement): string | undefined {
  return src.asset?.process ?? dst.asset?.process;
}

/** Decides the process from protocol facts, refined by where the endpoints sit. */
function processOf(e: FlowEdge, src: Placement, dst: Placement): string {
  switch (e.protocol) {
    case 'dicom':
    case 'dicom-tls':
    case 'dicomweb':
      return 'radiology';
    case 'fhir':
      return 'emr';
    case 'dns':
      return 'infrastructure';
    default:
      break;
  }
  const hl7 = e.facts.hl7;
  if (hl7 && Object.keys(hl7.messageTypes).length > 0) {
    // Acknowledgements ride along with every message; the payload types decide.
    const types = topKeys(hl7.messageTypes, 8);
    const family = hl7Family(payloadTypes(types)[0] ?? 'ACK');
    if (family === 'ORU') {
      // Results come from the lab or from monitors: the sender says which.
      return isProcessOf(src, ['patient-monitoring', 'diagnostics', 'radiology', 'surgery']) ?? 'diagnostics';
    }
    if (family === 'ORM' && isProcessOf(dst, ['radiology'])) return 'radiology';
    const p = HL7_FAMILY_PROCESS[family];
    if (p) return p;
  }
  if (e.facts.dicom) return 'radiology';
  if (e.facts.http?.fhirResources.length) return 'emr';
  if (e.facts.http?.dicomweb.length) return 'radiology';
  if (e.facts.dns) return 'infrastructure';
  return modelProcess(src, dst) ?? (e.dport === 53 ? 'infrastructure' : 'unknown');
}

function sopName(uid: string): string {
  return SOP_CLASS_NAMES[uid] ?? uid;
}

/** A handover's two ends and what passes between them, as label parts. */
interface Ends {
  from: string;
  to: string;
  what: string[];
}

/** The pair with the highest count, the first of equals (what a stable sort would put first). */
function busiest<T extends { count: number }>(pairs: T[]): T | undefined {
  let best: T | undefined;
  for (const p of pairs) if (!best || p.count > best.count) best = p;
  return best;
}

const VERIFICATION = '1.2.840.10008.1.1';

function describeDicom(e: FlowEdge, ends: Ends): void {
  const d = e.facts.dicom!;
  const pair = busiest(d.aePairs);
  if (pair) {
    ends.from = pair.calling;
    ends.to = pair.called;
  }
  const cmds = topKeys(d.commands, 3);
  for (const c of cmds) ends.what.push(c);
  // Verification is named only when the flow echoes; it rides along in many negotiations.
  const echo = cmds.includes('C-ECHO');
  let named = 0;
  for (const uid of d.sopClasses) {
    if (named === 2) break;
    if (uid === VERIFICATION && !echo) continue;
    ends.what.push(sopName(uid));
    named++;
  }
  if (named === 0) for (let i = 0; i < d.sopClasses.length && i < 2; i++) ends.what.push(sopName(d.sopClasses[i]));
  if (d.moveDestinations.length) ends.what.push(`move to ${d.moveDestinations.slice(0, 2).join('/')}`);
  if (pair && pair.outcome === 'rejected') ends.what.push('rejected');
}

function describeHl7(e: FlowEdge, ends: Ends): void {
  const h = e.facts.hl7!;
  const pair = busiest(h.appPairs);
  if (pair) {
    ends.from = pair.sendingFacility ? `${pair.sendingApplication}/${pair.sendingFacility}` : pair.sendingApplication;
    ends.to = pair.receivingApplication || ends.to;
  }
  ends.what.push(payloadTypes(topKeys(h.messageTypes, 8)).slice(0, 3).join(', ') || 'MLLP');
}

function describeHttp(e: FlowEdge, ends: Ends): void {
  const h = e.facts.http!;
  if (h.fhirResources.length) {
    const methods = [...new Set(Object.keys(h.requests).map((r) => r.split(' ')[0]))].sort();
    ends.what.push(`FHIR ${methods.join('/') || 'request'} ${[...h.fhirResources].sort().join(', ')}`);
  } else if (h.dicomweb.length) {
    ends.what.push(`DICOMweb ${[...h.dicomweb].sort().join(', ')}`);
  } else {
    const reqs = topKeys(h.requests, 2);
    ends.what.push(reqs.length ? `HTTP ${reqs.join(', ')}` : 'HTTP');
  }
}

function endpointName(p: Placement, address: string): string {
  return p.asset?.name ?? p.partner?.name ?? address;
}

/**
 * "Title: FROM -> TO, what, what". Built by one join: a label is kept for
 * every edge, and concatenation would leave a tree of string pieces where
 * join makes one flat string.
 */
function handoverOf(title: string, e: FlowEdge, src: Placement, dst: Placement): string {
  const ends: Ends = { from: endpointName(src, e.src), to: endpointName(dst, e.dst), what: [] };
  const f = e.facts;
  if (f.dicom) describeDicom(e, ends);
  else if (f.hl7) describeHl7(e, ends);
  else if (f.http) describeHttp(e, ends);
  else if (f.tls) ends.what.push(`TLS${f.tls.sni.length ? ` ${f.tls.sni.slice(0, 2).join(', ')}` : ''}`);
  else if (f.dns) ends.what.push(`DNS ${f.dns.names.slice(0, 2).join(', ')}`);
  const what = ends.what;
  if (what.length === 0) return [title, ': ', ends.from, ' -> ', ends.to, ', ', e.protocol === 'unknown' ? e.transport : e.protocol, '/', e.dport].join('');
  const parts = [title, ': ', ends.from, ' -> ', ends.to];
  for (const w of what) parts.push(', ', w);
  return parts.join('');
}

function partnerOf(e: FlowEdge, placer: ModelPlacer | undefined, src: Placement, dst: Placement): string | undefined {
  if (dst.partner) return dst.partner.name;
  if (src.partner) return src.partner.name;
  if (!placer) return undefined;
  const names = [...(e.facts.tls?.sni ?? []), ...(e.facts.http?.hosts ?? [])];
  for (const n of names) {
    const p = placer.partnerByHostname(n.split(':')[0]);
    if (p) return p.name;
  }
  return undefined;
}

/** An address is external when the model zones it so, or when it is public and unzoned. */
function isExternal(address: string, p: Placement): boolean {
  if (p.partner) return true;
  if (p.zone) return p.zone.kind === 'external';
  return !isPrivateAddress(address);
}

export function labelEdge(e: FlowEdge, placer?: ModelPlacer): FlowLabel {
  const none: Placement = {};
  const src = placer ? placer.place(e.src) : none;
  const dst = placer ? placer.place(e.dst) : none;
  const process = processOf(e, src, dst);
  const handover = handoverOf(PROCESS_TITLES[process] ?? process, e, src, dst);
  const partner = partnerOf(e, placer, src, dst);
  const external = partner !== undefined || isExternal(e.dst, dst) || isExternal(e.src, src);
  const label: FlowLabel = { process, handover, external };
  if (partner) label.partner = partner;
  return label;
}

/**
 * Sets `edge.label` on every edge. With a model, endpoints are named after
 * assets and partners and ambiguous protocols take the asset's process;
 * without one, labels come from protocol facts and addresses alone.
 */
export function classifyEdges(edges: FlowEdge[], model?: SiteModel): void {
  const placer = model ? new ModelPlacer(model) : undefined;
  for (const e of edges) e.label = labelEdge(e, placer);
}
