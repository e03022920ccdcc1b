/**
 * The numbers a hospital board reads: how many flows break the design, how
 * much PHI crosses the network in cleartext, the worst findings, and what an
 * attacker on the most exposed foothold reaches before and after the
 * proposed segmentation. Plain language, no protocol jargon.
 */
import { SEVERITIES } from '../../core/severity.ts';
import { complianceCoverage, type ControlCoverage } from './compliance.ts';
import type { SiteView, StoredFinding } from './site-view.ts';

export interface Tally {
  label: string;
  value: number;
}

export interface ReportSummary {
  bySeverity: Tally[];
  byProcess: Tally[];
  byZone: Tally[];
  byRule: Tally[];
  coverage: ControlCoverage[];
  /** Sentences for the executive summary. */
  headline: string[];
  /** The few findings to act on first. */
  top: StoredFinding[];
}

function tally(fs: readonly StoredFinding[], key: (f: StoredFinding) => string | undefined): Tally[] {
  const m = new Map<string, number>();
  for (const f of fs) {
    const k = key(f) ?? 'unassigned';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
}

export function summarise(view: SiteView): ReportSummary {
  const open = view.findings.filter((f) => f.status === 'open');
  const bySeverity = [...SEVERITIES].reverse().map((s) => ({ label: s, value: open.filter((f) => f.severity === s).length }));
  const c = view.counts;
  const headline: string[] = [];
  const crit = bySeverity.find((t) => t.label === 'critical')!.value;
  const high = bySeverity.find((t) => t.label === 'high')!.value;
  headline.push(`${open.length} open finding(s): ${crit} critical and ${high} high need action first.`);
  if (view.hasModel) {
    headline.push(`${c.edges} observed network flow(s) were checked against the hospital's approved zones and conduits: ${c.allowed} are approved, ${c.intraZone} stay inside one zone, ${c.violations} break the design.`);
  } else {
    headline.push(`${c.edges} observed network flow(s); no site model was given, so no flow was judged against an approved design.`);
  }
  if (c.phiEdgesCleartext) headline.push(`${c.phiEdgesCleartext} flow(s) carry patient data (PHI) without encryption.`);
  const b = view.blast;
  if (b) {
    headline.push(b.after
      ? `An attacker who takes over ${b.target} can reach ${b.before.phiAssets} system(s) holding patient data today, and ${b.after.phiAssets} once the proposed segmentation (${b.proposed}) is enforced.`
      : `An attacker who takes over ${b.target} can reach ${b.before.phiAssets} system(s) holding patient data today.`);
  }
  headline.push(`${c.assets} asset(s) in the inventory, ${view.assets.filter((a) => !a.modelled).length} of them seen on the network but not in the model.`);
  return {
    bySeverity, byProcess: tally(open, (f) => f.process), byZone: tally(open, (f) => f.zone), byRule: tally(open, (f) => f.rule),
    coverage: complianceCoverage(open), headline, top: open.filter((f) => f.severity === 'critical' || f.severity === 'high').slice(0, 10),
  };
}
