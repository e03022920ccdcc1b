/**
 * The stateless part of a monitoring window: the same check `wardline check`
 * runs, over the window's edges, plus cleartext PHI crossing zones whatever
 * the conduit says. Reverse checks that only mean something over a whole
 * observation period (unused or broad conduits) are left to `check`.
 */
import { runCheck } from '../analyses/check/run.ts';
import type { Finding } from '../core/finding.ts';
import { isPrivateAddress } from '../core/net.ts';
import type { ModelIndex } from '../model/index.ts';
import type { SiteModel } from '../model/types.ts';
import { edgeKey, type FlowEdge } from '../observations/types.ts';

const WINDOW_IRRELEVANT = new Set(['check.conduit-unused', 'check.conduit-broad']);

const REFS_CLEARTEXT = [
  'HIPAA 45 CFR 164.312(e)(1) transmission security',
  'IEC 62443-3-3 SR 4.1 information confidentiality',
  'HHS 405(d) HICP TV2 Practice 4 (network management)',
];

export function windowFindings(model: SiteModel | undefined, index: ModelIndex | undefined, edges: FlowEdge[], now: number): Finding[] {
  if (!model || !index) return [];
  const out = runCheck(model, edges, { now }).findings.filter((f) => !WINDOW_IRRELEVANT.has(f.rule));
  const flagged = new Set(out.filter((f) => f.rule === 'check.cleartext-phi').map((f) => f.subject));
  // Edges with any check finding are violations already; the rest are allowed by a conduit that does not ask for TLS.
  const violating = new Set(out.map((f) => f.subject));
  for (const e of edges) {
    if (!e.phi || e.encrypted) continue;
    const key = edgeKey(e);
    if (flagged.has(key)) continue;
    const zs = index.zoneFor(e.src);
    const zd = index.zoneFor(e.dst);
    if (!zs || !zd || zs.name === zd.name) continue;
    const external = zd.kind === 'external' || zs.kind === 'external';
    const allowed = !violating.has(key);
    out.push({
      id: `monitor:monitor.cleartext-phi:${key}`, rule: 'monitor.cleartext-phi', severity: external ? 'critical' : allowed ? 'medium' : 'high',
      title: `Cleartext ${e.protocol} (PHI-bearing) crosses from zone ${zs.name} to ${zd.name}${allowed ? ' on a conduit that does not require TLS' : ''} (${e.src} -> ${e.dst}:${e.dport})`,
      source: 'monitor', subject: key, zone: zd.name, process: e.label?.process,
      evidence: { flow: `${e.src} -> ${e.dst} ${e.transport}/${e.dport} ${e.protocol}`, fromZone: zs.name, toZone: zd.name, protocolFrom: e.protocolFrom, sessions: e.sessions, bytes: e.bytes },
      fix: 'carry the handover over TLS (DICOM TLS, MLLP/TLS, HTTPS) or a VPN between the zones',
      references: REFS_CLEARTEXT, firstSeen: e.firstSeen, lastSeen: e.lastSeen,
    });
  }
  return out;
}

/** Addresses worth a "new asset" alert: inside the site (private, or in a non-external zone). */
export function isSiteAddress(addr: string, index: ModelIndex | undefined): boolean {
  if (isPrivateAddress(addr)) return true;
  const z = index?.zoneFor(addr);
  return !!z && z.kind !== 'external';
}
