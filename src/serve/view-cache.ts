/**
 * The dashboard reads the store once into a SiteView and answers every
 * request from it: pages, filters and aggregates are computed server-side
 * so that a 50k-edge site never ships 50k edges to the browser. The view is
 * rebuilt when the store's fingerprint (row counts and latest times) moves,
 * at most every `ttlMs`.
 */
import type { SiteModel } from '../model/types.ts';
import { loadObservations } from '../observations/persist.ts';
import type { FlowEdge } from '../observations/types.ts';
import { buildSiteView, type BlastGraphs, type SiteView, type StoredFinding } from '../outputs/report/site-view.ts';
import { summarise, type ReportSummary } from '../outputs/report/summary.ts';
import { flowMapSvg } from '../outputs/report/svg.ts';
import type { Db } from '../store/db.ts';

export interface CachedView {
  view: SiteView;
  summary: ReportSummary;
  edges: FlowEdge[];
  builtAt: number;
  fingerprint: string;
  maps: Map<string, string>;
  /** Indexes for per-request lookups: edge id by key, findings by subject. */
  edgeIdByKey: Map<string, number>;
  findingsBySubject: Map<string, StoredFinding[]>;
  /** Responses that depend on the view only, computed on first use. */
  memo: { summary?: unknown; blast?: BlastGraphs };
}

export class ViewCache {
  private current?: CachedView;
  private building?: Promise<CachedView>;
  private checkedAt = 0;
  private readonly db: Db;
  readonly model?: SiteModel;
  readonly proposed?: { model: SiteModel; label: string };
  readonly ttlMs: number;

  constructor(db: Db, opts: { model?: SiteModel; proposed?: { model: SiteModel; label: string }; ttlMs?: number }) {
    this.db = db;
    this.model = opts.model;
    this.proposed = opts.proposed;
    this.ttlMs = opts.ttlMs ?? 10_000;
  }

  private async fingerprint(): Promise<string> {
    const a = await this.db.get<{ n: number; t: number | null }>('SELECT COUNT(*) AS n, MAX(last_seen) AS t FROM flow_edges');
    const b = await this.db.get<{ n: number; t: number | null }>('SELECT COUNT(*) AS n, MAX(last_seen) AS t FROM findings');
    const c = await this.db.get<{ n: number }>('SELECT MAX(id) AS n FROM events');
    const d = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM findings WHERE status <> 'open'");
    return [a?.n, a?.t, b?.n, b?.t, c?.n, d?.n].map((x) => String(x ?? 0)).join('/');
  }

  private async build(fp: string): Promise<CachedView> {
    const obs = await loadObservations(this.db);
    const view = await buildSiteView(this.db, { model: this.model, proposed: this.proposed, observations: obs });
    const findingsBySubject = new Map<string, StoredFinding[]>();
    for (const f of view.findings) {
      const l = findingsBySubject.get(f.subject);
      if (l) l.push(f);
      else findingsBySubject.set(f.subject, [f]);
    }
    return {
      view, summary: summarise(view), edges: obs.edges, builtAt: Date.now(), fingerprint: fp, maps: new Map(),
      edgeIdByKey: new Map(view.edges.map((e) => [e.key, e.id])), findingsBySubject, memo: {},
    };
  }

  /** The current view; rebuilt (once, shared by concurrent callers) when the store changed. */
  async get(force = false): Promise<CachedView> {
    const now = Date.now();
    if (this.current && !force && now - this.checkedAt < this.ttlMs) return this.current;
    if (this.building) return this.building;
    this.building = (async () => {
      const fp = await this.fingerprint();
      this.checkedAt = Date.now();
      if (this.current && !force && fp === this.current.fingerprint) return this.current;
      this.current = await this.build(fp);
      return this.current;
    })();
    try {
      return await this.building;
    } finally {
      this.building = undefined;
    }
  }

  /** The map SVG for a zone (or the whole site), memoised per view. */
  static map(c: CachedView, zone: string | undefined, maxNodes: number): string {
    const key = `${zone ?? ''}\u0000${maxNodes}`;
    let svg = c.maps.get(key);
    if (!svg) {
      svg = flowMapSvg(c.view, { zone, maxNodes, interactive: true });
      if (c.maps.size > 200) c.maps.clear();
      c.maps.set(key, svg);
    }
    return svg;
  }
}
