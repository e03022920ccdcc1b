import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CsrBuilder, Traversal, stronglyConnected, type Csr } from '../../src/graph/csr.ts';
import { compilePolicy } from '../../src/graph/policy.ts';
import { buildSiteGraph, nodeName, resolveNodes, type SiteGraph } from '../../src/graph/site-graph.ts';
import { attackPaths, blastFrom, rankFootholds } from '../../src/analyses/blast/blast.ts';
import { proposeSegmentation } from '../../src/analyses/segment/propose.ts';
import { openModel } from '../../src/model/open.ts';
import type { SiteModel } from '../../src/model/types.ts';
import { REPO } from '../helpers/corpus.ts';
import { hospitalEdges } from './hospital.ts';

const NOW = Date.UTC(2026, 10, 28);

/** A seeded generator: tests are deterministic. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomGraph(n: number, m: number, seed: number): { g: Csr; edges: Array<[number, number, 0 | 1]> } {
  const r = rng(seed);
  const b = new CsrBuilder(n);
  const edges: Array<[number, number, 0 | 1]> = [];
  for (let i = 0; i < m; i++) {
    const e: [number, number, 0 | 1] = [Math.floor(r() * n), Math.floor(r() * n), r() < 0.3 ? 0 : 1];
    edges.push(e);
    b.add(...e);
  }
  return { g: b.build(), edges };
}

test('0-1 BFS distances equal a plain Bellman-Ford on random graphs', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const n = 60;
    const { g, edges } = randomGraph(n, 150, seed);
    const t = new Traversal(g);
    t.run([0]);
    const d = new Array<number>(n).fill(Infinity);
    d[0] = 0;
    for (let k = 0; k < n; k++) for (const [a, b, w] of edges) if (d[a] + w < d[b]) d[b] = d[a] + w;
    for (let v = 0; v < n; v++) assert.equal(t.dist[v], d[v] === Infinity ? -1 : d[v], `seed ${seed} node ${v}`);
    // Paths are real: consecutive nodes are edges, and they start at the source.
    for (let v = 0; v < n; v++) {
      const p = t.path(v);
      if (!p.length) continue;
      assert.equal(p[0], 0);
      for (let i = 1; i < p.length; i++) assert.ok(edges.some(([a, b]) => a === p[i - 1] && b === p[i]));
    }
  }
});

test('strongly connected components agree with mutual reachability', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const n = 40;
    const { g } = randomGraph(n, 70, seed * 7);
    const { comp } = stronglyConnected(g);
    const reach: boolean[][] = [];
    const t = new Traversal(g);
    for (let v = 0; v < n; v++) { t.run([v]); reach.push(Array.from(t.dist, (x) => x >= 0)); }
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) assert.equal(comp[a] === comp[b], reach[a][b] && reach[b][a]);
    // Reverse topological numbering: edges never go to a higher component.
    for (let v = 0; v < n; v++) for (let k = g.offsets[v]; k < g.offsets[v + 1]; k++) assert.ok(comp[g.targets[k]] <= comp[v]);
  }
});

function bruteScore(sg: SiteGraph, v: number): number {
  const t = new Traversal(sg.graph);
  t.run([v]);
  let s = 0;
  for (let a = 0; a < sg.zoneBase; a++) if (a !== v && t.dist[a] >= 0 && (sg.phi[a] || sg.weight[a] >= 3)) s += sg.weight[a];
  return s;
}

test('the site-wide ranking equals one traversal per foothold', () => {
  const { model } = openModel(join(REPO, 'examples', 'hospital'));
  const sg = buildSiteGraph(compilePolicy(model), hospitalEdges(), { model: true, observed: true, now: NOW });
  const ranking = rankFootholds(sg, 1000);
  assert.ok(ranking.length > 10);
  const byName = new Map<string, number>();
  for (let v = 0; v < sg.conduitBase; v++) byName.set(nodeName(sg, v), v);
  for (const r of ranking) assert.equal(r.score, bruteScore(sg, byName.get(r.node)!), r.node);
  for (let i = 1; i < ranking.length; i++) assert.ok(ranking[i - 1].score >= ranking[i].score);
});

test('the kiosk: reaches PHI stores today through observed flows, none after the proposal', () => {
  const { model } = openModel(join(REPO, 'examples', 'hospital'));
  const today = buildSiteGraph(compilePolicy(model), hospitalEdges(), { model: true, observed: true, now: NOW });
  const b = blastFrom(today, resolveNodes(today, 'kiosk-lobby-01')!);
  assert.ok(b.phiStores >= 2, `phi stores today: ${b.phiStores}`);
  assert.deepEqual(b.paths[0].path, ['kiosk-lobby-01', 'pacs-main']);
  const p = proposeSegmentation(hospitalEdges(), model);
  const proposed: SiteModel = {
    ...model,
    zones: p.zones.map((z) => ({ ...z, cidrs: z.cidrs })),
    assets: model.assets.map((a) => ({ ...a, zone: p.assets.find((x) => x.name === a.name)?.zone })).filter((a) => a.zone !== undefined),
    conduits: p.conduits.map((c) => ({ ...c, tlsRequired: c.tlsRequired, phiAllowed: c.phiAllowed })),
  };
  const after = buildSiteGraph(compilePolicy(proposed), [], { model: true, observed: false, now: NOW });
  const a = blastFrom(after, resolveNodes(after, 'kiosk-lobby-01')!);
  assert.equal(a.phiStores, 0);
  assert.ok(a.phiAssets < b.phiAssets);
  // A zone stands for its assets and its unlisted hosts; the internet reaches the portal's PHI.
  const paths = attackPaths(today, 50);
  assert.ok(paths.some((x) => x.from === 'internet' || x.from === 'patient-portal'));
  assert.ok(paths.every((x) => x.hops >= 1));
});
