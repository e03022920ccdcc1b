/**
 * The monitoring engine: each window's edges go through the same check as
 * `wardline check`, novelty (new hosts, AE pairs, HL7 pairs, unplanned new
 * flows) and the alert lifecycle, all in one store transaction together with
 * the events; only committed, first-time events are forwarded, rate-limited
 * per rule. Windows are processed one at a time, in order.
 */
import { listPlans } from '../analyses/change/plan.ts';
import type { Finding } from '../core/finding.ts';
import { ModelIndex } from '../model/index.ts';
import type { SiteModel } from '../model/types.ts';
import { edgeKey, type FlowEdge, type HostFacts } from '../observations/types.ts';
import type { SiemEvent, Sink } from '../outputs/siem/event.ts';
import type { Db, SqlValue } from '../store/db.ts';
import { AlertMemo, alertCounts, observeFindings, resolveStale } from './alerts.ts';
import { windowFindings } from './detect.ts';
import { storeEvent } from './event-store.ts';
import type { Logger } from './log.ts';
import { newMetrics, type MonitorMetrics } from './metrics.ts';
import { Novelty } from './novelty.ts';
import { Yielder } from './yield.ts';
import { RateLimiter, type RateLimitOptions } from './ratelimit.ts';
import { EdgeWindow } from './window.ts';

export interface EngineOptions {
  db: Db;
  model?: SiteModel;
  sinks?: Sink[];
  /** Site name for scale-out; '' for a single-site monitor. */
  site?: string;
  log?: Logger;
  /** An alert unseen this long is resolved. Default 5 minutes. */
  resolveAfterMs?: number;
  /** The first window over an empty store is the baseline (no novelty alerts). Default true. */
  learnFirstWindow?: boolean;
  rateLimit?: RateLimitOptions;
  metrics?: MonitorMetrics;
}

export interface WindowOutcome {
  edges: number;
  findings: number;
  /** Events committed by this window (new ones only). */
  events: SiemEvent[];
  /** False when the batch id had been committed before (a redelivery). */
  fresh: boolean;
}

/** Writes an input's position (e.g. a tailed log's offset) in the transaction of the window it fed. */
export type WindowCheckpoint = (t: Db, site: string) => Promise<void>;

export interface BatchMeta {
  /** Unique per sensor batch: site + sequence. */
  id: string;
  site: string;
  seq: number;
  records: number;
}

export class MonitorEngine {
  readonly window = new EdgeWindow();
  readonly metrics: MonitorMetrics;
  readonly db: Db;
  readonly #model: SiteModel | undefined;
  readonly #index: ModelIndex | undefined;
  readonly #sinks: Sink[];
  readonly #site: string;
  readonly #log: Logger | undefined;
  readonly #resolveAfter: number;
  readonly #limiter: RateLimiter;
  readonly #memo: AlertMemo;
  readonly #edgeFindings = new Map<string, Finding[]>();
  readonly #novelty: Map<string, Novelty> = new Map();
  #learning: boolean | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #lastWindowAt = 0;
  /**
   * Called at the instant a local window is taken, so the position it returns
   * matches the window's contents exactly; committed with the window, so a
   * restart resumes after what was stored (nothing lost, nothing counted twice).
   */
  checkpoint: (() => WindowCheckpoint | undefined) | undefined;

  constructor(o: EngineOptions) {
    this.db = o.db;
    this.#model = o.model;
    this.#index = o.model ? new ModelIndex(o.model) : undefined;
    this.#sinks = o.sinks ?? [];
    this.#site = o.site ?? '';
    this.#log = o.log;
    this.#resolveAfter = o.resolveAfterMs ?? 5 * 60_000;
    this.#memo = new AlertMemo(Math.min(60_000, this.#resolveAfter / 3));
    this.#limiter = new RateLimiter(o.rateLimit ?? { burst: 50, perMinute: 120 });
    this.metrics = o.metrics ?? newMetrics();
    this.#learning = o.learnFirstWindow === false ? false : undefined;
  }

  #noveltyFor(site: string): Novelty {
    let n = this.#novelty.get(site);
    if (!n) this.#novelty.set(site, (n = new Novelty(site, this.#index)));
    return n;
  }

  /** Evaluates what the window collected since the last call. Serialised: calls queue behind each other. */
  evaluateWindow(now = Date.now()): Promise<WindowOutcome> {
    const next = this.#chain.then(async () => {
      const w = this.window.take();
      const cp = this.checkpoint?.();
      this.#lastWindowAt = now;
      const r = await this.#process(w.edges, w.hosts, now, this.#site, undefined, cp);
      this.metrics.windows++;
      this.metrics.lagMs = Date.now() - now;
      return r;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** A sensor batch: committed at most once by its id, whichever consumer gets it. */
  processBatch(edges: FlowEdge[], hosts: HostFacts[], meta: BatchMeta, now = Date.now()): Promise<WindowOutcome> {
    const next = this.#chain.then(async () => {
      const r = await this.#process(edges, hosts, now, meta.site, meta);
      if (r.fresh) this.metrics.batches++;
      this.metrics.lagMs = Date.now() - now;
      return r;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #process(edges: FlowEdge[], hosts: HostFacts[], now: number, site: string, batch?: BatchMeta, checkpoint?: WindowCheckpoint): Promise<WindowOutcome> {
    const novelty = this.#noveltyFor(site);
    if (this.#learning === undefined) this.#learning = await novelty.empty(this.db);
    const learning = this.#learning;
    const findings = this.#findings(edges, now);
    const plans = await listPlans(this.db);
    let fresh = true;
    const committed: SiemEvent[] = [];
    await this.db.tx(async (t) => {
      if (batch) {
        const b = await t.run('INSERT INTO monitor_batches (id, site, seq, received_at, edges, records) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
          [batch.id, batch.site, batch.seq, now, edges.length, batch.records]);
        if (b.changes !== 1) {
          fresh = false;
          return;
        }
      }
      await saveEdgeTotals(t, site, edges);
      if (checkpoint) await checkpoint(t, site);
      const newThings = await novelty.record(t, edges, hosts, now, learning, plans);
      const events: SiemEvent[] = [];
      // One-shot alerts (something new) are events without a lifecycle; their key is their subject.
      for (const f of newThings) events.push(oneShot(f, now, site));
      // Not push(...list): a window of tens of thousands of new alerts overflows the argument stack.
      for (const ev of await observeFindings(t, findings, now, site, this.#memo)) events.push(ev);
      for (const ev of await resolveStale(t, now, this.#resolveAfter, site, this.#memo)) events.push(ev);
      const y = new Yielder();
      for (const ev of events) {
        await y.step();
        if (await storeEvent(t, ev)) committed.push(ev);
      }
    });
    if (learning && fresh) this.#learning = false;
    if (!fresh) return { edges: edges.length, findings: findings.length, events: [], fresh };
    this.metrics.eventsStored += committed.length;
    for (const ev of committed) this.metrics.alerts[ev.severity] = (this.metrics.alerts[ev.severity] ?? 0) + 1;
    this.#forward(committed, now);
    this.metrics.alertsByState = await alertCounts(this.db);
    if (committed.length) this.#log?.info({ window: now, site: site || undefined, edges: edges.length, findings: findings.length, events: committed.length }, 'events committed');
    return { edges: edges.length, findings: findings.length, events: committed, fresh };
  }

  /**
   * The check is the costly part of a window. An edge without content facts
   * that was evaluated before gets the same verdict against the same model,
   * so its findings are reused and only new edges (or edges carrying AE
   * titles, HL7 applications...) are checked; reused findings keep their
   * alerts active. Address findings (unknown host, scanner) are remembered
   * with each edge of that address.
   */
  #findings(edges: FlowEdge[], now: number): Finding[] {
    const fresh: FlowEdge[] = [];
    const out: Finding[] = [];
    for (const e of edges) {
      const known = isBare(e) ? this.#edgeFindings.get(edgeKey(e)) : undefined;
      if (known) for (const f of known) out.push(f);
      else fresh.push(e);
    }
    if (fresh.length === 0) return dedupe(out);
    const found = windowFindings(this.#model, this.#index, fresh, now);
    const bySubject = new Map<string, Finding[]>();
    for (const f of found) {
      let l = bySubject.get(f.subject);
      if (!l) bySubject.set(f.subject, (l = []));
      l.push(f);
    }
    if (this.#edgeFindings.size > 500_000) this.#edgeFindings.clear();
    for (const e of fresh) {
      if (!isBare(e)) continue;
      const k = edgeKey(e);
      this.#edgeFindings.set(k, [...(bySubject.get(k) ?? []), ...(bySubject.get(e.src) ?? []), ...(bySubject.get(e.dst) ?? [])]);
    }
    for (const f of found) out.push(f);
    return dedupe(out);
  }

  #forward(events: SiemEvent[], now: number): void {
    if (this.#sinks.length === 0) return;
    for (const ev of events) {
      if (!this.#limiter.take(ev.rule, now)) {
        this.metrics.eventsSuppressed++;
        continue;
      }
      for (const s of this.#sinks) s.send(ev);
      this.metrics.eventsForwarded++;
    }
    for (const { rule, count } of this.#limiter.drainSuppressed()) {
      const ev: SiemEvent = {
        id: `${this.#site ? `${this.#site}/` : ''}suppressed:${rule}@${now}`, ts: now, kind: 'alert.suppressed', rule, severity: 'info', state: 'active',
        title: `${count} ${rule} alert(s) held back by rate limiting; all are in the store`, subject: rule, site: this.#site || undefined, evidence: { count },
      };
      // Best effort: the summary is stored too, but a failure to store it must not lose the window.
      void storeEvent(this.db, ev).catch(() => undefined);
      for (const s of this.#sinks) s.send(ev);
    }
  }

  get lastWindowAt(): number {
    return this.#lastWindowAt;
  }

  /** Waits for queued windows and for the outputs to deliver. */
  async drain(timeoutMs = 10_000): Promise<void> {
    await this.#chain;
    await Promise.all(this.#sinks.map((s) => s.flush(timeoutMs)));
  }

  async closeSinks(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.close()));
  }

  sinkDrops(): number {
    return this.#sinks.reduce((n, s) => n + s.stats.dropped + s.stats.failed, 0);
  }
}

/** No content facts: the verdict depends on addresses, port and protocol only. */
function isBare(e: FlowEdge): boolean {
  for (const k in e.facts) if (k) return false;
  return true;
}

function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
}

function oneShot(f: Finding, now: number, site: string): SiemEvent {
  return {
    id: `${site ? `${site}/` : ''}${f.id}#new`, ts: now, kind: 'alert.open', rule: f.rule, severity: f.severity, state: 'open', title: f.title,
    subject: f.subject, site: site || undefined, zone: f.zone, process: f.process, evidence: f.evidence,
  };
}

/** Running per-site totals of every edge, so a restart or a redelivery can be checked against what was sent. */
async function saveEdgeTotals(t: Db, site: string, edges: readonly FlowEdge[]): Promise<void> {
  // One row per key (a hostile batch may repeat one; PostgreSQL refuses to update a row twice in one statement).
  const rows = new Map<string, SqlValue[]>();
  for (const e of edges) {
    const k = edgeKey(e);
    // Capture times carry sub-millisecond fractions; the columns are BIGINT milliseconds (PostgreSQL refuses fractions).
    const first = Number.isFinite(e.firstSeen) ? Math.floor(e.firstSeen) : 0;
    const last = Number.isFinite(e.lastSeen) ? Math.floor(e.lastSeen) : 0;
    const have = rows.get(k);
    if (have) {
      have[7] = (have[7] as number) + e.bytes;
      have[8] = (have[8] as number) + e.packets;
      have[9] = (have[9] as number) + e.sessions;
      have[10] = Math.min(have[10] as number, first);
      have[11] = Math.max(have[11] as number, last);
    } else rows.set(k, [site, k, e.src, e.dst, e.transport, e.dport, e.protocol, Math.round(e.bytes), Math.round(e.packets), Math.round(e.sessions), first, last]);
  }
  // Multi-row upserts: one prepared statement per chunk instead of per edge.
  const all = [...rows.values()];
  const y = new Yielder(4);
  for (let i = 0; i < all.length; i += EDGE_CHUNK) {
    await y.step();
    const chunk = all.slice(i, i + EDGE_CHUNK);
    await t.run(
      `INSERT INTO monitor_edges (site, edge_key, src, dst, transport, dport, protocol, bytes, packets, sessions, first_seen, last_seen)
       VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (site, edge_key) DO UPDATE SET bytes = monitor_edges.bytes + excluded.bytes, packets = monitor_edges.packets + excluded.packets,
         sessions = monitor_edges.sessions + excluded.sessions,
         first_seen = CASE WHEN excluded.first_seen < monitor_edges.first_seen THEN excluded.first_seen ELSE monitor_edges.first_seen END,
         last_seen = CASE WHEN excluded.last_seen > monitor_edges.last_seen THEN excluded.last_seen ELSE monitor_edges.last_seen END`,
      chunk.flat(),
    );
  }
}

const EDGE_CHUNK = 200;
