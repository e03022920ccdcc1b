/**
 * Where each observed host belongs in a proposed segmentation: a zone by
 * clinical process and role (modalities, imaging servers, EMR core,
 * interfaces, pharmacy, monitoring, laboratory, DMZ, workstations,
 * management, the internet) and an asset name. A model, when given, says
 * what a host is (its kind and process); otherwise the protocol roles seen
 * on the wire decide (DICOM SCU sending images = modality, SCP = imaging
 * server, HL7 hub = interface engine, ...).
 */
import { isPrivateAddress } from '../../core/net.ts';
import type { Asset, SiteModel, ZoneKind } from '../../model/types.ts';
import type { FlowEdge } from '../../observations/types.ts';
import { CompiledPolicy } from '../../graph/policy.ts';

export interface ProposedZoneDef {
  name: string;
  kind: ZoneKind;
  processes: string[];
  internetFacing: boolean;
  securityLevel: 1 | 2 | 3 | 4;
  description: string;
}

export const ZONE_DEFS: Record<string, ProposedZoneDef> = {
  modalities: { name: 'modalities', kind: 'clinical', processes: ['radiology'], internetFacing: false, securityLevel: 2, description: 'image acquisition devices (fragile; no inbound except from imaging servers)' },
  'imaging-servers': { name: 'imaging-servers', kind: 'server', processes: ['radiology'], internetFacing: false, securityLevel: 3, description: 'PACS, VNA, RIS: PHI stores for images' },
  'emr-core': { name: 'emr-core', kind: 'server', processes: ['emr'], internetFacing: false, securityLevel: 3, description: 'EMR/HIS and ADT sources' },
  interfaces: { name: 'interfaces', kind: 'server', processes: ['emr', 'diagnostics', 'medication-management'], internetFacing: false, securityLevel: 3, description: 'HL7 interface engine: every handover between systems' },
  pharmacy: { name: 'pharmacy', kind: 'clinical', processes: ['medication-management'], internetFacing: false, securityLevel: 2, description: 'pharmacy system, dispensing, infusion' },
  monitoring: { name: 'monitoring', kind: 'clinical', processes: ['patient-monitoring'], internetFacing: false, securityLevel: 3, description: 'patient monitors and their gateway' },
  laboratory: { name: 'laboratory', kind: 'clinical', processes: ['diagnostics'], internetFacing: false, securityLevel: 2, description: 'LIS and analysers' },
  billing: { name: 'billing', kind: 'server', processes: ['billing'], internetFacing: false, securityLevel: 2, description: 'billing and claims' },
  'clinical-workstations': { name: 'clinical-workstations', kind: 'user', processes: ['radiology', 'emr'], internetFacing: false, securityLevel: 2, description: 'reading rooms and clinical desktops' },
  dmz: { name: 'dmz', kind: 'dmz', processes: [], internetFacing: true, securityLevel: 2, description: 'kiosks, patient portal, web viewers: reachable from outside' },
  management: { name: 'management', kind: 'management', processes: [], internetFacing: false, securityLevel: 3, description: 'DNS, directory, jump hosts' },
  unclassified: { name: 'unclassified', kind: 'server', processes: [], internetFacing: false, securityLevel: 2, description: 'hosts whose role could not be told: review' },
  internet: { name: 'internet', kind: 'external', processes: [], internetFacing: true, securityLevel: 1, description: 'everything not otherwise zoned' },
};

const KIND_ZONE: Partial<Record<Asset['kind'], string>> = {
  ct: 'modalities', mr: 'modalities', us: 'modalities', cr: 'modalities', dx: 'modalities', xa: 'modalities', nm: 'modalities', pt: 'modalities',
  pacs: 'imaging-servers', vna: 'imaging-servers', ris: 'imaging-servers',
  emr: 'emr-core', his: 'emr-core', 'interface-engine': 'interfaces', pharmacy: 'pharmacy', 'infusion-pump': 'pharmacy',
  'patient-monitor': 'monitoring', 'monitoring-gateway': 'monitoring', lis: 'laboratory',
  kiosk: 'dmz', 'web-portal': 'dmz', workstation: 'clinical-workstations', viewer: 'clinical-workstations', 'domain-controller': 'management',
};

const PROCESS_ZONE: Record<string, string> = {
  radiology: 'imaging-servers', emr: 'emr-core', 'medication-management': 'pharmacy', 'patient-monitoring': 'monitoring', diagnostics: 'laboratory', billing: 'billing',
};

export interface Placement {
  address: string;
  zone: string;
  asset: string;
  /** The model asset, when the model knows the host. */
  modelAsset?: Asset;
  partner?: string;
  why: string;
}

interface HostRoles {
  dicomScuStore: number;
  dicomScuQuery: number;
  dicomScp: number;
  hl7Out: Set<string>;
  hl7In: Set<string>;
  hl7Peers: Set<string>;
  httpServer: boolean;
  tlsServer: boolean;
  dnsServer: boolean;
  externalClients: boolean;
  aeTitles: Set<string>;
  apps: Set<string>;
  names: Set<string>;
  phiIn: boolean;
}

function roles(edges: readonly FlowEdge[]): Map<string, HostRoles> {
  const m = new Map<string, HostRoles>();
  const get = (a: string) => {
    let r = m.get(a);
    if (!r) m.set(a, (r = { dicomScuStore: 0, dicomScuQuery: 0, dicomScp: 0, hl7Out: new Set(), hl7In: new Set(), hl7Peers: new Set(), httpServer: false, tlsServer: false, dnsServer: false, externalClients: false, aeTitles: new Set(), apps: new Set(), names: new Set(), phiIn: false }));
    return r;
  };
  for (const e of edges) {
    const s = get(e.src);
    const d = get(e.dst);
    const dicom = e.facts.dicom;
    if (dicom && dicom.aePairs.some((p) => p.outcome !== 'rejected')) {
      d.dicomScp++;
      if (dicom.commands['C-STORE']) s.dicomScuStore++;
      if (dicom.commands['C-FIND'] || dicom.commands['C-MOVE'] || dicom.commands['C-GET']) s.dicomScuQuery++;
      for (const p of dicom.aePairs) { s.aeTitles.add(p.calling); d.aeTitles.add(p.called); }
    }
    const hl7 = e.facts.hl7;
    if (hl7) {
      for (const t of Object.keys(hl7.messageTypes)) {
        if (t.startsWith('ACK')) continue;
        s.hl7Out.add(t.split('^')[0]);
        d.hl7In.add(t.split('^')[0]);
      }
      s.hl7Peers.add(e.dst);
      d.hl7Peers.add(e.src);
      for (const p of hl7.appPairs) { s.apps.add(p.sendingApplication); d.apps.add(p.receivingApplication); }
    }
    if (e.protocol === 'http' || e.protocol === 'fhir' || e.protocol === 'dicomweb') d.httpServer = true;
    if (e.protocol === 'tls' || e.encrypted) d.tlsServer = true;
    if (e.protocol === 'dns' || (e.transport === 'udp' && e.dport === 53)) d.dnsServer = true;
    if (!isPrivateAddress(e.src)) d.externalClients = true;
    if (e.phi) d.phiIn = true;
    for (const n of [...(e.facts.tls?.sni ?? []), ...(e.facts.http?.hosts ?? [])]) d.names.add(n.split(':')[0]);
  }
  return m;
}

/** The zone a host's observed protocol roles suggest, and why. */
function zoneFromRoles(r: HostRoles): [string, string] {
  if (r.externalClients && (r.httpServer || r.tlsServer)) return ['dmz', 'serves clients on the internet'];
  // Displays (kiosks, boards) only ever receive ADT; whatever else they do is suspect, not a role.
  if (r.hl7In.has('ADT') && !r.hl7Out.size && r.dicomScp === 0) return ['dmz', 'only receives ADT (a kiosk or display)'];
  if (r.dicomScuStore > 0 && r.dicomScp === 0 && r.dicomScuQuery === 0) return ['modalities', 'sends images (DICOM C-STORE) and serves none'];
  if (r.dicomScuQuery > 0) return ['clinical-workstations', 'queries and retrieves images (C-FIND/C-MOVE)'];
  if (r.dicomScp > 0) return ['imaging-servers', 'accepts DICOM associations'];
  if (r.hl7In.size && r.hl7Out.size && r.hl7Peers.size >= 3) return ['interfaces', `routes HL7 between ${r.hl7Peers.size} systems`];
  if (['RDE', 'RDS', 'RGV', 'RAS'].some((t) => r.hl7In.has(t))) return ['pharmacy', 'receives pharmacy orders (RDE/RDS)'];
  if (['DFT', 'BAR'].some((t) => r.hl7Out.has(t))) return ['billing', 'sends billing messages (DFT/BAR)'];
  if (r.hl7Out.has('ORU')) return ['laboratory', 'sends results (ORU); a monitoring gateway looks the same without a model'];
  if (['ADT', 'ORM', 'SIU'].some((t) => r.hl7Out.has(t))) return ['emr-core', 'sends ADT/orders'];
  if (r.dnsServer) return ['management', 'answers DNS'];
  return ['unclassified', 'no clinical protocol role observed'];
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Places every host seen in the edges; external hosts go to the internet zone or become partners. */
export function placeHosts(edges: readonly FlowEdge[], model?: SiteModel): Map<string, Placement> {
  const policy = model ? new CompiledPolicy(model) : undefined;
  const r = roles(edges);
  const out = new Map<string, Placement>();
  const used = new Set<string>();
  const unique = (base: string) => {
    let n = base;
    for (let i = 2; used.has(n); i++) n = `${base}-${i}`;
    used.add(n);
    return n;
  };
  for (const address of [...r.keys()].sort()) {
    const hr = r.get(address)!;
    const placed = policy?.addresses.place(address);
    const asset = placed && placed.asset >= 0 ? policy!.assets[placed.asset] : undefined;
    const partner = placed && placed.partner >= 0 ? policy!.partners[placed.partner] : undefined;
    if (partner) { out.set(address, { address, zone: 'internet', asset: partner.name, partner: partner.name, why: `modelled partner ${partner.name}` }); continue; }
    if (!isPrivateAddress(address) && !asset) {
      // An external host that receives PHI from inside is a business partner to allowlist; others are the internet.
      const name = [...hr.names][0];
      if (hr.phiIn) {
        const pname = unique(slug(name ?? `partner-${address}`));
        out.set(address, { address, zone: 'internet', asset: pname, partner: pname, why: 'external party receiving PHI: a partner' });
      } else out.set(address, { address, zone: 'internet', asset: address, why: 'external host' });
      continue;
    }
    let zone: string;
    let why: string;
    if (asset) {
      const zoneOfAsset = placed!.zone >= 0 ? policy!.zones[placed!.zone] : undefined;
      if (zoneOfAsset?.internetFacing) { zone = 'dmz'; why = `${asset.kind} in internet-facing zone ${zoneOfAsset.name}`; }
      else if (KIND_ZONE[asset.kind]) { zone = KIND_ZONE[asset.kind]!; why = `model: ${asset.kind}`; }
      else if (zoneOfAsset?.kind === 'management') { zone = 'management'; why = `model: in zone ${zoneOfAsset.name}`; }
      else if (asset.process && PROCESS_ZONE[asset.process]) { zone = PROCESS_ZONE[asset.process]; why = `model: process ${asset.process}`; }
      else [zone, why] = zoneFromRoles(hr);
    } else {
      [zone, why] = zoneFromRoles(hr);
    }
    const label = asset?.name ?? ([...hr.aeTitles].find((t) => /[A-Z]/.test(t) && hr.aeTitles.size === 1) ?? [...hr.apps][0]);
    const name = asset ? unique(asset.name) : unique(label ? slug(label) : `host-${address.replace(/[.:]/g, '-')}`);
    out.set(address, { address, zone, asset: name, modelAsset: asset, why });
  }
  return out;
}
