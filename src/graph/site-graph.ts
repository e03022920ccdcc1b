/**
 * The site as a graph for reachability: who can open connections to whom.
 * Nodes: every modelled asset, one node per zone for the hosts in it the
 * model does not list (for the internet zone: the internet), every partner,
 * and one node per conduit. A conduit node keeps a zone-to-zone conduit at
 * |A|+|B| edges instead of |A|×|B|: members of `from` reach the conduit at
 * weight 0, the conduit reaches members of `to` at weight 1. Observed flows
 * add initiator → responder edges (weight 1).
 */
import type { Asset, EndpointRef } from '../model/types.ts';
import type { FlowEdge } from '../observations/types.ts';
import { Csr, CsrBuilder } from './csr.ts';
import { CompiledPolicy } from './policy.ts';

export type NodeKind = 'asset' | 'zone' | 'partner' | 'conduit';

export interface SiteGraph {
  graph: Csr;
  policy: CompiledPolicy;
  /** Node bases: assets [0,A), zone hosts [A,A+Z), partners [..), conduits [..). */
  zoneBase: number;
  partnerBase: number;
  conduitBase: number;
  /** Per node: 1 when it handles PHI (assets only). */
  phi: Uint8Array;
  /** Per node: a PHI store (PACS, VNA, EMR, HIS, LIS, RIS, pharmacy system). */
  phiStore: Uint8Array;
  /** Per node: attack weight, criticality 1..4 plus 3 for PHI; 0 for non-assets. */
  weight: Uint8Array;
  /** Per node: an internet- or user-facing foothold (DMZ, external zone, user workstations, partners). */
  exposed: Uint8Array;
}

export interface GraphSources {
  /** Reach through the model's conduits. */
  model: boolean;
  /** Reach through observed flows. */
  observed: boolean;
  /** Conduits expired before this are left out. */
  now?: number;
}

const CRIT: Record<Asset['criticality'], number> = { low: 1, medium: 2, high: 3, critical: 4 };
const STORE_KINDS = new Set(['pacs', 'vna', 'emr', 'his', 'lis', 'ris', 'pharmacy']);

export function nodeName(sg: SiteGraph, v: number): string {
  const p = sg.policy;
  if (v < sg.zoneBase) return p.assets[v].name;
  if (v < sg.partnerBase) return p.zones[v - sg.zoneBase].kind === 'external' ? p.zones[v - sg.zoneBase].name : `${p.zones[v - sg.zoneBase].name} (unlisted hosts)`;
  if (v < sg.conduitBase) return `partner ${p.partners[v - sg.partnerBase].name}`;
  return `conduit ${p.conduits[v - sg.conduitBase].conduit.id}`;
}

export function nodeKind(sg: SiteGraph, v: number): NodeKind {
  return v < sg.zoneBase ? 'asset' : v < sg.partnerBase ? 'zone' : v < sg.conduitBase ? 'partner' : 'conduit';
}

/** Build from a compiled policy (for its model and address index) and observed edges. */
export function buildSiteGraph(policy: CompiledPolicy, edges: readonly FlowEdge[], src: GraphSources): SiteGraph {
  const A = policy.assets.length;
  const Z = policy.zones.length;
  const P = policy.partners.length;
  const C = policy.conduits.length;
  const zoneBase = A;
  const partnerBase = A + Z;
  const conduitBase = A + Z + P;
  const n = conduitBase + C;
  const members: number[][] = Array.from({ length: Z }, (_, z) => [zoneBase + z]);
  const az = policy.addresses.assetZone;
  for (let a = 0; a < A; a++) if (az[a] >= 0) members[az[a]].push(a);

  const b = new CsrBuilder(n, Math.max(1024, edges.length + C * 4));
  const endpointNodes = (ref: EndpointRef): number[] => {
    const node = policy.node(ref);
    if (node < 0) return [];
    if (node < policy.assetBase) return members[node];
    if (node < policy.partnerBase) return [node - policy.assetBase];
    return [partnerBase + (node - policy.partnerBase)];
  };
  if (src.model) {
    for (const cc of policy.conduits) {
      if (src.now !== undefined && cc.expiresAt < src.now) continue;
      const cn = conduitBase + cc.index;
      for (const f of endpointNodes(cc.conduit.from)) b.add(f, cn, 0);
      for (const t of endpointNodes(cc.conduit.to)) b.add(cn, t, 1);
    }
  }
  if (src.observed) {
    const nodeOf = (addr: string): number => {
      const p = policy.addresses.place(addr);
      if (p.asset >= 0) return p.asset;
      if (p.partner >= 0) return partnerBase + p.partner;
      if (p.zone >= 0) return zoneBase + p.zone;
      return -1;
    };
    for (const e of edges) {
      const s = nodeOf(e.src);
      const d = nodeOf(e.dst);
      if (s >= 0 && d >= 0 && s !== d) b.add(s, d, 1);
    }
  }
  const phi = new Uint8Array(n);
  const phiStore = new Uint8Array(n);
  const weight = new Uint8Array(n);
  const exposed = new Uint8Array(n);
  const zoneExposed = (z: number) => {
    const zone = policy.zones[z];
    return zone.internetFacing || zone.kind === 'external' || zone.kind === 'user' || zone.kind === 'wireless';
  };
  for (let a = 0; a < A; a++) {
    const asset = policy.assets[a];
    phi[a] = asset.phi ? 1 : 0;
    phiStore[a] = asset.phi && STORE_KINDS.has(asset.kind) ? 1 : 0;
    weight[a] = CRIT[asset.criticality] + (asset.phi ? 3 : 0);
    exposed[a] = az[a] >= 0 && zoneExposed(az[a]) ? 1 : 0;
  }
  for (let z = 0; z < Z; z++) exposed[zoneBase + z] = zoneExposed(z) ? 1 : 0;
  for (let p = 0; p < P; p++) exposed[partnerBase + p] = 1;
  return { graph: b.build(), policy, zoneBase, partnerBase, conduitBase, phi, phiStore, weight, exposed };
}

/** Graph nodes standing for a name: an asset, a zone (its assets and unlisted hosts), a partner, or an address. */
export function resolveNodes(sg: SiteGraph, name: string): number[] | undefined {
  const p = sg.policy;
  const a = p.assetIndex(name);
  if (a >= 0) return [a];
  const z = p.zoneIndex(name);
  if (z >= 0) {
    const out = [sg.zoneBase + z];
    for (let i = 0; i < p.assets.length; i++) if (p.addresses.assetZone[i] === z) out.push(i);
    return out;
  }
  const pi = p.partners.findIndex((x) => x.name === name);
  if (pi >= 0) return [sg.partnerBase + pi];
  const placed = p.addresses.place(name);
  if (placed.asset >= 0) return [placed.asset];
  if (placed.partner >= 0) return [sg.partnerBase + placed.partner];
  if (placed.zone >= 0) return [sg.zoneBase + placed.zone];
  return undefined;
}
