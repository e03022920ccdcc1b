/**
 * The per-edge verdict: allowed by a conduit (named), allowed because both
 * ends share a zone, or which way it fails. This is the hot loop of check
 * and simulate: it reads the compiled policy and writes into typed arrays,
 * allocating nothing per edge once the address cache is warm.
 */
import type { FlowEdge } from '../../observations/types.ts';
import type { CompiledConduit, CompiledPolicy } from '../../graph/policy.ts';

export const VERDICT = {
  ALLOWED: 0,
  INTRA_ZONE: 1,
  NO_CONDUIT: 2,
  WRONG_SERVICE: 3,
  IDENTITY: 4,
} as const;

/** Problems an allowed flow can still have. */
export const FLAG = {
  CLEARTEXT: 1,
  MINIMISATION: 2,
  EXPOSED: 4,
  EXTERNAL_NO_PARTNER: 8,
  PHI_NOT_ALLOWED: 16,
} as const;

export interface Evaluation {
  verdict: Uint8Array;
  flags: Uint8Array;
  /** The allowing conduit, or the closest candidate for WRONG_SERVICE/IDENTITY; -1 none. */
  conduit: Int32Array;
  /** Per conduit: edges it allowed, sessions, last seen. */
  used: Uint32Array;
  usedSessions: Float64Array;
  usedLastSeen: Float64Array;
}

/** Does the conduit's declared protocol fit what content inspection saw? */
export function protocolFits(declared: string | undefined, e: FlowEdge): boolean {
  if (declared === undefined || e.protocolFrom !== 'content' || e.protocol === 'unknown') return true;
  switch (declared) {
    case 'dicom': return e.protocol === 'dicom' || e.protocol === 'dicom-tls';
    case 'hl7': case 'mllp': return e.protocol === 'hl7' || e.protocol === 'hl7-tls';
    case 'fhir': return e.protocol === 'fhir' || e.protocol === 'http' || e.protocol === 'tls';
    case 'dicomweb': return e.protocol === 'dicomweb' || e.protocol === 'http' || e.protocol === 'tls';
    case 'http': return e.protocol === 'http' || e.protocol === 'fhir' || e.protocol === 'dicomweb';
    case 'https': return e.protocol === 'tls';
    case 'dns': return e.protocol === 'dns';
    default: return true;
  }
}

function inSet(s: Set<string>, v: string): boolean {
  return s.has(v) || s.has(v.toUpperCase());
}

/** Why an edge falls outside the conduit's identity constraints; undefined when it fits. */
export function identityMismatch(cc: CompiledConduit, e: FlowEdge): string | undefined {
  const d = e.facts.dicom;
  if (d && (cc.callingAe || cc.calledAe)) {
    for (const p of d.aePairs) {
      if (cc.callingAe && !inSet(cc.callingAe, p.calling)) return `calling AE '${p.calling}' is not allowed by conduit ${cc.conduit.id}`;
      if (cc.calledAe && !inSet(cc.calledAe, p.called)) return `called AE '${p.called}' is not allowed by conduit ${cc.conduit.id}`;
    }
  }
  const h = e.facts.hl7;
  if (h && (cc.sendingApps || cc.receivingApps || cc.messageTypes)) {
    for (const p of h.appPairs) {
      if (cc.sendingApps && !inSet(cc.sendingApps, p.sendingApplication)) return `HL7 sending application '${p.sendingApplication}' is not allowed by conduit ${cc.conduit.id}`;
      if (cc.receivingApps && !inSet(cc.receivingApps, p.receivingApplication)) return `HL7 receiving application '${p.receivingApplication}' is not allowed by conduit ${cc.conduit.id}`;
    }
    if (cc.messageTypes) {
      for (const t in h.messageTypes) {
        // Acknowledgements travel back on the same connection; the conduit names what is sent.
        if (t.startsWith('ACK')) continue;
        const caret = t.indexOf('^');
        if (!inSet(cc.messageTypes, t) && !inSet(cc.messageTypes, caret < 0 ? t : t.slice(0, caret))) {
          return `HL7 message type ${t} is not allowed by conduit ${cc.conduit.id}`;
        }
      }
    }
  }
  return undefined;
}

/** What beyond the conduit's data-minimisation lists the receiver got (names only, never values). */
export function minimisationExcess(cc: CompiledConduit, e: FlowEdge): { segments: string[]; fields: string[]; resources: string[] } {
  const out = { segments: [] as string[], fields: [] as string[], resources: [] as string[] };
  const h = e.facts.hl7;
  if (h) {
    if (cc.allowedSegments) {
      for (const s of h.segments) if (!cc.allowedSegments.has(s) && !cc.fieldSegments?.has(s)) out.segments.push(s);
    }
    if (cc.allowedFields) {
      for (const f of h.fields) {
        if (cc.allowedFields.has(f)) continue;
        // A segment allowed whole admits its fields, unless fields of it are listed: then only those.
        const dash = f.indexOf('-');
        const seg = dash > 0 ? f.slice(0, dash) : f;
        if (cc.allowedFields.has(seg) || (cc.allowedSegments?.has(seg) && !cc.fieldSegments?.has(seg))) continue;
        out.fields.push(f);
      }
    }
  }
  const fhir = e.facts.http?.fhirResources;
  if (fhir && cc.allowedResources) for (const r of fhir) if (!cc.allowedResources.has(r)) out.resources.push(r);
  return out;
}

function hasMinimisationExcess(cc: CompiledConduit, e: FlowEdge): boolean {
  const x = minimisationExcess(cc, e);
  return x.segments.length + x.fields.length + x.resources.length > 0;
}

/** Per-zone facts the evaluator needs, precomputed once per policy. */
export interface ZoneTraits {
  /** 1 when internet-facing or external. */
  exposed: Uint8Array;
  external: Uint8Array;
  /** 1 when the zone holds PHI assets. */
  phi: Uint8Array;
}

export function zoneTraits(p: CompiledPolicy): ZoneTraits {
  const n = p.zones.length;
  const t: ZoneTraits = { exposed: new Uint8Array(n), external: new Uint8Array(n), phi: new Uint8Array(n) };
  p.zones.forEach((z, i) => {
    t.external[i] = z.kind === 'external' ? 1 : 0;
    t.exposed[i] = z.internetFacing || z.kind === 'external' ? 1 : 0;
  });
  p.assets.forEach((a, i) => {
    const z = p.addresses.assetZone[i];
    if (a.phi && z >= 0) t.phi[z] = 1;
  });
  return t;
}

export class Evaluator {
  readonly policy: CompiledPolicy;
  readonly traits: ZoneTraits;

  constructor(policy: CompiledPolicy) {
    this.policy = policy;
    this.traits = zoneTraits(policy);
  }

  evaluate(edges: readonly FlowEdge[]): Evaluation {
    const n = edges.length;
    const nc = this.policy.conduits.length;
    const ev: Evaluation = {
      verdict: new Uint8Array(n), flags: new Uint8Array(n), conduit: new Int32Array(n),
      used: new Uint32Array(nc), usedSessions: new Float64Array(nc), usedLastSeen: new Float64Array(nc),
    };
    for (let i = 0; i < n; i++) this.evaluateOne(edges[i], i, ev);
    return ev;
  }

  evaluateOne(e: FlowEdge, i: number, ev: Evaluation): void {
    const p = this.policy;
    const s = p.addresses.place(e.src);
    const d = p.addresses.place(e.dst);
    const proto = e.transport === 'udp' ? 17 : 6;
    const port = e.dport;
    // Only content-identified protocols can contradict a conduit's declared one.
    const checkProtocol = e.protocolFrom === 'content' && e.protocol !== 'unknown';
    const hasIds = e.facts.dicom !== undefined || e.facts.hl7 !== undefined;
    // Most specific first: an asset-level conduit names the flow better than a zone one.
    const s0 = s.asset >= 0 ? p.assetBase + s.asset : -1;
    const s1 = s.partner >= 0 ? p.partnerBase + s.partner : -1;
    const d0 = d.asset >= 0 ? p.assetBase + d.asset : -1;
    const d1 = d.partner >= 0 ? p.partnerBase + d.partner : -1;
    let verdict: number = VERDICT.NO_CONDUIT;
    let best = -1;
    let allowed: CompiledConduit | undefined;
    for (let a = 0; a < 3 && allowed === undefined; a++) {
      const sa = a === 0 ? s0 : a === 1 ? s1 : s.zone;
      if (sa < 0) continue;
      for (let b = 0; b < 3; b++) {
        const db = b === 0 ? d0 : b === 1 ? d1 : d.zone;
        if (db < 0) continue;
        const slot = p.pairSlot(sa, db);
        if (slot < 0) continue;
        const start = p.pairStart[slot];
        const end = start + p.pairCount[slot];
        for (let k = start; k < end; k++) {
          const cc = p.conduits[p.pairConduits[k]];
          let fits = false;
          const svcs = cc.services;
          for (let j = 0; j < svcs.length; j++) {
            const sv = svcs[j];
            if (serviceAdmitsOne(sv.proto, sv.ranges, proto, port) && (!checkProtocol || protocolFits(sv.protocol, e))) { fits = true; break; }
          }
          if (!fits) {
            if (verdict === VERDICT.NO_CONDUIT) { verdict = VERDICT.WRONG_SERVICE; best = cc.index; }
            continue;
          }
          if (hasIds && cc.hasIdentity && identityMismatch(cc, e) !== undefined) {
            if (verdict !== VERDICT.IDENTITY) { verdict = VERDICT.IDENTITY; best = cc.index; }
            continue;
          }
          allowed = cc;
          break;
        }
        if (allowed !== undefined) break;
      }
    }
    let flags = 0;
    const t = this.traits;
    if (allowed !== undefined) {
      verdict = VERDICT.ALLOWED;
      best = allowed.index;
      ev.used[best]++;
      ev.usedSessions[best] += e.sessions;
      if (e.lastSeen > ev.usedLastSeen[best]) ev.usedLastSeen[best] = e.lastSeen;
      const c = allowed.conduit;
      if (c.tlsRequired && !e.encrypted) flags |= FLAG.CLEARTEXT;
      if (e.phi && !c.phiAllowed) flags |= FLAG.PHI_NOT_ALLOWED;
      if (allowed.hasMinimum && hasMinimisationExcess(allowed, e)) flags |= FLAG.MINIMISATION;
    } else if (verdict === VERDICT.NO_CONDUIT && s.zone >= 0 && s.zone === d.zone && t.external[s.zone] === 0) {
      // The external catch-all is no zone a firewall sits inside: two hosts in it still need a conduit.
      verdict = VERDICT.INTRA_ZONE;
    }
    const dstExternal = d.partner >= 0 || (d.zone >= 0 ? t.external[d.zone] === 1 : d.asset < 0 && !isPrivateV4(e.dst));
    const srcExternal = s.partner >= 0 || (s.zone >= 0 && t.external[s.zone] === 1);
    // Outbound only: inbound from the internet is the conduit check's business.
    if (dstExternal && !srcExternal && !(allowed !== undefined && allowed.toPartner)) flags |= FLAG.EXTERNAL_NO_PARTNER;
    if (allowed === undefined && verdict !== VERDICT.INTRA_ZONE && s.zone >= 0 && t.exposed[s.zone] === 1 && d.zone !== s.zone) {
      const dstPhi = d.asset >= 0 ? p.assets[d.asset].phi : d.zone >= 0 && t.phi[d.zone] === 1 && t.exposed[d.zone] === 0;
      if (dstPhi) flags |= FLAG.EXPOSED;
    }
    ev.verdict[i] = verdict;
    ev.conduit[i] = best;
    ev.flags[i] = flags;
  }
}

function serviceAdmitsOne(sp: number, r: Int32Array, proto: number, port: number): boolean {
  if (sp !== proto) return false;
  if (r.length === 0) return true;
  for (let i = 0; i < r.length; i += 2) if (port >= r[i] && port <= r[i + 1]) return true;
  return false;
}

function isPrivateV4(a: string): boolean {
  return a.startsWith('10.') || a.startsWith('192.168.') || a.startsWith('127.') || /^172\.(1[6-9]|2\d|3[01])\./.test(a) || a.includes(':');
}

