/**
 * The architecture as a test: no import cycles anywhere in src/, and lower
 * layers never import higher ones (sources → decoders → analyzers →
 * observations → model & graph → analyses → outputs).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/corpus.ts';

const SRC = join(REPO, 'src');

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Runtime imports only: `import type` and `export type` vanish at run time. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) out.push(resolve(dirname(file), m[1]));
  // Lazy imports (kept off start-up paths) are dependencies all the same.
  for (const m of text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(resolve(dirname(file), m[1]));
  return out;
}

const graph = new Map<string, string[]>();
for (const f of files(SRC)) graph.set(f, imports(f).filter((t) => t.startsWith(SRC)));

function cycles(): string[][] {
  // Tarjan's strongly connected components; any component of 2+ files is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(relative(REPO, w)); } while (w !== v);
      if (comp.length > 1) found.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** Folders that must not import from the ones listed. */
const FORBIDDEN: Record<string, string[]> = {
  'src/core': ['src/'],
  'src/store': ['src/sources', 'src/decoders', 'src/analyzers', 'src/observations', 'src/model', 'src/graph', 'src/analyses', 'src/checks', 'src/feeds', 'src/outputs', 'src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/model': ['src/sources', 'src/decoders', 'src/analyzers', 'src/observations', 'src/graph', 'src/analyses', 'src/outputs', 'src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/sources': ['src/analyzers', 'src/model', 'src/graph', 'src/analyses', 'src/checks', 'src/outputs', 'src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/decoders': ['src/model', 'src/graph', 'src/analyses', 'src/checks', 'src/outputs', 'src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/analyzers': ['src/decoders/pipeline', 'src/model', 'src/graph', 'src/analyses', 'src/checks', 'src/outputs', 'src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/analyses': ['src/monitor', 'src/serve', 'src/cli', 'src/demo'],
  'src/outputs': ['src/monitor', 'src/serve', 'src/cli', 'src/demo'],
};

describe('architecture', () => {
  it('has no import cycles in src/', () => {
    assert.deepEqual(cycles(), []);
  });

  it('lower layers never import higher ones', () => {
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      const from = relative(REPO, file);
      for (const [layer, banned] of Object.entries(FORBIDDEN)) {
        if (!from.startsWith(layer + '/')) continue;
        for (const t of targets) {
          const to = relative(REPO, t);
          if (to.startsWith(layer + '/')) continue;
          if (banned.some((b) => to.startsWith(b))) bad.push(`${from} -> ${to}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });
});
