/**
 * The site model compiled into lookup structures for per-edge evaluation:
 * every zone, asset and partner is a node id; conduits are indexed by
 * (from node, to node), so the candidate conduits of an edge are at most
 * nine Map probes (asset, zone, partner on each side) whatever the model size.
 */
import { InputError } from '../core/errors.ts';
import type { Asset, Conduit, EndpointRef, Partner, SiteModel, Zone } from '../model/types.ts';
import { AddressIndex } from './address.ts';
import { policyProblems } from './validate.ts';

export interface CompiledService {
  /** 6 tcp, 17 udp. */
  proto: number;
  /** Flat [lo, hi, lo, hi, ...]; empty = any port. */
  ranges: Int32Array;
  protocol?: string;
}

export interface CompiledConduit {
  index: number;
  conduit: Conduit;
  from: number;
  to: number;
  services: CompiledService[];
  callingAe?: Set<string>;
  calledAe?: Set<string>;
  sendingApps?: Set<string>;
  receivingApps?: Set<string>;
  /** Exact "ADT^A01" and whole families "ADT". */
  messageTypes?: Set<string>;
  allowedSegments?: Set<string>;
  allowedFields?: Set<string>;
  /** Segments some allowed field belongs to ("PID" from "PID-3"): partly allowed segments. */
  fieldSegments?: Set<string>;
  allowedResources?: Set<string>;
  /** Any service with no port list, or a port range. */
  broad: boolean;
  /** Has DICOM or HL7 identity constraints. */
  hasIdentity: boolean;
  /** Has data-minimisation lists (segments, fields, FHIR resources). */
  hasMinimum: boolean;
  toPartner: boolean;
  /** Epoch ms after which it is expired; Infinity when it never expires. */
  expiresAt: number;
}

export class CompiledPolicy {
  readonly model: SiteModel;
  readonly zones: Zone[];
  readonly assets: Asset[];
  readonly partners: Partner[];
  /** Node id bases: zones [0, Z), assets [Z, Z+A), partners [Z+A, N). */
  readonly assetBase: number;
  readonly partnerBase: number;
  readonly nodeCount: number;
  readonly conduits: CompiledConduit[] = [];
  readonly addresses = new AddressIndex();
  private readonly byPair = new Map<number, CompiledConduit[]>();
  /**
   * The same index as an open-addressing hash table on typed arrays, for the
   * per-edge hot loop: slot → (from, to) and a run of conduit indices in
   * `pairConduits`. Map keys of from*N+to leave the small-integer range on
   * large sites; this never allocates or boxes.
   */
  pairMask = 0;
  pairFrom: Int32Array = new Int32Array(0);
  pairTo: Int32Array = new Int32Array(0);
  pairStart: Int32Array = new Int32Array(0);
  pairCount: Int32Array = new Int32Array(0);
  pairConduits: Int32Array = new Int32Array(0);
  /**
   * Conduit services flattened for the hot loop: conduit c's services are
   * [svcStart[c], svcStart[c+1]); service s has transport svcProto[s] (6/17),
   * declared protocol code svcProtocol[s] (see DECLARED_CODES) and port
   * ranges [rangeStart[s], rangeStart[s+1]) in rangeLo/rangeHi (none = any).
   */
  svcStart: Int32Array = new Int32Array(1);
  svcProto: Int32Array = new Int32Array(0);
  svcProtocol: Uint8Array = new Uint8Array(0);
  rangeStart: Int32Array = new Int32Array(1);
  rangeLo: Int32Array = new Int32Array(0);
  rangeHi: Int32Array = new Int32Array(0);
  /** Per conduit, CONDUIT_FLAG bits. */
  conduitFlags: Uint8Array = new Uint8Array(0);
  private readonly zoneIds = new Map<string, number>();
  private readonly assetIds = new Map<string, number>();
  private readonly partnerIds = new Map<string, number>();

  constructor(model: SiteModel) {
    this.model = model;
    this.zones = model.zones;
    this.assets = model.assets;
    this.partners = model.partners;
    this.assetBase = this.zones.length;
    this.partnerBase = this.assetBase + this.assets.length;
    this.nodeCount = this.partnerBase + this.partners.length;
    this.zones.forEach((z, i) => {
      this.zoneIds.set(z.name, i);
      // An external zone without CIDRs is "everything else", as the model documents it.
      const cidrs = z.kind === 'external' && z.cidrs.length === 0 ? ['0.0.0.0/0', '::/0'] : z.cidrs;
      for (const c of cidrs) this.addresses.zones.add(c, i);
    });
    const assetZone = new Int32Array(this.assets.length).fill(-1);
    this.assets.forEach((a, i) => {
      this.assetIds.set(a.name, i);
      if (a.zone !== undefined) assetZone[i] = this.zoneIds.get(a.zone) ?? -1;
      for (const addr of a.addresses) this.addresses.assets.add(addr, i);
    });
    this.addresses.assetZone = assetZone;
    this.partners.forEach((p, i) => {
      this.partnerIds.set(p.name, i);
      for (const addr of p.addresses) this.addresses.partners.add(addr, i);
    });
    for (const c of model.conduits) {
      const cc = compileConduit(c, this.conduits.length, this.node(c.from), this.node(c.to));
      this.conduits.push(cc);
      const key = cc.from * this.nodeCount + cc.to;
      const list = this.byPair.get(key);
      if (list) list.push(cc);
      else this.byPair.set(key, [cc]);
    }
    this.buildPairTable();
    this.flattenServices();
  }

  private flattenServices(): void {
    const C = this.conduits.length;
    let S = 0;
    let R = 0;
    for (const cc of this.conduits) for (const sv of cc.services) { S++; R += sv.ranges.length / 2; }
    this.svcStart = new Int32Array(C + 1);
    this.svcProto = new Int32Array(S);
    this.svcProtocol = new Uint8Array(S);
    this.rangeStart = new Int32Array(S + 1);
    this.rangeLo = new Int32Array(R);
    this.rangeHi = new Int32Array(R);
    this.conduitFlags = new Uint8Array(C);
    let s = 0;
    let r = 0;
    for (const cc of this.conduits) {
      this.svcStart[cc.index] = s;
      for (const sv of cc.services) {
        this.svcProto[s] = sv.proto;
        this.svcProtocol[s] = DECLARED_CODES[sv.protocol ?? ''] ?? 0;
        this.rangeStart[s] = r;
        for (let i = 0; i < sv.ranges.length; i += 2) { this.rangeLo[r] = sv.ranges[i]; this.rangeHi[r] = sv.ranges[i + 1]; r++; }
        s++;
      }
      const c = cc.conduit;
      this.conduitFlags[cc.index] = (cc.hasIdentity ? CONDUIT_FLAG.IDENTITY : 0) | (cc.hasMinimum ? CONDUIT_FLAG.MINIMUM : 0)
        | (c.tlsRequired ? CONDUIT_FLAG.TLS : 0) | (c.phiAllowed ? CONDUIT_FLAG.PHI : 0) | (cc.toPartner ? CONDUIT_FLAG.TO_PARTNER : 0);
    }
    this.svcStart[C] = s;
    this.rangeStart[S] = r;
  }

  private buildPairTable(): void {
    let cap = 16;
    while (cap < this.byPair.size * 2) cap *= 2;
    this.pairMask = cap - 1;
    this.pairFrom = new Int32Array(cap).fill(-1);
    this.pairTo = new Int32Array(cap);
    this.pairStart = new Int32Array(cap);
    this.pairCount = new Int32Array(cap);
    this.pairConduits = new Int32Array(this.conduits.length);
    let at = 0;
    for (const list of this.byPair.values()) {
      const a = list[0].from;
      const b = list[0].to;
      if (a < 0 || b < 0) continue;
      let slot = pairHash(a, b) & this.pairMask;
      while (this.pairFrom[slot] !== -1) slot = (slot + 1) & this.pairMask;
      this.pairFrom[slot] = a;
      this.pairTo[slot] = b;
      this.pairStart[slot] = at;
      this.pairCount[slot] = list.length;
      for (const cc of list) this.pairConduits[at++] = cc.index;
    }
  }

  /** Slot of the (a, b) conduit run in the pair table, or -1. */
  pairSlot(a: number, b: number): number {
    let slot = pairHash(a, b) & this.pairMask;
    const from = this.pairFrom;
    while (true) {
      const f = from[slot];
      if (f === -1) return -1;
      if (f === a && this.pairTo[slot] === b) return slot;
      slot = (slot + 1) & this.pairMask;
    }
  }

  /** Node id of an endpoint reference; -1 when it names nothing (validation reports that). */
  node(ref: EndpointRef): number {
    if ('zone' in ref) return this.zoneIds.get(ref.zone) ?? -1;
    if ('asset' in ref) { const i = this.assetIds.get(ref.asset); return i === undefined ? -1 : this.assetBase + i; }
    const i = this.partnerIds.get(ref.partner);
    return i === undefined ? -1 : this.partnerBase + i;
  }

  zoneIndex(name: string): number { return this.zoneIds.get(name) ?? -1; }
  assetIndex(name: string): number { return this.assetIds.get(name) ?? -1; }

  /** Conduits from node a to node b (empty array when none). */
  between(a: number, b: number): readonly CompiledConduit[] | undefined {
    if (a < 0 || b < 0) return undefined;
    return this.byPair.get(a * this.nodeCount + b);
  }

  nodeName(n: number): string {
    if (n < this.assetBase) return this.zones[n].name;
    if (n < this.partnerBase) return this.assets[n - this.assetBase].name;
    return this.partners[n - this.partnerBase].name;
  }
}

export const CONDUIT_FLAG = { IDENTITY: 1, MINIMUM: 2, TLS: 4, PHI: 8, TO_PARTNER: 16 } as const;

/** Declared service protocols that restrict what content may flow; others (ssh, any, ...) restrict nothing. */
export const DECLARED_CODES: Record<string, number> = { dicom: 1, hl7: 2, mllp: 2, fhir: 3, dicomweb: 4, http: 5, https: 6, dns: 7 };

/** Observed application protocols as codes (0 = unknown). */
export function protocolCode(p: string): number {
  switch (p) {
    case 'dicom': return 1;
    case 'dicom-tls': return 2;
    case 'hl7': return 3;
    case 'hl7-tls': return 4;
    case 'http': return 5;
    case 'fhir': return 6;
    case 'dicomweb': return 7;
    case 'tls': return 8;
    case 'dns': return 9;
    default: return 0;
  }
}

/** FITS[declared * 10 + observed] = 1 when content of that protocol may flow on a service declared so. */
export const FITS: Uint8Array = (() => {
  const t = new Uint8Array(8 * 10);
  const allow: Record<number, number[]> = {
    1: [1, 2], 2: [3, 4], 3: [6, 5, 8], 4: [7, 5, 8], 5: [5, 6, 7], 6: [8], 7: [9],
  };
  for (let o = 0; o < 10; o++) t[o] = 1;
  for (const [d, obs] of Object.entries(allow)) for (const o of obs) t[Number(d) * 10 + o] = 1;
  for (let d = 0; d < 8; d++) t[d * 10] = 1; // unknown content never contradicts
  return t;
})();

function pairHash(a: number, b: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
}

function set(list: string[] | undefined): Set<string> | undefined {
  return list && list.length ? new Set(list.map((s) => s.toUpperCase())) : undefined;
}

function compileConduit(c: Conduit, index: number, from: number, to: number): CompiledConduit {
  let broad = false;
  const services = c.services.map((s): CompiledService => {
    const flat: number[] = [];
    for (const p of s.ports) {
      if (typeof p === 'number') flat.push(p, p);
      else { flat.push(p[0], p[1]); if (p[1] > p[0]) broad = true; }
    }
    if (flat.length === 0) broad = true;
    return { proto: s.transport === 'udp' ? 17 : 6, ranges: Int32Array.from(flat), protocol: s.protocol };
  });
  if (services.length === 0) broad = true;
  const expiresAt = c.expires ? Date.parse(`${c.expires}T23:59:59.999Z`) : Infinity;
  const hasIdentity = Boolean(c.dicom?.callingAeTitles?.length || c.dicom?.calledAeTitles?.length || c.hl7?.sendingApplications?.length
    || c.hl7?.receivingApplications?.length || c.hl7?.messageTypes?.length);
  const hasMinimum = Boolean(c.hl7?.allowedSegments?.length || c.hl7?.allowedFields?.length || c.fhir?.allowedResources?.length);
  return {
    index, conduit: c, from, to, services, broad, expiresAt: Number.isNaN(expiresAt) ? Infinity : expiresAt,
    hasIdentity, hasMinimum, toPartner: 'partner' in c.to,
    callingAe: set(c.dicom?.callingAeTitles),
    calledAe: set(c.dicom?.calledAeTitles),
    sendingApps: set(c.hl7?.sendingApplications),
    receivingApps: set(c.hl7?.receivingApplications),
    messageTypes: set(c.hl7?.messageTypes),
    allowedSegments: set(c.hl7?.allowedSegments),
    allowedFields: set(c.hl7?.allowedFields),
    fieldSegments: c.hl7?.allowedFields?.length ? new Set(c.hl7.allowedFields.map((f) => f.split('-')[0].toUpperCase())) : undefined,
    allowedResources: c.fhir?.allowedResources?.length ? new Set(c.fhir.allowedResources) : undefined,
  };
}

/** True when the conduit's services admit transport/port (no service list admits nothing). */
export function serviceAdmits(cc: CompiledConduit, proto: number, port: number): boolean {
  for (const s of cc.services) {
    if (s.proto !== proto) continue;
    const r = s.ranges;
    if (r.length === 0) return true;
    for (let i = 0; i < r.length; i += 2) if (port >= r[i] && port <= r[i + 1]) return true;
  }
  return false;
}

/**
 * Compiles a model for evaluation, refusing models whose zones overlap,
 * whose conduits name unknown things or contradict each other: evaluating
 * those would give answers that look right and are not.
 */
export function compilePolicy(model: SiteModel): CompiledPolicy {
  const problems = policyProblems(model);
  if (problems.length) {
    const first = problems[0];
    const rest = problems.slice(1).map((p) => `\n  ${p.where ? `${p.where}: ` : ''}${p.message}`).join('');
    throw new InputError(`${first.message}${rest}`, {
      location: first.location,
      hint: `${problems.length} problem(s) in the site model; run 'wardline model validate' for the full list`,
    });
  }
  return new CompiledPolicy(model);
}
