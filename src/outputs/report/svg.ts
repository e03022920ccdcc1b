/**
 * SVG for the report and the dashboard: the data-flow map (zones as boxes,
 * processes as colours, the verdict on each edge) and bar charts. Plain
 * strings, no script, no external references, so that they can be inlined
 * into a self-contained HTML file and served under a strict CSP.
 */
import type { SiteView, ViewEdge, ViewNode } from './site-view.ts';

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const PROCESS_COLOURS: Record<string, string> = {
  radiology: '#1f77b4', 'patient-monitoring': '#2ca02c', 'medication-management': '#9467bd', surgery: '#8c564b',
  diagnostics: '#17becf', emr: '#ff7f0e', billing: '#bcbd22', infrastructure: '#7f7f7f', unclassified: '#b0b0b0',
};
const EXTRA = ['#e377c2', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173'];

export function processColour(p: string | undefined): string {
  const k = p ?? 'unclassified';
  if (PROCESS_COLOURS[k]) return PROCESS_COLOURS[k];
  let h = 0;
  for (let i = 0; i < k.length; i++) h = (h * 31 + k.charCodeAt(i)) >>> 0;
  return EXTRA[h % EXTRA.length];
}

export const VERDICT_COLOURS: Record<string, string> = { violation: '#d62728', allowed: '#2ca02c', 'intra-zone': '#8a8a8a', unchecked: '#8a8a8a' };
export const SEVERITY_COLOURS: Record<string, string> = { critical: '#7b0000', high: '#d62728', medium: '#ff7f0e', low: '#bcbd22', info: '#8a8a8a' };

export interface MapOptions {
  /** Above this many hosts the map shows zones as nodes, with aggregated edges. */
  maxNodes?: number;
  /** Only hosts of this zone and their peers. */
  zone?: string;
  /** Add data-* attributes (for the dashboard's click handlers). */
  interactive?: boolean;
}

interface Box { x: number; y: number; w: number; h: number }

/** A map of hosts (or zones, when there are too many hosts) as SVG. */
export function flowMapSvg(view: Pick<SiteView, 'nodes' | 'edges'>, opts: MapOptions = {}): string {
  const maxNodes = opts.maxNodes ?? 150;
  let nodes = view.nodes;
  let edges = view.edges;
  if (opts.zone) {
    const inZone = new Set(nodes.filter((n) => n.zone === opts.zone).map((n) => n.id));
    edges = edges.filter((e) => inZone.has(e.src) || inZone.has(e.dst));
    const keep = new Set(edges.flatMap((e) => [e.src, e.dst]));
    for (const id of inZone) keep.add(id);
    nodes = nodes.filter((n) => keep.has(n.id));
    // A zone's own hosts one by one; its peers in other zones folded into one node per zone.
    if (nodes.length > maxNodes && inZone.size <= maxNodes) return hostMapSvg(...foldPeers(nodes, edges, inZone), opts);
  }
  if (nodes.length > maxNodes) return zoneMapSvg(nodes, edges, opts);
  return hostMapSvg(nodes, edges, opts);
}

/** Peers outside the zone become one node per zone; edges to them merge per (host, zone, service, verdict). */
function foldPeers(nodes: ViewNode[], edges: ViewEdge[], inZone: Set<number>): [ViewNode[], ViewEdge[]] {
  const out = nodes.filter((n) => inZone.has(n.id));
  const zoneNode = new Map<string, ViewNode>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let next = -1;
  const peer = (id: number): number => {
    if (inZone.has(id)) return id;
    const z = byId.get(id)!.zone;
    let n = zoneNode.get(z);
    if (!n) {
      n = { id: next--, address: '', name: `${z} (hosts)`, zone: z, phi: false };
      zoneNode.set(z, n);
      out.push(n);
    }
    return n.id;
  };
  const merged = new Map<string, ViewEdge>();
  for (const e of edges) {
    const src = peer(e.src);
    const dst = peer(e.dst);
    const k = `${src}>${dst}/${e.transport}/${e.dport}/${e.protocol}/${e.verdict}`;
    const m = merged.get(k);
    if (m) {
      m.sessions += e.sessions;
      m.bytes += e.bytes;
      m.rules = [...new Set([...m.rules, ...e.rules])];
    } else {
      merged.set(k, { ...e, src, dst, rules: [...e.rules] });
    }
  }
  return [out, [...merged.values()]];
}

function groupByZone(nodes: ViewNode[]): Array<[string, ViewNode[]]> {
  const g = new Map<string, ViewNode[]>();
  for (const n of nodes) {
    const l = g.get(n.zone);
    if (l) l.push(n);
    else g.set(n.zone, [n]);
  }
  for (const l of g.values()) l.sort((a, b) => a.name.localeCompare(b.name));
  return [...g].sort((a, b) => a[0].localeCompare(b[0]));
}

const NODE_H = 22;
const ZONE_W = 230;
const GAP_X = 120;
const GAP_Y = 40;

function hostMapSvg(nodes: ViewNode[], edges: ViewEdge[], opts: MapOptions): string {
  const zones = groupByZone(nodes);
  const cols = Math.max(1, Math.ceil(Math.sqrt(zones.length * 1.5)));
  const pos = new Map<number, Box>();
  const zoneBoxes: Array<{ name: string; box: Box }> = [];
  const colY = new Array<number>(cols).fill(30);
  zones.forEach(([name, list], i) => {
    const c = i % cols;
    const x = 20 + c * (ZONE_W + GAP_X);
    const y = colY[c];
    const h = 30 + list.length * (NODE_H + 6) + 6;
    zoneBoxes.push({ name, box: { x, y, w: ZONE_W, h } });
    list.forEach((n, k) => pos.set(n.id, { x: x + 10, y: y + 28 + k * (NODE_H + 6), w: ZONE_W - 20, h: NODE_H }));
    colY[c] = y + h + GAP_Y;
  });
  const width = 40 + cols * ZONE_W + (cols - 1) * GAP_X;
  const height = Math.max(...colY) + 60;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="flowmap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Data-flow map">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
  ];
  for (const z of zoneBoxes) {
    out.push(`<g class="zone"${opts.interactive ? ` data-zone="${esc(z.name)}"` : ''}><rect x="${z.box.x}" y="${z.box.y}" width="${z.box.w}" height="${z.box.h}" rx="8" fill="#f4f6f8" stroke="#9aa5b1"/>`,
      `<text x="${z.box.x + 10}" y="${z.box.y + 18}" font-weight="bold" font-size="13">${esc(z.name)}</text></g>`);
  }
  // Edges under the nodes; violations last so they are on top.
  const ordered = [...edges].sort((a, b) => Number(a.verdict === 'violation') - Number(b.verdict === 'violation'));
  for (const e of ordered) {
    const a = pos.get(e.src);
    const b = pos.get(e.dst);
    if (!a || !b) continue;
    const leftToRight = a.x <= b.x;
    const x1 = leftToRight ? a.x + a.w : a.x;
    const x2 = a.x === b.x ? b.x + b.w : leftToRight ? b.x : b.x + b.w;
    const y1 = a.y + a.h / 2;
    const y2 = b.y + b.h / 2;
    const bend = a.x === b.x ? 60 : 0;
    const cx = (x1 + x2) / 2 + bend;
    const cy = (y1 + y2) / 2 - Math.min(40, Math.abs(x2 - x1) / 6);
    const violation = e.verdict === 'violation';
    const colour = processColour(e.process);
    const title = `${e.verdict}: ${e.handover ?? e.key} (${e.protocol}/${e.dport}${e.phi ? ', PHI' : ''}${e.encrypted ? ', TLS' : ''})${e.rules.length ? ` [${e.rules.join(', ')}]` : ''}${e.conduit ? ` via ${e.conduit}` : ''}`;
    out.push(`<g class="edge ${esc(e.verdict)}"${opts.interactive ? ` data-edge="${e.id}" tabindex="0"` : ''}><title>${esc(title)}</title>`,
      `<path d="M${x1},${y1} Q${cx},${cy} ${x2},${y2}" fill="none" stroke="${colour}" stroke-width="${violation ? 3 : 1.6}"${violation ? ' stroke-dasharray="6 3"' : ''} marker-end="url(#arrow)"/>`);
    if (violation) out.push(`<circle cx="${(x1 + 2 * cx + x2) / 4}" cy="${(y1 + 2 * cy + y2) / 4}" r="6" fill="${VERDICT_COLOURS.violation}"/><text x="${(x1 + 2 * cx + x2) / 4}" y="${(y1 + 2 * cy + y2) / 4 + 4}" font-size="10" fill="#fff" text-anchor="middle">!</text>`);
    // A wide transparent stroke makes thin edges clickable.
    if (opts.interactive) out.push(`<path d="M${x1},${y1} Q${cx},${cy} ${x2},${y2}" fill="none" stroke="transparent" stroke-width="10"/>`);
    out.push('</g>');
  }
  for (const n of nodes) {
    const b = pos.get(n.id)!;
    const fill = processColour(n.process);
    out.push(`<g class="node"${opts.interactive ? ` data-node="${n.id}"` : ''}><title>${esc(`${n.name} ${n.address}${n.kind ? ` (${n.kind})` : ''}${n.phi ? ' · PHI' : ''}`)}</title>`,
      `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4" fill="#fff" stroke="${fill}" stroke-width="2"/>`,
      `<rect x="${b.x}" y="${b.y}" width="6" height="${b.h}" fill="${fill}"/>`,
      `<text x="${b.x + 12}" y="${b.y + 15}" font-size="11">${esc(trim(n.name === n.address || !n.address ? n.name : `${n.name} ${n.address}`, 34))}${n.phi ? ' ◆' : ''}</text></g>`);
  }
  out.push(legend(edges, 20, height - 30));
  out.push('</svg>');
  return out.join('\n');
}

function trim(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function legend(edges: ViewEdge[], x: number, y: number): string {
  const procs = [...new Set(edges.map((e) => e.process))].sort().slice(0, 10);
  const parts = [`<g class="legend" font-size="11"><text x="${x}" y="${y}">processes:</text>`];
  let cx = x + 70;
  for (const p of procs) {
    parts.push(`<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${processColour(p)}"/><text x="${cx + 14}" y="${y}">${esc(p)}</text>`);
    cx += 24 + p.length * 6.5;
  }
  parts.push(`<path d="M${cx + 10},${y - 4} h30" stroke="#d62728" stroke-width="3" stroke-dasharray="6 3"/><text x="${cx + 46}" y="${y}">violation</text>`);
  parts.push(`<path d="M${cx + 116},${y - 4} h30" stroke="#555" stroke-width="1.6"/><text x="${cx + 152}" y="${y}">allowed / intra-zone</text>`);
  parts.push(`<text x="${cx + 290}" y="${y}">◆ holds PHI</text></g>`);
  return parts.join('');
}

/** Zones as nodes, edges aggregated per zone pair with counts: stays readable (and small) on 50k edges. */
function zoneMapSvg(nodes: ViewNode[], edges: ViewEdge[], opts: MapOptions): string {
  const zoneOf = new Map(nodes.map((n) => [n.id, n.zone]));
  const hosts = new Map<string, number>();
  for (const n of nodes) hosts.set(n.zone, (hosts.get(n.zone) ?? 0) + 1);
  const agg = new Map<string, { from: string; to: string; flows: number; violations: number; phi: number; process: Map<string, number> }>();
  for (const e of edges) {
    const from = zoneOf.get(e.src);
    const to = zoneOf.get(e.dst);
    if (from === undefined || to === undefined) continue;
    const k = `${from}\u0000${to}`;
    let a = agg.get(k);
    if (!a) agg.set(k, (a = { from, to, flows: 0, violations: 0, phi: 0, process: new Map() }));
    a.flows++;
    if (e.verdict === 'violation') a.violations++;
    if (e.phi) a.phi++;
    a.process.set(e.process, (a.process.get(e.process) ?? 0) + 1);
  }
  const zones = [...hosts.keys()].sort();
  const n = zones.length;
  const r = Math.max(160, n * 40);
  const cx = r + 140;
  const cy = r + 60;
  const at = new Map(zones.map((z, i) => [z, { x: cx + r * Math.cos((2 * Math.PI * i) / n - Math.PI / 2), y: cy + r * Math.sin((2 * Math.PI * i) / n - Math.PI / 2) }]));
  const width = 2 * cx;
  const height = 2 * cy + 40;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" class="flowmap zones" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Data-flow map by zone">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'];
  for (const a of [...agg.values()].sort((x, y) => x.violations - y.violations)) {
    const p = at.get(a.from)!;
    const q = at.get(a.to)!;
    const top = [...a.process].sort((x, y) => y[1] - x[1])[0][0];
    const w = Math.min(10, 1 + Math.log2(a.flows));
    const title = `${a.from} -> ${a.to}: ${a.flows} flow(s), ${a.violations} violating, ${a.phi} carrying PHI; mostly ${top}`;
    const d = a.from === a.to ? `M${p.x - 20},${p.y - 20} C${p.x - 80},${p.y - 90} ${p.x + 80},${p.y - 90} ${p.x + 20},${p.y - 20}` : `M${p.x},${p.y} Q${(p.x + q.x) / 2 + (q.y - p.y) / 8},${(p.y + q.y) / 2 - (q.x - p.x) / 8} ${q.x},${q.y}`;
    out.push(`<g class="edge ${a.violations ? 'violation' : 'allowed'}"${opts.interactive ? ` data-zone-edge="${esc(a.from)}|${esc(a.to)}"` : ''}><title>${esc(title)}</title><path d="${d}" fill="none" stroke="${a.violations ? VERDICT_COLOURS.violation : processColour(top)}" stroke-width="${w}"${a.violations ? ' stroke-dasharray="8 4"' : ''} marker-end="url(#arrow)" opacity="0.8"/></g>`);
  }
  for (const z of zones) {
    const p = at.get(z)!;
    out.push(`<g class="zone"${opts.interactive ? ` data-zone="${esc(z)}" tabindex="0"` : ''}><title>${esc(`${z}: ${hosts.get(z)} host(s)`)}</title><circle cx="${p.x}" cy="${p.y}" r="28" fill="#f4f6f8" stroke="#52606d" stroke-width="2"/>`,
      `<text x="${p.x}" y="${p.y + 4}" font-size="11" text-anchor="middle">${hosts.get(z)}</text><text x="${p.x}" y="${p.y + 44}" font-size="12" font-weight="bold" text-anchor="middle">${esc(trim(z, 28))}</text></g>`);
  }
  out.push(`<text x="20" y="${height - 14}" font-size="11">${nodes.length} hosts in ${n} zones; ${edges.length} flows aggregated by zone pair (red: at least one violation). Pick a zone for its hosts.</text></svg>`);
  return out.join('\n');
}

export interface Bar {
  label: string;
  value: number;
  colour?: string;
}

/** A horizontal bar chart. */
export function barChartSvg(title: string, bars: Bar[], width = 420): string {
  const rowH = 20;
  const labelW = 150;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const h = 30 + bars.length * rowH + 10;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="${esc(title)}">`,
    `<text x="0" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const y = 28 + i * rowH;
    const w = Math.round(((width - labelW - 40) * b.value) / max);
    out.push(`<text x="${labelW - 6}" y="${y + 13}" font-size="11" text-anchor="end">${esc(trim(b.label, 24))}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${Math.max(w, 1)}" height="${rowH - 6}" fill="${b.colour ?? '#4a6fa5'}"/>`,
      `<text x="${labelW + w + 4}" y="${y + 13}" font-size="11">${b.value}</text>`);
  });
  if (!bars.length) out.push('<text x="0" y="44" font-size="11">none</text>');
  out.push('</svg>');
  return out.join('');
}
