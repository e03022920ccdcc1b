/**
 * What the site has never shown before: hosts, DICOM AE pairs, HL7
 * application pairs, flow edges. The store's monitor_known table decides
 * (INSERT ... ON CONFLICT DO NOTHING), so two consumers seeing the same new
 * host produce one alert; a memory set spares the store the known ones.
 * New items are classified against approved changes (change control):
 * a new flow outside any change window is an unplanned change.
 */
import { classifyDrift, driftFindings, type DriftItem } from '../analyses/drift/drift.ts';
import type { ChangePlan } from '../analyses/change/plan.ts';
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/severity.ts';
import type { ModelIndex } from '../model/index.ts';
import type { FlowEdge, HostFacts } from '../observations/types.ts';
import type { Db } from '../store/db.ts';
import { isSiteAddress } from './detect.ts';
import { Yielder } from './yield.ts';

export type KnownKind = 'host' | 'ae-pair' | 'hl7-pair' | 'edge';

interface Candidate {
  kind: KnownKind;
  subject: string;
  addresses: string[];
  edge?: FlowEdge;
}

const REFS = ['IEC 80001-1 (change-release management of the medical IT network)', 'HHS 405(d) HICP TV2 Practice 5 (asset management)', 'NIST SP 1800-8 (securing wireless infusion pumps: asset inventory)'];
/** Bound on the memory set; past it the store alone decides. */
const MAX_MEMO = 1_000_000;

const KINDS: readonly KnownKind[] = ['host', 'ae-pair', 'hl7-pair', 'edge'];

/** Subjects per kind: a lookup by the subject string itself (hashed once, often already), no "kind + subject" string per item and window. */
function kindSets(): Record<KnownKind, Set<string>> {
  return { host: new Set(), 'ae-pair': new Set(), 'hl7-pair': new Set(), edge: new Set() };
}

export class Novelty {
  readonly #memo = kindSets();
  #memoSize = 0;
  readonly #site: string;
  readonly #index: ModelIndex | undefined;

  constructor(site: string, index: ModelIndex | undefined) {
    this.#site = site;
    this.#index = index;
  }

  /** Whether the store knows nothing yet for this site (so the first window is the baseline). */
  async empty(db: Db): Promise<boolean> {
    return (await db.get('SELECT 1 AS x FROM monitor_known WHERE site = ? LIMIT 1', [this.#site])) === undefined;
  }

  /** `keys[i]` is edgeKey(edges[i]). */
  #candidates(edges: readonly FlowEdge[], keys: readonly string[], hosts: readonly HostFacts[]): Candidate[] {
    const out: Candidate[] = [];
    const seen = kindSets();
    const memo = this.#memo;
    const add = (c: Candidate) => {
      if (seen[c.kind].has(c.subject) || memo[c.kind].has(c.subject)) return;
      seen[c.kind].add(c.subject);
      out.push(c);
    };
    // Known subjects are skipped before anything is built or parsed for them (the steady state: all of them).
    for (const h of hosts) if (!memo.host.has(h.address) && isSiteAddress(h.address, this.#index)) add({ kind: 'host', subject: h.address, addresses: [h.address] });
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i];
      const k = keys[i];
      // Ephemeral internet chatter would drown the rest: edges are tracked when they touch the site and name a service.
      if (!memo.edge.has(k) && (e.transport === 'tcp' || e.transport === 'udp') && (isSiteAddress(e.src, this.#index) || isSiteAddress(e.dst, this.#index)) && (e.protocol !== 'unknown' || e.dport < 49152)) {
        add({ kind: 'edge', subject: k, addresses: [e.src, e.dst], edge: e });
      }
      for (const p of e.facts.dicom?.aePairs ?? []) add({ kind: 'ae-pair', subject: `${p.calling}>${p.called}@${e.dst}`, addresses: [e.src, e.dst], edge: e });
      for (const p of e.facts.hl7?.appPairs ?? []) {
        add({ kind: 'hl7-pair', subject: `${p.sendingApplication}^${p.sendingFacility}>${p.receivingApplication}^${p.receivingFacility}`, addresses: [e.src, e.dst], edge: e });
      }
    }
    return out;
  }

  /**
   * Records what is new in the store; returns findings for it unless
   * `learning` (the baseline window). Runs inside the caller's transaction.
   */
  async record(t: Db, edges: readonly FlowEdge[], keys: readonly string[], hosts: readonly HostFacts[], now: number, learning: boolean, plans: ChangePlan[]): Promise<Finding[]> {
    const fresh: Candidate[] = [];
    const y = new Yielder();
    for (const c of this.#candidates(edges, keys, hosts)) {
      await y.step();
      const r = await t.run('INSERT INTO monitor_known (kind, subject, site, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT (kind, subject, site) DO NOTHING', [c.kind, c.subject, this.#site, now]);
      if (this.#memoSize >= MAX_MEMO) {
        for (const k of KINDS) this.#memo[k].clear();
        this.#memoSize = 0;
      }
      this.#memo[c.kind].add(c.subject);
      this.#memoSize++;
      if (r.changes === 1) fresh.push(c);
    }
    if (learning || fresh.length === 0) return [];
    const drift: DriftItem[] = fresh.map((c) => ({
      kind: c.kind === 'ae-pair' || c.kind === 'hl7-pair' ? c.kind : 'flow',
      subject: c.subject, key: c.kind, change: 'added', after: 'seen', addresses: c.addresses, at: now,
      asset: c.addresses.map((a) => this.#index?.assetFor(a)?.name).find((x) => x !== undefined),
    }));
    const classified = classifyDrift(drift, plans, { index: this.#index, now });
    const out: Finding[] = [];
    classified.forEach((d, i) => {
      const c = fresh[i];
      const ticket = d.ticket;
      if (c.kind === 'edge') {
        if (d.classification === 'unplanned') {
          const f = driftFindings([d])[0];
          out.push({ ...f, title: `New flow outside an approved change: ${c.edge ? `${c.edge.src} -> ${c.edge.dst} ${c.edge.transport}/${c.edge.dport} ${c.edge.protocol}` : c.subject}`, subject: c.subject });
        }
        return;
      }
      out.push(this.#finding(c, d.classification === 'planned', ticket, now));
    });
    return out;
  }

  #finding(c: Candidate, planned: boolean, ticket: string | undefined, now: number): Finding {
    const asset = c.kind === 'host' ? this.#index?.assetFor(c.subject) : undefined;
    const zone = this.#index?.zoneFor(c.addresses[c.addresses.length - 1])?.name;
    let rule: string;
    let title: string;
    let severity: Severity;
    if (c.kind === 'host') {
      rule = 'monitor.new-asset';
      title = asset ? `Inventoried asset ${asset.name} (${c.subject}) seen on the network for the first time` : `New host ${c.subject} on the network, not in the inventory`;
      severity = asset ? 'info' : 'medium';
    } else if (c.kind === 'ae-pair') {
      rule = 'monitor.new-ae-pair';
      title = `New DICOM AE pair ${c.subject.replace('>', ' -> ')}`;
      severity = 'medium';
    } else {
      rule = 'monitor.new-hl7-pair';
      title = `New HL7 application pair ${c.subject.replace('>', ' -> ')}`;
      severity = 'medium';
    }
    if (planned) {
      severity = 'info';
      title += ` (planned: ${ticket})`;
    }
    return {
      id: `monitor:${rule}:${c.subject}`, rule, title, severity, source: 'monitor', subject: c.subject, zone,
      evidence: { kind: c.kind, subject: c.subject, addresses: c.addresses, asset: asset?.name, planned, ticket, firstSeen: new Date(now).toISOString() },
      references: REFS, firstSeen: now, lastSeen: now,
      fix: c.kind === 'host' ? 'add it to the inventory (assets.yaml), or find and remove it' : 'confirm the new pairing with the modality/interface owner; record it as a change (wardline change plan) or block it',
    };
  }
}
