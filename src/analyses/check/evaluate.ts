/**
 * The per-edge verdict: allowed by a conduit (named), allowed because both
 * ends share a zone, or which way it fails. This is the hot loop of check
 * and simulate: it reads the compiled policy and writes into typed arrays,
 * allocating nothing per edge once the address cache is warm.
 */
import type { FlowEdge } from '../../observations/types.ts';
import { CONDUIT_FLAG, FITS, protocolCode, type CompiledConduit, type CompiledPolicy } from '../../graph/policy.ts';

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
      // A refused association exchanged no data: the peer already enforced its identity.
      if (p.outcome === 'rejected') continue;
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

/**
 * Segments of the acknowledgement, which the receiver itself sends back on
 * the same connection: the edge's facts hold both directions, but these are
 * not data the receiver was given.
 */
const ACK_SEGMENTS = new Set(['MSA', 'ERR']);

/** What beyond the conduit's data-minimisation lists the receiver got (names only, never values). */
export function minimisationExcess(cc: CompiledConduit, e: FlowEdge): { segments: string[]; fields: string[]; resources: string[] } {
  const out = { segments: [] as string[], fields: [] as string[], resources: [] as string[] };
  const h = e.facts.hl7;
  if (h) {
    if (cc.allowedSegments) {
      for (const s of h.segments) if (!cc.allowedSegments.has(s) && !cc.fieldSegments?.has(s) && !ACK_SEGMENTS.has(s)) out.segments.push(s);
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
  /** Per asset: 1 when it handles PHI. */
  assetPhi: Uint8Array;
}

export function zoneTraits(p: CompiledPolicy): ZoneTraits {
  const n = p.zones.length;
  const t: ZoneTraits = { exposed: new Uint8Array(n), external: new Uint8Array(n), phi: new Uint8Array(n), assetPhi: new Uint8Array(p.assets.length) };
  p.zones.forEach((z, i) => {
    t.external[i] = z.kind === 'external' ? 1 : 0;
    t.exposed[i] = z.internetFacing || z.kind === 'external' ? 1 : 0;
  });
  p.assets.forEach((a, i) => {
    t.assetPhi[i] = a.phi ? 1 : 0;
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
    // Placing addresses first, in a tight loop of independent lookups, lets
    // the CPU overlap the cache misses of many edges' address strings.
    const ax = this.policy.addresses;
    const src = new Int32Array(n);
    const dst = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const e = edges[i];
      src[i] = ax.placeIndex(e.src);
      dst[i] = ax.placeIndex(e.dst);
    }
    for (let i = 0; i < n; i++) this.evaluateOne(edges[i], i, ev, src[i], dst[i]);
    return ev;
  }

  evaluateOne(e: FlowEdge, i: number, ev: Evaluation, si = this.policy.addresses.placeIndex(e.src), di = this.policy.addresses.placeIndex(e.dst)): void {
    const p = this.policy;
    const ax = p.addresses;
    const sAsset = ax.placedAsset[si];
    const sZone = ax.placedZone[si];
    const sPartner = ax.placedPartner[si];
    const dAsset = ax.placedAsset[di];
    const dZone = ax.placedZone[di];
    const dPartner = ax.placedPartner[di];
    const proto = e.transport === 'udp' ? 17 : 6;
    const port = e.dport;
    // Only content-identified protocols can contradict a conduit's declared one.
    const observed = e.protocolFrom === 'content' ? protocolCode(e.protocol) : 0;
    const mayHaveIds = observed !== 0 && observed <= 4;
    // Most specific first: an asset-level conduit names the flow better than a zone one.
    const s0 = sAsset >= 0 ? p.assetBase + sAsset : -1;
    const s1 = sPartner >= 0 ? p.partnerBase + sPartner : -1;
    const d0 = dAsset >= 0 ? p.assetBase + dAsset : -1;
    const d1 = dPartner >= 0 ? p.partnerBase + dPartner : -1;
    const { svcStart, svcProto, svcProtocol, rangeStart, rangeLo, rangeHi, conduitFlags, pairConduits, pairStart, pairCount } = p;
    let verdict: number = VERDICT.NO_CONDUIT;
    let best = -1;
    let allowed = -1;
    for (let a = 0; a < 3 && allowed < 0; a++) {
      const sa = a === 0 ? s0 : a === 1 ? s1 : sZone;
      if (sa < 0) continue;
      for (let b = 0; b < 3 && allowed < 0; b++) {
        const db = b === 0 ? d0 : b === 1 ? d1 : dZone;
        if (db < 0) continue;
        const slot = p.pairSlot(sa, db);
        if (slot < 0) continue;
        const end = pairStart[slot] + pairCount[slot];
        for (let k = pairStart[slot]; k < end; k++) {
          const c = pairConduits[k];
          let fits = false;
          for (let sv = svcStart[c]; sv < svcStart[c + 1] && !fits; sv++) {
            if (svcProto[sv] !== proto || FITS[svcProtocol[sv] * 10 + observed] === 0) continue;
            const r0 = rangeStart[sv];
            const r1 = rangeStart[sv + 1];
            if (r0 === r1) { fits = true; break; }
            for (let r = r0; r < r1; r++) if (port >= rangeLo[r] && port <= rangeHi[r]) { fits = true; break; }
          }
          if (!fits) {
            if (verdict === VERDICT.NO_CONDUIT) { verdict = VERDICT.WRONG_SERVICE; best = c; }
            continue;
          }
          if (mayHaveIds && (conduitFlags[c] & CONDUIT_FLAG.IDENTITY) !== 0 && identityMismatch(p.conduits[c], e) !== undefined) {
            if (verdict !== VERDICT.IDENTITY) { verdict = VERDICT.IDENTITY; best = c; }
            continue;
          }
          allowed = c;
          break;
        }
      }
    }
    let flags = 0;
    const t = this.traits;
    if (allowed >= 0) {
      verdict = VERDICT.ALLOWED;
      best = allowed;
      ev.used[best]++;
      ev.usedSessions[best] += e.sessions;
      if (e.lastSeen > ev.usedLastSeen[best]) ev.usedLastSeen[best] = e.lastSeen;
      const cf = conduitFlags[allowed];
      if ((cf & CONDUIT_FLAG.TLS) !== 0 && !e.encrypted) flags |= FLAG.CLEARTEXT;
      if ((cf & CONDUIT_FLAG.PHI) === 0 && e.phi) flags |= FLAG.PHI_NOT_ALLOWED;
      if ((cf & CONDUIT_FLAG.MINIMUM) !== 0 && hasMinimisationExcess(p.conduits[allowed], e)) flags |= FLAG.MINIMISATION;
    } else if (verdict === VERDICT.NO_CONDUIT && sZone >= 0 && sZone === dZone && t.external[sZone] === 0) {
      // The external catch-all is no zone a firewall sits inside: two hosts in it still need a conduit.
      verdict = VERDICT.INTRA_ZONE;
    }
    const dstExternal = dPartner >= 0 || (dZone >= 0 ? t.external[dZone] === 1 : dAsset < 0 && !isPrivateV4(e.dst));
    const srcExternal = sPartner >= 0 || (sZone >= 0 && t.external[sZone] === 1);
    // Outbound only: inbound from the internet is the conduit check's business.
    if (dstExternal && !srcExternal && !(allowed >= 0 && (conduitFlags[allowed] & CONDUIT_FLAG.TO_PARTNER) !== 0)) flags |= FLAG.EXTERNAL_NO_PARTNER;
    if (allowed < 0 && verdict !== VERDICT.INTRA_ZONE && sZone >= 0 && t.exposed[sZone] === 1 && dZone !== sZone) {
      const dstPhi = dAsset >= 0 ? t.assetPhi[dAsset] === 1 : dZone >= 0 && t.phi[dZone] === 1 && t.exposed[dZone] === 0;
      if (dstPhi) flags |= FLAG.EXPOSED;
    }
    ev.verdict[i] = verdict;
    ev.conduit[i] = best;
    ev.flags[i] = flags;
  }
}

function isPrivateV4(a: string): boolean {
  return a.startsWith('10.') || a.startsWith('192.168.') || a.startsWith('127.') || /^172\.(1[6-9]|2\d|3[01])\./.test(a) || a.includes(':');
}

