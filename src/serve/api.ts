/**
 * The dashboard's read API over a cached SiteView: filters and pages are
 * applied here, so responses stay small whatever the size of the site.
 */
import { complianceFor } from '../outputs/report/compliance.ts';
import { blastFor, blastGraphs } from '../outputs/report/site-view.ts';
import { ViewCache, type CachedView } from './view-cache.ts';

export type Query = URLSearchParams;

function page(q: Query): { offset: number; size: number } {
  const size = Math.min(500, Math.max(1, Number(q.get('size') ?? 100) || 100));
  const p = Math.max(0, Number(q.get('page') ?? 0) || 0);
  return { offset: p * size, size };
}

function paged<T>(items: T[], q: Query): { total: number; page: number; size: number; items: T[] } {
  const { offset, size } = page(q);
  return { total: items.length, page: offset / size, size, items: items.slice(offset, offset + size) };
}

export function summaryJson(c: CachedView): unknown {
  c.memo.summary ??= summaryOf(c);
  return c.memo.summary;
}

function summaryOf(c: CachedView): unknown {
  const v = c.view;
  const zones = [...new Set(v.nodes.map((n) => n.zone))].sort();
  const processes = [...new Set([...v.edges.map((e) => e.process), ...v.findings.map((f) => f.process ?? '')])].filter(Boolean).sort();
  const rules = [...new Set(v.findings.map((f) => f.rule))].sort();
  return {
    site: v.site, generatedAt: v.generatedAt, hasModel: v.hasModel, counts: v.counts, headline: c.summary.headline,
    bySeverity: c.summary.bySeverity, byProcess: c.summary.byProcess, byZone: c.summary.byZone,
    facets: { zones, processes, rules, severities: ['critical', 'high', 'medium', 'low', 'info'] },
    blastDefault: v.blast?.target, proposed: v.blast?.proposed,
  };
}

export function mapJson(c: CachedView, q: Query): unknown {
  const zone = q.get('zone') || undefined;
  const maxNodes = Math.min(400, Math.max(10, Number(q.get('max') ?? 150) || 150));
  return { zone: zone ?? null, svg: ViewCache.map(c, zone, maxNodes) };
}

/** One edge with its endpoints and the findings about it: what a click on the map shows. */
export function edgeJson(c: CachedView, id: number): unknown {
  const e = c.view.edges[id];
  if (!e) return undefined;
  const findings = (c.findingsBySubject.get(e.key) ?? []).map((f) => ({ ...f, compliance: complianceFor(f) }));
  return { edge: e, from: c.view.nodes[e.src], to: c.view.nodes[e.dst], findings };
}

export function zoneEdgesJson(c: CachedView, from: string, to: string, q: Query): unknown {
  const v = c.view;
  const list = v.edges.filter((e) => v.nodes[e.src].zone === from && v.nodes[e.dst].zone === to)
    .sort((a, b) => Number(b.verdict === 'violation') - Number(a.verdict === 'violation') || b.sessions - a.sessions)
    .map((e) => ({ id: e.id, from: v.nodes[e.src].name, to: v.nodes[e.dst].name, protocol: e.protocol, dport: e.dport, process: e.process, verdict: e.verdict, rules: e.rules }));
  return { from, to, ...paged(list, q) };
}

export function findingsJson(c: CachedView, q: Query): unknown {
  const sev = q.getAll('severity').filter(Boolean);
  const proc = q.get('process');
  const zone = q.get('zone');
  const rule = q.get('rule');
  const status = q.get('status');
  const text = (q.get('q') ?? '').toLowerCase();
  const list = c.view.findings.filter((f) => (!sev.length || sev.includes(f.severity)) && (!proc || f.process === proc) && (!zone || f.zone === zone)
    && (!rule || f.rule === rule) && (!status || f.status === status) && (!text || f.title.toLowerCase().includes(text) || f.subject.toLowerCase().includes(text)));
  const { offset, size } = page(q);
  const items = list.slice(offset, offset + size).map((f) => ({ ...f, compliance: complianceFor(f), edge: c.edgeIdByKey.get(f.subject) }));
  return { total: list.length, page: offset / size, size, items };
}

export function assetsJson(c: CachedView, q: Query): unknown {
  const text = (q.get('q') ?? '').toLowerCase();
  const zone = q.get('zone');
  const list = c.view.assets.filter((a) => (!zone || a.zone === zone)
    && (!text || a.name.toLowerCase().includes(text) || a.addresses.some((x) => x.includes(text)) || a.aeTitles.some((x) => x.toLowerCase().includes(text))));
  return paged(list, q);
}

export function timelineJson(c: CachedView, q: Query): unknown {
  return paged(c.view.timeline, q);
}

export function blastJson(cache: ViewCache, c: CachedView, target: string): unknown {
  if (!cache.model) return { error: 'the dashboard was started without --model: no blast radius' };
  c.memo.blast ??= blastGraphs(cache.model, c.edges, cache.proposed, c.builtAt);
  const b = blastFor(c.memo.blast, target);
  if (!b) return { error: `'${target}' is not an asset, zone, partner or address of the model` };
  return b;
}
