import type { Finding } from '../../core/finding.ts';
import { cidrContains, parseCidr } from '../../core/net.ts';
import type { Severity } from '../../core/severity.ts';
import type { ModelIndex } from '../../model/index.ts';
import type { ChangePlan } from '../change/plan.ts';
import { itemId, type ItemKind, type SnapshotItem } from './snapshot.ts';

export interface DriftItem {
  kind: ItemKind;
  subject: string;
  key: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
  asset?: string;
  addresses: string[];
  /** When the change was observed (file mtime, flow first seen, probe time); undefined when unknown. */
  at?: number;
}

export interface ClassifiedDrift extends DriftItem {
  classification: 'planned' | 'unplanned';
  /** The approved change that covers it. */
  ticket?: string;
}

/** Setting by setting: what the current snapshot has that the baseline had not, and back. */
export function diffSnapshots(baseline: SnapshotItem[], current: SnapshotItem[], opts: { kinds?: Set<ItemKind>; now?: number } = {}): DriftItem[] {
  const before = new Map(baseline.map((i) => [itemId(i), i]));
  const after = new Map(current.map((i) => [itemId(i), i]));
  // Only kinds that the current run looked at can be "removed": a drift run without probe results says nothing about probes.
  const kinds = opts.kinds ?? new Set(current.map((i) => i.kind));
  const out: DriftItem[] = [];
  for (const [k, a] of after) {
    const b = before.get(k);
    if (!b) out.push({ kind: a.kind, subject: a.subject, key: a.key, change: 'added', after: a.value, asset: a.asset, addresses: a.addresses, at: a.at });
    else if (b.value !== a.value) out.push({ kind: a.kind, subject: a.subject, key: a.key, change: 'changed', before: b.value, after: a.value, asset: a.asset ?? b.asset, addresses: a.addresses, at: a.at });
  }
  for (const [k, b] of before) {
    if (!after.has(k) && kinds.has(b.kind)) out.push({ kind: b.kind, subject: b.subject, key: b.key, change: 'removed', before: b.value, asset: b.asset, addresses: b.addresses, at: opts.now });
  }
  // The file hash is implied by its settings; keep it only when nothing else of the file changed (a comment, say).
  const filesWithSettings = new Set(out.filter((d) => d.kind === 'config').map((d) => d.subject));
  return out.filter((d) => !(d.kind === 'config-file' && d.change === 'changed' && filesWithSettings.has(d.subject)))
    .sort((x, y) => x.kind.localeCompare(y.kind) || x.subject.localeCompare(y.subject) || x.key.localeCompare(y.key));
}

function inScope(d: DriftItem, p: ChangePlan, index?: ModelIndex): boolean {
  if (d.asset && p.scope.assets.includes(d.asset)) return true;
  if (p.scope.files.some((f) => d.subject === f || d.subject.endsWith(`/${f}`) || f.endsWith(`/${d.subject}`))) return true;
  for (const a of d.addresses) {
    if (p.scope.cidrs.some((c) => { const x = parseCidr(c); return !!x && cidrContains(x, a); })) return true;
    const asset = index?.assetFor(a)?.name;
    if (asset && p.scope.assets.includes(asset)) return true;
  }
  return false;
}

/**
 * Planned when an approved change covers the item's asset, address or file
 * and its time falls inside the change window; everything else is unplanned.
 * An item without a time counts as planned only if `now` lies in the window.
 * Exported for the monitor, which alerts on the unplanned ones.
 */
export function classifyDrift(items: DriftItem[], plans: ChangePlan[], opts: { index?: ModelIndex; now?: number } = {}): ClassifiedDrift[] {
  const now = opts.now ?? Date.now();
  return items.map((d) => {
    const at = d.at ?? now;
    const plan = plans.find((p) => at >= p.windowStart && at <= p.windowEnd && inScope(d, p, opts.index));
    return plan ? { ...d, classification: 'planned', ticket: plan.ticket } : { ...d, classification: 'unplanned' };
  });
}

const SEVERITY: Record<ItemKind, Severity> = {
  'config-file': 'low',
  config: 'medium',
  probe: 'medium',
  flow: 'medium',
  'ae-pair': 'medium',
  'hl7-pair': 'medium',
  'ae-title': 'medium',
  'hl7-app': 'medium',
  software: 'low',
  'listening-port': 'medium',
};

const TITLE: Record<ItemKind, string> = {
  'config-file': 'Configuration file changed outside an approved change',
  config: 'Configuration setting changed outside an approved change',
  probe: 'Probe result changed outside an approved change',
  flow: 'Flow appeared or vanished outside an approved change',
  'ae-pair': 'New DICOM AE pair outside an approved change',
  'hl7-pair': 'New HL7 application pair outside an approved change',
  'ae-title': 'AE title appeared or vanished outside an approved change',
  'hl7-app': 'HL7 application appeared or vanished outside an approved change',
  software: 'Software version changed outside an approved change',
  'listening-port': 'Listening port appeared or vanished outside an approved change',
};

/** Unplanned drift as findings (rule drift.unplanned.<kind>); planned drift is reported, not alerted. */
export function driftFindings(items: ClassifiedDrift[]): Finding[] {
  return items.filter((d) => d.classification === 'unplanned').map((d) => ({
    id: `drift.unplanned.${d.kind}@${d.subject}#${d.key}`,
    rule: `drift.unplanned.${d.kind}`,
    title: TITLE[d.kind],
    severity: d.kind === 'probe' && d.key === 'status' && d.change === 'added' ? 'high' : SEVERITY[d.kind],
    source: 'drift',
    subject: d.asset ?? d.subject,
    evidence: { kind: d.kind, subject: d.subject, setting: d.key, change: d.change, before: d.before, after: d.after, at: d.at ? new Date(d.at).toISOString() : undefined },
    rationale: 'Every change to a clinical system should be planned and approved; an unplanned configuration change, new flow or new AE title is either an undocumented change or an intrusion.',
    fix: 'Find who changed it; record the change (wardline change plan) and re-baseline, or revert it.',
    references: ['IEC 80001-1 (change-release management of the medical IT network)', 'HIPAA 45 CFR 164.312(b) audit controls', 'HHS 405(d) HICP TV2 Practice 6'],
    lastSeen: d.at,
  }));
}
