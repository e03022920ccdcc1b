/**
 * wardline simulate: replay what was observed against a candidate model.
 * Which flows seen today would the candidate block (what breaks clinically),
 * which would it newly allow; flows that look illegitimate (scans, kiosk to
 * PACS) are blocked on purpose and reported apart from real breakage.
 */
import type { Finding } from '../../core/finding.ts';
import type { SiteModel } from '../../model/types.ts';
import { classifyEdges } from '../../observations/classify.ts';
import { edgeKey, type FlowEdge } from '../../observations/types.ts';
import { compilePolicy } from '../../graph/policy.ts';
import { isLoopbackAddress } from '../../graph/address.ts';
import { Evaluator, VERDICT } from '../check/evaluate.ts';
import { scanningSources, suspicion } from '../segment/legit.ts';
import { placeHosts } from '../segment/role.ts';

export interface SimChange {
  edge: string;
  handover?: string;
  process?: string;
  phi: boolean;
  sessions: number;
  /** Conduit that allowed it before / allows it after, or "zone" inside one zone. */
  before?: string;
  after?: string;
  suspicious?: string;
}

export interface SimulationResult {
  breaks: SimChange[];
  intendedBlocks: SimChange[];
  newlyAllowed: SimChange[];
  unchanged: number;
  /** Conduits of the candidate that no observed flow uses. */
  unusedConduits: string[];
  findings: Finding[];
}

/** The model as it would be enforced: conduits expired by `now` are gone. */
function enforced(model: SiteModel, now: number): SiteModel {
  return { ...model, conduits: model.conduits.filter((c) => !c.expires || Date.parse(`${c.expires}T23:59:59.999Z`) >= now) };
}

function verdicts(model: SiteModel, edges: readonly FlowEdge[], now: number): { permitted: boolean[]; by: Array<string | undefined>; used: Uint32Array; ids: string[] } {
  const policy = compilePolicy(enforced(model, now));
  const ev = new Evaluator(policy).evaluate(edges);
  const permitted: boolean[] = [];
  const by: Array<string | undefined> = [];
  for (let i = 0; i < edges.length; i++) {
    const v = ev.verdict[i];
    permitted.push(v === VERDICT.ALLOWED || v === VERDICT.INTRA_ZONE);
    by.push(v === VERDICT.ALLOWED ? policy.conduits[ev.conduit[i]].conduit.id : v === VERDICT.INTRA_ZONE ? 'zone' : undefined);
  }
  return { permitted, by, used: ev.used, ids: policy.conduits.map((c) => c.conduit.id) };
}

export function simulate(allEdges: FlowEdge[], candidate: SiteModel, baseline?: SiteModel, opts: { now?: number } = {}): SimulationResult {
  const edges = allEdges.filter((e) => !isLoopbackAddress(e.src) && !isLoopbackAddress(e.dst));
  const now = opts.now ?? Date.now();
  classifyEdges(edges, candidate);
  const after = verdicts(candidate, edges, now);
  const before = baseline ? verdicts(baseline, edges, now) : undefined;
  const places = placeHosts(edges, candidate);
  const scanners = scanningSources(edges);
  const res: SimulationResult = { breaks: [], intendedBlocks: [], newlyAllowed: [], unchanged: 0, unusedConduits: [], findings: [] };
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    // Without a baseline, today is an unsegmented network: everything observed got through.
    const was = before ? before.permitted[i] : true;
    const will = after.permitted[i];
    if (was === will) { res.unchanged++; continue; }
    const change: SimChange = {
      edge: edgeKey(e), handover: e.label?.handover, process: e.label?.process, phi: e.phi, sessions: e.sessions,
      before: before?.by[i], after: after.by[i], suspicious: suspicion(e, places, scanners, true),
    };
    if (was && !will) (change.suspicious ? res.intendedBlocks : res.breaks).push(change);
    else res.newlyAllowed.push(change);
  }
  res.unusedConduits = after.ids.filter((_, i) => after.used[i] === 0);
  for (const b of res.breaks) {
    const clinical = b.process !== undefined && b.process !== 'unknown' && b.process !== 'infrastructure';
    res.findings.push({
      id: `simulate:would-break:${b.edge}`, rule: 'simulate.would-break', source: 'simulate', subject: b.edge,
      title: `Would be blocked: ${b.handover ?? b.edge}${b.before ? ` (today via ${b.before})` : ''}`,
      severity: b.phi || clinical ? 'high' : 'medium', process: b.process, evidence: { ...b },
      references: ['IEC 62443-3-2 ZCR 5 (detailed risk assessment before changing zones and conduits)', 'IEC 80001-1 (safety and effectiveness of connected medical devices)'],
      fix: 'add a conduit for it to the candidate model, or confirm with the clinical owner that it may stop',
    });
  }
  for (const n of res.newlyAllowed) {
    res.findings.push({
      id: `simulate:newly-allowed:${n.edge}`, rule: 'simulate.newly-allowed', source: 'simulate', subject: n.edge,
      title: `Newly allowed: ${n.handover ?? n.edge} (via ${n.after})${n.suspicious ? `, although ${n.suspicious}` : ''}`,
      severity: n.suspicious ? 'high' : 'info', process: n.process, evidence: { ...n },
      references: ['IEC 62443-3-3 SR 5.2 (zone boundary protection)', 'HICP Practice 6.M.A (default-deny)'],
    });
  }
  return res;
}
