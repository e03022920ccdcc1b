/**
 * Blast radius: what an attacker who owns a node can reach, transitively,
 * weighted by PHI and criticality; the site-wide ranking of footholds; and
 * the shortest attack paths from internet-/user-facing footholds to PHI
 * stores.
 */
import { Traversal, stronglyConnected } from '../../graph/csr.ts';
import { nodeKind, nodeName, type SiteGraph } from '../../graph/site-graph.ts';

export interface BlastResult {
  from: string[];
  reachedAssets: number;
  phiAssets: number;
  phiStores: number;
  score: number;
  /** Reached PHI assets by name, nearest first (capped). */
  phiReached: Array<{ asset: string; hops: number }>;
  /** Shortest paths to the reached PHI stores, nearest first. */
  paths: AttackPath[];
}

export interface AttackPath {
  from: string;
  to: string;
  hops: number;
  /** Node names; conduits appear as "[conduit-id]", a hop without one is an observed flow. */
  path: string[];
}

function renderPath(sg: SiteGraph, nodes: number[]): string[] {
  return nodes.map((v) => (nodeKind(sg, v) === 'conduit' ? `[${nodeName(sg, v).slice('conduit '.length)}]` : nodeName(sg, v)));
}

export function blastFrom(sg: SiteGraph, sources: number[], trav = new Traversal(sg.graph), maxList = 50): BlastResult {
  trav.run(sources);
  const src = new Set(sources);
  let reached = 0, phi = 0, stores = 0, score = 0;
  const phiList: Array<{ v: number; d: number }> = [];
  for (let v = 0; v < sg.zoneBase; v++) {
    const d = trav.dist[v];
    if (d < 0 || src.has(v)) continue;
    reached++;
    score += sg.weight[v];
    if (sg.phi[v]) { phi++; phiList.push({ v, d }); }
    if (sg.phiStore[v]) stores++;
  }
  phiList.sort((a, b) => a.d - b.d || a.v - b.v);
  const paths: AttackPath[] = [];
  for (const { v, d } of phiList) {
    if (!sg.phiStore[v]) continue;
    const nodes = trav.path(v);
    paths.push({ from: nodeName(sg, nodes[0]), to: nodeName(sg, v), hops: d, path: renderPath(sg, nodes) });
    if (paths.length >= 10) break;
  }
  return {
    from: sources.map((v) => nodeName(sg, v)), reachedAssets: reached, phiAssets: phi, phiStores: stores, score,
    phiReached: phiList.slice(0, maxList).map(({ v, d }) => ({ asset: nodeName(sg, v), hops: d })), paths,
  };
}

export interface RankEntry {
  node: string;
  kind: 'asset' | 'zone' | 'partner';
  exposed: boolean;
  /** Weighted score of reachable PHI and high/critical assets. */
  score: number;
  /** Reachable PHI assets. */
  phiAssets: number;
}

/**
 * Scores every foothold at once on the condensation (strongly connected
 * components in reverse topological order), OR-ing bitsets of the target
 * assets (PHI or high/critical) from successors: one pass over the edges
 * instead of one traversal per node. Targets are ordered by weight, so a
 * score is a few popcounts over contiguous bit ranges.
 */
export function rankFootholds(sg: SiteGraph, limit = 20): RankEntry[] {
  const g = sg.graph;
  const n = g.n;
  // Targets sorted by weight, descending; classes are contiguous bit ranges.
  const targetsByWeight: number[][] = [];
  for (let v = 0; v < sg.zoneBase; v++) {
    const w = sg.weight[v];
    if (!sg.phi[v] && w < 3) continue;
    (targetsByWeight[w] ??= []).push(v);
  }
  const bitOf = new Int32Array(n).fill(-1);
  const classes: Array<{ weight: number; from: number; to: number }> = [];
  let T = 0;
  for (let w = targetsByWeight.length - 1; w >= 0; w--) {
    const list = targetsByWeight[w];
    if (!list) continue;
    classes.push({ weight: w, from: T, to: T + list.length });
    for (const v of list) bitOf[v] = T++;
  }
  const phiBits = new Uint32Array(Math.max(1, Math.ceil(T / 32)));
  for (let v = 0; v < sg.zoneBase; v++) if (bitOf[v] >= 0 && sg.phi[v]) phiBits[bitOf[v] >>> 5] |= 1 << (bitOf[v] & 31);
  const words = Math.max(1, Math.ceil(T / 32));
  const { comp, count } = stronglyConnected(g);
  // Members of each component, by counting sort.
  const start = new Int32Array(count + 1);
  for (let v = 0; v < n; v++) start[comp[v] + 1]++;
  for (let c = 0; c < count; c++) start[c + 1] += start[c];
  const members = new Int32Array(n);
  const fill = start.slice(0, count);
  for (let v = 0; v < n; v++) members[fill[comp[v]]++] = v;
  const bits = new Uint32Array(count * words);
  const seen = new Int32Array(count).fill(-1);
  const { offsets, targets } = g;
  for (let c = 0; c < count; c++) {
    const base = c * words;
    for (let i = start[c]; i < start[c + 1]; i++) {
      const v = members[i];
      const b = bitOf[v];
      if (b >= 0) bits[base + (b >>> 5)] |= 1 << (b & 31);
      for (let k = offsets[v]; k < offsets[v + 1]; k++) {
        const tc = comp[targets[k]];
        if (tc === c || seen[tc] === c) continue;
        seen[tc] = c;
        const tb = tc * words;
        for (let w = 0; w < words; w++) bits[base + w] |= bits[tb + w];
      }
    }
  }
  const compScore = new Float64Array(count);
  const compPhi = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const base = c * words;
    let s = 0;
    for (const cl of classes) s += cl.weight * popRange(bits, base, cl.from, cl.to);
    compScore[c] = s;
    let p = 0;
    for (let w = 0; w < words; w++) p += popcount(bits[base + w] & phiBits[w]);
    compPhi[c] = p;
  }
  const entries: RankEntry[] = [];
  for (let v = 0; v < sg.conduitBase; v++) {
    const c = comp[v];
    // A node's own weight counts only when it can come back to itself (a cycle): never, for ranking.
    const self = bitOf[v] >= 0 ? sg.weight[v] : 0;
    const selfPhi = bitOf[v] >= 0 && sg.phi[v] ? 1 : 0;
    const score = compScore[c] - self;
    if (score <= 0) continue;
    const kind = nodeKind(sg, v) as RankEntry['kind'];
    entries.push({ node: nodeName(sg, v), kind, exposed: sg.exposed[v] === 1, score, phiAssets: compPhi[c] - selfPhi });
  }
  entries.sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : 1));
  return entries.slice(0, limit);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function popRange(bits: Uint32Array, base: number, from: number, to: number): number {
  let n = 0;
  let b = from;
  while (b < to && (b & 31) !== 0) { if (bits[base + (b >>> 5)] & (1 << (b & 31))) n++; b++; }
  while (b + 32 <= to) { n += popcount(bits[base + (b >>> 5)]); b += 32; }
  while (b < to) { if (bits[base + (b >>> 5)] & (1 << (b & 31))) n++; b++; }
  return n;
}

/** Shortest paths from any exposed foothold to every reachable PHI store, shortest first. */
export function attackPaths(sg: SiteGraph, limit = 20): AttackPath[] {
  const sources: number[] = [];
  for (let v = 0; v < sg.conduitBase; v++) if (sg.exposed[v] && !sg.phiStore[v]) sources.push(v);
  const trav = new Traversal(sg.graph);
  trav.run(sources);
  const out: AttackPath[] = [];
  for (let v = 0; v < sg.zoneBase; v++) {
    if (!sg.phiStore[v] || trav.dist[v] <= 0) continue;
    const nodes = trav.path(v);
    out.push({ from: nodeName(sg, nodes[0]), to: nodeName(sg, v), hops: trav.dist[v], path: renderPath(sg, nodes) });
  }
  return out.sort((a, b) => a.hops - b.hops || (a.to < b.to ? -1 : 1)).slice(0, limit);
}
