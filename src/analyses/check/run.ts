/**
 * wardline check: every observed flow edge against the site model, plus the
 * reverse side (conduits unused, expired, broader than what flows). Findings
 * carry metadata only: addresses, ports, AE titles, message types, counts.
 */
import type { Finding } from '../../core/finding.ts';
import { isPrivateAddress } from '../../core/net.ts';
import type { Severity } from '../../core/severity.ts';
import type { SiteModel } from '../../model/types.ts';
import { classifyEdges } from '../../observations/classify.ts';
import { edgeKey, type FlowEdge } from '../../observations/types.ts';
import { compilePolicy, type CompiledPolicy } from '../../graph/policy.ts';
import { isLoopbackAddress } from '../../graph/address.ts';
import { Evaluator, FLAG, VERDICT, identityMismatch, minimisationExcess, type Evaluation } from './evaluate.ts';
import { RULE_REFERENCES } from './references.ts';
import { findScanners, type Scanner } from './scan.ts';

export interface CheckOptions {
  /** Reference time for expiry, epoch ms. */
  now?: number;
}

export interface FlowVerdict {
  edge: string;
  label?: string;
  verdict: 'allowed' | 'intra-zone' | 'violation';
  conduit?: string;
  rules: string[];
}

export interface CheckResult {
  findings: Finding[];
  verdicts: FlowVerdict[];
  summary: { edges: number; allowed: number; intraZone: number; violations: number; scanners: number; conduits: number; unusedConduits: number; loopbackIgnored: number };
}

/** A timestamp for evidence; bad input times say so instead of throwing. */
function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : 'unknown';
}

function finding(rule: string, subject: string, title: string, severity: Severity, evidence: Record<string, unknown>, extra: Partial<Finding> = {}): Finding {
  return {
    id: `check:${rule}:${subject}`, rule, title, severity, source: 'check', subject, evidence,
    references: RULE_REFERENCES[rule] ?? [], ...extra,
  };
}

function flowEvidence(e: FlowEdge, p: CompiledPolicy): Record<string, unknown> {
  const s = p.addresses.place(e.src);
  const d = p.addresses.place(e.dst);
  const ev: Record<string, unknown> = {
    flow: `${e.src} -> ${e.dst} ${e.transport}/${e.dport} ${e.protocol}`,
    from: s.asset >= 0 ? p.assets[s.asset].name : e.src,
    to: d.asset >= 0 ? p.assets[d.asset].name : d.partner >= 0 ? p.partners[d.partner].name : e.dst,
    fromZone: s.zone >= 0 ? p.zones[s.zone].name : undefined,
    toZone: d.zone >= 0 ? p.zones[d.zone].name : undefined,
    sessions: e.sessions, packets: e.packets, bytes: e.bytes,
    firstSeen: iso(e.firstSeen), lastSeen: iso(e.lastSeen),
    encrypted: e.encrypted, phi: e.phi,
  };
  if (e.label) ev.handover = e.label.handover;
  if (e.facts.dicom) ev.aePairs = e.facts.dicom.aePairs.map((x) => `${x.calling} -> ${x.called} (${x.outcome})`);
  if (e.facts.hl7) ev.messageTypes = Object.keys(e.facts.hl7.messageTypes);
  return ev;
}

const PHI_SEV = (e: FlowEdge, phi: Severity, other: Severity): Severity => (e.phi ? phi : other);

function edgeFindings(e: FlowEdge, i: number, ev: Evaluation, p: CompiledPolicy, out: Finding[], rules: string[]): void {
  const key = edgeKey(e);
  const v = ev.verdict[i];
  const f = ev.flags[i];
  const cc = ev.conduit[i] >= 0 ? p.conduits[ev.conduit[i]] : undefined;
  const base = (): Record<string, unknown> => flowEvidence(e, p);
  const common = { process: e.label?.process, zone: (base().toZone as string | undefined), firstSeen: e.firstSeen, lastSeen: e.lastSeen };
  const push = (rule: string, title: string, sev: Severity, extra: Record<string, unknown>, more: Partial<Finding> = {}) => {
    rules.push(rule);
    out.push(finding(rule, key, title, sev, { ...base(), ...extra }, { ...common, ...more }));
  };
  const label = e.label?.handover ?? `${e.src} -> ${e.dst}:${e.dport}`;
  if (v === VERDICT.NO_CONDUIT) {
    const ev0 = base();
    push('check.no-conduit', `No conduit allows ${ev0.fromZone ?? e.src} -> ${ev0.toZone ?? e.dst} (${label})`, PHI_SEV(e, 'high', 'medium'), {},
      { fix: 'block the flow, or add a conduit for it if it is a needed clinical handover', rationale: 'Default-deny between zones: every cross-zone flow needs a conduit.' });
  } else if (v === VERDICT.WRONG_SERVICE && cc) {
    const svc = cc.conduit.services.map((s) => `${s.transport}/${s.ports.length ? s.ports.map((x) => (typeof x === 'number' ? x : x.join('-'))).join(',') : 'any'}${s.protocol ? ` ${s.protocol}` : ''}`);
    push('check.wrong-service', `Service ${e.transport}/${e.dport} ${e.protocol} is outside conduit ${cc.conduit.id} (${label})`, PHI_SEV(e, 'high', 'medium'),
      { conduit: cc.conduit.id, conduitServices: svc }, { location: cc.conduit.loc });
  } else if (v === VERDICT.IDENTITY && cc) {
    const why = identityMismatch(cc, e) ?? 'identity outside the conduit';
    push('check.identity', `${why} (${label})`, 'high', { conduit: cc.conduit.id, reason: why }, { location: cc.conduit.loc });
  }
  if (cc && v === VERDICT.ALLOWED) {
    if (f & FLAG.CLEARTEXT) {
      const ext = e.label?.external ?? false;
      push('check.cleartext-phi', `${e.phi ? 'PHI' : 'Traffic'} in cleartext on conduit ${cc.conduit.id}, which requires TLS (${label})`,
        e.phi ? (ext ? 'critical' : 'high') : 'medium', { conduit: cc.conduit.id }, { location: cc.conduit.loc, fix: 'wrap the link in TLS (MLLP/TLS, DICOM TLS, HTTPS) or a VPN' });
    }
    if (f & FLAG.PHI_NOT_ALLOWED) {
      push('check.phi-not-allowed', `PHI-bearing ${e.protocol} on conduit ${cc.conduit.id}, which does not allow PHI (${label})`, 'high', { conduit: cc.conduit.id }, { location: cc.conduit.loc });
    }
    if (f & FLAG.MINIMISATION) {
      const x = minimisationExcess(cc, e);
      const parts = [...x.segments.map((s) => `segment ${s}`), ...x.fields.map((s) => `field ${s}`), ...x.resources.map((s) => `FHIR ${s}`)];
      push('check.data-minimisation', `${cc.conduit.to && 'asset' in cc.conduit.to ? cc.conduit.to.asset : e.dst} receives more than conduit ${cc.conduit.id} allows: ${parts.join(', ')}`,
        'high', { conduit: cc.conduit.id, excessSegments: x.segments, excessFields: x.fields, excessResources: x.resources },
        { location: cc.conduit.loc, fix: 'filter the feed at the interface engine to the allowed segments/fields' });
    }
  }
  if (f & FLAG.EXPOSED) {
    push('check.phi-exposed', `PHI store reachable from an internet-facing zone (${label})`, 'critical', {},
      { fix: 'block the flow at the zone boundary; expose PHI only through a TLS-terminating conduit to a dedicated DMZ service' });
  }
  if (f & FLAG.EXTERNAL_NO_PARTNER) {
    push('check.external-no-partner', `Traffic to an external party without a partner conduit (${label})`, PHI_SEV(e, 'high', 'medium'),
      { partner: e.label?.partner }, { fix: 'model the party as a partner and add a partner conduit, or block it' });
  }
}

function reverseFindings(p: CompiledPolicy, ev: Evaluation, now: number, edges: readonly FlowEdge[], out: Finding[]): number {
  let unused = 0;
  const observedPorts = new Map<number, Set<string>>();
  // Zone-wide conduit ends: which member assets actually used them.
  const zoneUsers = new Map<number, Set<string>>();
  const zoneEnd = (node: number) => node >= 0 && node < p.assetBase;
  for (let i = 0; i < edges.length; i++) {
    const c = ev.conduit[i];
    if (ev.verdict[i] !== VERDICT.ALLOWED) continue;
    const cc = p.conduits[c];
    if (cc.broad) {
      let s = observedPorts.get(c);
      if (!s) observedPorts.set(c, (s = new Set()));
      s.add(`${edges[i].transport}/${edges[i].dport}`);
    }
    if (zoneEnd(cc.from) || zoneEnd(cc.to)) {
      let u = zoneUsers.get(c);
      if (!u) zoneUsers.set(c, (u = new Set()));
      if (zoneEnd(cc.from)) u.add(edges[i].src);
      if (zoneEnd(cc.to)) u.add(edges[i].dst);
    }
  }
  const membersOf = new Map<number, string[]>();
  p.assets.forEach((a, i) => {
    const z = p.addresses.assetZone[i];
    if (z >= 0) (membersOf.get(z) ?? membersOf.set(z, []).get(z)!).push(a.name);
  });
  for (const cc of p.conduits) {
    const c = cc.conduit;
    const used = ev.used[cc.index];
    const loc = c.loc;
    const ends = `${p.nodeName(cc.from)} -> ${p.nodeName(cc.to)}`;
    if (used === 0) {
      unused++;
      out.push(finding('check.conduit-unused', c.id, `Conduit ${c.id} (${ends}) was never used in the observations`, 'low',
        { conduit: c.id, from: p.nodeName(cc.from), to: p.nodeName(cc.to) },
        { location: loc, fix: 'remove it, or confirm it serves a rare but needed handover (downtime, backup)' }));
    }
    if (cc.expiresAt < now) {
      out.push(finding('check.conduit-expired', c.id, `Conduit ${c.id} (${ends}) expired on ${c.expires}${used ? ` and still carried ${used} flow(s)` : ''}`,
        used ? 'high' : 'medium', { conduit: c.id, expires: c.expires, flowsAllowed: used }, { location: loc }));
    }
    if (cc.broad) {
      const seen = [...(observedPorts.get(cc.index) ?? [])].sort();
      out.push(finding('check.conduit-broad', c.id,
        `Conduit ${c.id} (${ends}) allows ${cc.services.some((s) => s.ranges.length === 0) ? 'any port' : 'port ranges'}; observed ${seen.length ? seen.join(', ') : 'nothing'}`,
        used ? 'medium' : 'low', { conduit: c.id, observedServices: seen, flowsAllowed: used },
        { location: loc, fix: seen.length ? `narrow it to ${seen.join(', ')}` : 'narrow it to the exact services needed' }));
    }
    // A zone end whose traffic comes from a few of its many assets is broader than what flows.
    const users = zoneUsers.get(cc.index);
    const zoneNode = zoneEnd(cc.from) ? cc.from : cc.to;
    const members = membersOf.get(zoneNode) ?? [];
    if (users && members.length >= 4 && users.size * 2 <= members.length) {
      const names = [...users].map((a) => { const pl = p.addresses.place(a); return pl.asset >= 0 ? p.assets[pl.asset].name : a; }).sort();
      out.push(finding('check.conduit-broad', `${c.id}:zone`,
        `Conduit ${c.id} opens zone ${p.zones[zoneNode].name} (${members.length} assets); only ${names.join(', ')} used it`,
        'low', { conduit: c.id, zone: p.zones[zoneNode].name, zoneAssets: members.length, usedBy: names, flowsAllowed: used },
        { location: loc, fix: `name the asset(s) instead of the zone: ${names.join(', ')}` }));
    }
  }
  return unused;
}

function scanFinding(sc: Scanner, p: CompiledPolicy): Finding {
  const s = p.addresses.place(sc.src);
  return finding('check.scan', sc.src, `${sc.src} probed ${sc.destinations} hosts on ${sc.ports.length} port(s) (${sc.pairs} host:port pairs)`, 'high', {
    source: s.asset >= 0 ? p.assets[s.asset].name : sc.src, zone: s.zone >= 0 ? p.zones[s.zone].name : undefined,
    destinations: sc.destinations, ports: sc.ports, pairs: sc.pairs, sampleTargets: sc.sample,
    firstSeen: iso(sc.firstSeen), lastSeen: iso(sc.lastSeen),
  }, { firstSeen: sc.firstSeen, lastSeen: sc.lastSeen, zone: s.zone >= 0 ? p.zones[s.zone].name : undefined, fix: 'isolate the host and investigate: scanning from inside a clinical network is a compromise indicator' });
}

function unknownAssetFindings(p: CompiledPolicy, edges: readonly FlowEdge[], out: Finding[]): void {
  const seen = new Map<string, { first: number; last: number; flows: number }>();
  const note = (addr: string, e: FlowEdge) => {
    const x = seen.get(addr);
    if (x) { x.flows++; x.first = Math.min(x.first, e.firstSeen); x.last = Math.max(x.last, e.lastSeen); }
    else seen.set(addr, { first: e.firstSeen, last: e.lastSeen, flows: 1 });
  };
  for (const e of edges) {
    note(e.src, e);
    // A destination counts only when something answered in a protocol: scan targets that stayed silent are not hosts.
    if (e.protocolFrom === 'content') note(e.dst, e);
  }
  for (const [addr, x] of [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const pl = p.addresses.place(addr);
    if (pl.asset >= 0 || pl.partner >= 0 || pl.zone < 0) continue;
    const z = p.zones[pl.zone];
    // A private address that only the external catch-all covers is an internal host nobody zoned.
    if (z.kind === 'external' && !isPrivateAddress(addr)) continue;
    const where = z.kind === 'external' ? `outside every internal zone (falls into ${z.name})` : `in zone ${z.name}`;
    out.push(finding('check.unknown-asset', addr, `Unknown host ${addr} ${where}`, 'medium',
      { address: addr, zone: z.name, flows: x.flows, firstSeen: iso(x.first), lastSeen: iso(x.last) },
      { zone: z.name, firstSeen: x.first, lastSeen: x.last, fix: 'add it to the inventory (assets.yaml) or remove it from the network' }));
  }
}

export function runCheck(model: SiteModel, allEdges: FlowEdge[], opts: CheckOptions = {}): CheckResult {
  const edges = allEdges.filter((e) => !isLoopbackAddress(e.src) && !isLoopbackAddress(e.dst));
  const policy = compilePolicy(model);
  classifyEdges(edges, model);
  const ev = new Evaluator(policy).evaluate(edges);
  const findings: Finding[] = [];
  const verdicts: FlowVerdict[] = [];
  const scanners = findScanners(edges, ev);
  const scanning = new Set(scanners.map((s) => s.src));
  let allowed = 0, intra = 0, violations = 0;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    const rules: string[] = [];
    // A scanner's probes are one finding, not one per probed port.
    if (scanning.has(e.src) && ev.verdict[i] !== VERDICT.ALLOWED) rules.push('check.scan');
    else edgeFindings(e, i, ev, policy, findings, rules);
    const v = ev.verdict[i];
    // Each edge counts once: a flow its conduit allows but that breaks a rule (cleartext, over-sharing) is a violation.
    if (rules.length) violations++;
    else if (v === VERDICT.ALLOWED) allowed++;
    else if (v === VERDICT.INTRA_ZONE) intra++;
    verdicts.push({
      edge: edgeKey(e), label: e.label?.handover,
      verdict: rules.length ? 'violation' : v === VERDICT.ALLOWED ? 'allowed' : v === VERDICT.INTRA_ZONE ? 'intra-zone' : 'violation',
      conduit: ev.conduit[i] >= 0 && v === VERDICT.ALLOWED ? policy.conduits[ev.conduit[i]].conduit.id : undefined, rules,
    });
  }
  for (const s of scanners) findings.push(scanFinding(s, policy));
  unknownAssetFindings(policy, edges, findings);
  const unused = reverseFindings(policy, ev, opts.now ?? Date.now(), edges, findings);
  return {
    findings, verdicts,
    summary: { edges: edges.length, allowed, intraZone: intra, violations, scanners: scanners.length, conduits: policy.conduits.length, unusedConduits: unused, loopbackIgnored: allEdges.length - edges.length },
  };
}
