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
  /** Findings of bare edges evaluated before, by edge key (see #findings). */
  readonly #edgeFindings = new Map<string, FindingSlot[]>();
  /** One slot per finding id, shared by every edge it was found with. */
  readonly #slots = new Map<string, FindingSlot>();
  #findingsCall = 0;
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
      const r = await this.#process(w.edges, w.hosts, now, this.#site, undefined, cp, w.keys);
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

  /** `knownKeys[i]`, when given, is edgeKey(edges[i]), and the keys are distinct (a local window). */
  async #process(edges: FlowEdge[], hosts: HostFacts[], now: number, site: string, batch?: BatchMeta, checkpoint?: WindowCheckpoint, knownKeys?: string[]): Promise<WindowOutcome> {
    const novelty = this.#noveltyFor(site);
    if (this.#learning === undefined) this.#learning = await novelty.empty(this.db);
    const learning = this.#learning;
    // Each edge's key once per window: the findings cache, the totals and novelty all look edges up by it.
    const keys = knownKeys ?? edges.map((e) => edgeKey(e));
    const findings = this.#findings(edges, keys, now, site);
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
      await saveEdgeTotals(t, site, edges, keys, knownKeys !== undefined);
      if (checkpoint) await checkpoint(t, site);
      const newThings = await novelty.record(t, edges, keys, hosts, now, learning, plans);
      const events: SiemEvent[] = [];
      // One-shot alerts (something new) are events without a lifecycle; their key is their subject.
      for (const f of newThings) events.push(oneShot(f, now, site));
      // Not push(...list): a window of tens of thousands of new alerts overflows the argument stack.
      for (const ev of await observeFindings(t, findings.observe, now, site, this.#memo)) events.push(ev);
      this.#noteObserved(findings.observeSlots, site);
      for (const ev of await resolveStale(t, now, this.#resolveAfter, site, this.#memo)) events.push(ev);
      const y = new Yielder();
      for (const ev of events) {
        await y.step();
        if (await storeEvent(t, ev)) committed.push(ev);
      }
    });
    if (learning && fresh) this.#learning = false;
    if (!fresh) return { edges: edges.length, findings: findings.count, events: [], fresh };
    this.metrics.eventsStored += committed.length;
    for (const ev of committed) this.metrics.alerts[ev.severity] = (this.metrics.alerts[ev.severity] ?? 0) + 1;
    this.#forward(committed, now);
    this.metrics.alertsByState = await alertCounts(this.db);
    if (committed.length) this.#log?.info({ window: now, site: site || undefined, edges: edges.length, findings: findings.count, events: committed.length }, 'events committed');
    return { edges: edges.length, findings: findings.count, events: committed, fresh };
  }

  /**
   * The check is the costly part of a window. An edge without content facts
   * that was evaluated before gets the same verdict against the same model,
   * so its findings are reused and only new edges (or edges carrying AE
   * titles, HL7 applications...) are checked; reused findings keep their
   * alerts active. Address findings (unknown host, scanner) are remembered
   * with each edge of that address.
   *
   * A steady window repeats tens of thousands of findings: they are counted
   * once each by a mark on their slot (no set of ids per window), and only
   * those the alert memo would not skip go to observeFindings.
   */
  #findings(edges: FlowEdge[], keys: string[], now: number, site: string): WindowFindings {
    const call = ++this.#findingsCall;
    const memo = this.#memo;
    const epoch = memo.epoch;
    const r: WindowFindings = { count: 0, observe: [], observeSlots: [] };
    const emit = (s: FindingSlot): void => {
      if (s.call === call) return;
      s.call = call;
      r.count++;
      // The memo holds this id as touched recently (it can only have changed through observeFindings, which updates the slot, or a deletion, which moves the epoch).
      if (s.site === site && s.epoch === epoch && now - s.touched < memo.touchEveryMs) return;
      r.observe.push(s.f);
      r.observeSlots.push(s);
    };
    const fresh: FlowEdge[] = [];
    const freshKeys: string[] = [];
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i];
      const known = isBare(e) ? this.#edgeFindings.get(keys[i]) : undefined;
      if (known) for (const s of known) emit(s);
      else {
        fresh.push(e);
        freshKeys.push(keys[i]);
      }
    }
    if (fresh.length === 0) return r;
    const found = windowFindings(this.#model, this.#index, fresh, now);
    if (this.#edgeFindings.size > 500_000 || this.#slots.size > 2_000_000) {
      this.#edgeFindings.clear();
      this.#slots.clear();
    }
    const bySubject = new Map<string, FindingSlot[]>();
    const foundSlots: FindingSlot[] = [];
    for (const f of found) {
      let s = this.#slots.get(f.id);
      // The latest verdict for the id is what later windows report.
      if (s) s.f = f;
      else this.#slots.set(f.id, (s = { f, call: 0, site: '', epoch: -1, touched: 0 }));
      foundSlots.push(s);
      let l = bySubject.get(f.subject);
      if (!l) bySubject.set(f.subject, (l = []));
      l.push(s);
    }
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i];
      if (!isBare(e)) continue;
      const k = freshKeys[i];
      this.#edgeFindings.set(k, [...(bySubject.get(k) ?? []), ...(bySubject.get(e.src) ?? []), ...(bySubject.get(e.dst) ?? [])]);
    }
    for (const s of foundSlots) emit(s);
    return r;
  }

  /** After observeFindings: what the memo now holds for each id it saw, so the next windows can skip them without asking it. */
  #noteObserved(slots: FindingSlot[], site: string): void {
    const memo = this.#memo;
    for (const s of slots) {
      const t = memo.touched.get(site ? `${site}/${s.f.id}` : s.f.id);
      s.site = site;
      s.epoch = t === undefined ? -1 : memo.epoch;
      s.touched = t ?? 0;
    }
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

/** A finding id's latest finding and what the engine knows of it without hashing the id. */
interface FindingSlot {
  f: Finding;
  /** The #findings call that last counted it: each id once per window. */
  call: number;
  /** The alert memo's touch time of this id for `site`, valid while the memo's epoch is `epoch` (-1: unknown). */
  site: string;
  epoch: number;
  touched: number;
}

interface WindowFindings {
  /** Distinct findings of the window. */
  count: number;
  /** The ones whose alerts may need a store write (the rest were touched recently). */
  observe: Finding[];
  observeSlots: FindingSlot[];
}

function oneShot(f: Finding, now: number, site: string): SiemEvent {
  return {
    id: `${site ? `${site}/` : ''}${f.id}#new`, ts: now, kind: 'alert.open', rule: f.rule, severity: f.severity, state: 'open', title: f.title,
    subject: f.subject, site: site || undefined, zone: f.zone, process: f.process, evidence: f.evidence,
  };
}

/** Running per-site totals of every edge, so a restart or a redelivery can be checked against what was sent. */
async function saveEdgeTotals(t: Db, site: string, edges: readonly FlowEdge[], keys: readonly string[], unique: boolean): Promise<void> {
  // One row per key (a hostile batch may repeat one; PostgreSQL refuses to update a row twice in one statement). A window's keys are distinct already.
  let merged: SqlValue[][] | undefined;
  if (!unique) {
    const rows = new Map<string, SqlValue[]>();
    for (let i = 0; i < edges.length; i++) {
      const k = keys[i];
      const have = rows.get(k);
      const row = edgeRow([], site, k, edges[i]);
      if (have) {
        have[7] = (have[7] as number) + (row[7] as number);
        have[8] = (have[8] as number) + (row[8] as number);
        have[9] = (have[9] as number) + (row[9] as number);
        have[10] = Math.min(have[10] as number, row[10] as number);
        have[11] = Math.max(have[11] as number, row[11] as number);
      } else rows.set(k, row);
    }
    merged = [...rows.values()];
  }
  // Multi-row upserts: one prepared statement per chunk instead of per edge.
  const n = merged ? merged.length : edges.length;
  const y = new Yielder(4);
  for (let i = 0; i < n; i += EDGE_CHUNK) {
    await y.step();
    const end = Math.min(n, i + EDGE_CHUNK);
    const params: SqlValue[] = [];
    for (let j = i; j < end; j++) {
      if (merged) for (const v of merged[j]) params.push(v);
      else edgeRow(params, site, keys[j], edges[j]);
    }
    await t.run(upsertEdgesSql(end - i), params);
  }
}

/** Appends an edge's monitor_edges row to `out`. */
function edgeRow(out: SqlValue[], site: string, k: string, e: FlowEdge): SqlValue[] {
  // Capture times carry sub-millisecond fractions; the columns are BIGINT milliseconds (PostgreSQL refuses fractions).
  const first = Number.isFinite(e.firstSeen) ? Math.floor(e.firstSeen) : 0;
  const last = Number.isFinite(e.lastSeen) ? Math.floor(e.lastSeen) : 0;
  out.push(site, k, e.src, e.dst, e.transport, e.dport, e.protocol, Math.round(e.bytes), Math.round(e.packets), Math.round(e.sessions), first, last);
  return out;
}

const UPSERT_EDGES = new Map<number, string>();

function upsertEdgesSql(rows: number): string {
  let sql = UPSERT_EDGES.get(rows);
  if (!sql) {
    sql = `INSERT INTO monitor_edges (site, edge_key, src, dst, transport, dport, protocol, bytes, packets, sessions, first_seen, last_seen)
       VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (site, edge_key) DO UPDATE SET bytes = monitor_edges.bytes + excluded.bytes, packets = monitor_edges.packets + excluded.packets,
         sessions = monitor_edges.sessions + excluded.sessions,
         first_seen = CASE WHEN excluded.first_seen < monitor_edges.first_seen THEN excluded.first_seen ELSE monitor_edges.first_seen END,
         last_seen = CASE WHEN excluded.last_seen > monitor_edges.last_seen THEN excluded.last_seen ELSE monitor_edges.last_seen END`;
    UPSERT_EDGES.set(rows, sql);
  }
  return sql;
}

const EDGE_CHUNK = 200;
