/**
 * A directed graph in compressed sparse row form: node ids are 0..n-1,
 * the out-edges of v are targets[offsets[v] .. offsets[v+1]), each with a
 * weight of 0 or 1 (0 for hops that are not a step an attacker takes, such
 * as asset → conduit). Typed arrays only, so a traversal of a million edges
 * touches no objects.
 */

export class Csr {
  readonly n: number;
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
  readonly weights: Uint8Array;

  constructor(n: number, offsets: Int32Array, targets: Int32Array, weights: Uint8Array) {
    this.n = n;
    this.offsets = offsets;
    this.targets = targets;
    this.weights = weights;
  }

  get edgeCount(): number {
    return this.targets.length;
  }
}

/** Collects edges, then packs them (counting sort by source); duplicate edges are kept only once. */
export class CsrBuilder {
  private src: Int32Array;
  private dst: Int32Array;
  private w: Uint8Array;
  private m = 0;
  readonly n: number;

  constructor(n: number, capacity = 1024) {
    this.n = n;
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.w = new Uint8Array(capacity);
  }

  add(a: number, b: number, weight: 0 | 1 = 1): void {
    if (this.m === this.src.length) {
      const grow = <T extends Int32Array | Uint8Array>(x: T): T => {
        const y = new (x.constructor as new (n: number) => T)(x.length * 2);
        y.set(x);
        return y;
      };
      this.src = grow(this.src);
      this.dst = grow(this.dst);
      this.w = grow(this.w);
    }
    this.src[this.m] = a;
    this.dst[this.m] = b;
    this.w[this.m] = weight;
    this.m++;
  }

  build(): Csr {
    const n = this.n;
    const counts = new Int32Array(n + 1);
    for (let i = 0; i < this.m; i++) counts[this.src[i] + 1]++;
    for (let v = 0; v < n; v++) counts[v + 1] += counts[v];
    const fill = counts.slice(0, n);
    const targets = new Int32Array(this.m);
    const weights = new Uint8Array(this.m);
    for (let i = 0; i < this.m; i++) {
      const at = fill[this.src[i]]++;
      targets[at] = this.dst[i];
      weights[at] = this.w[i];
    }
    // Drop duplicate targets per node (sorted runs), keeping the lighter weight.
    const offsets = new Int32Array(n + 1);
    let out = 0;
    const mark = new Int32Array(n).fill(-1);
    const where = new Int32Array(n);
    for (let v = 0; v < n; v++) {
      offsets[v] = out;
      for (let k = counts[v]; k < counts[v + 1]; k++) {
        const t = targets[k];
        if (mark[t] === v) {
          if (weights[k] < weights[where[t]]) weights[where[t]] = weights[k];
          continue;
        }
        mark[t] = v;
        where[t] = out;
        targets[out] = t;
        weights[out] = weights[k];
        out++;
      }
    }
    offsets[n] = out;
    return new Csr(n, offsets, targets.slice(0, out), weights.slice(0, out));
  }
}

/** Reusable buffers for repeated traversals of one graph. */
export class Traversal {
  readonly g: Csr;
  /** Distance in weighted hops; -1 unreached. */
  readonly dist: Int32Array;
  readonly parent: Int32Array;
  private readonly deque: Int32Array;

  constructor(g: Csr) {
    this.g = g;
    this.dist = new Int32Array(g.n);
    this.parent = new Int32Array(g.n);
    this.deque = new Int32Array(2 * g.n + 2);
  }

  /**
   * 0-1 BFS from the sources: shortest paths when edges weigh 0 or 1.
   * Returns how many nodes were reached (sources included).
   */
  run(sources: ArrayLike<number>, skip?: Uint8Array): number {
    const { offsets, targets, weights } = this.g;
    const dist = this.dist;
    const parent = this.parent;
    const dq = this.deque;
    dist.fill(-1);
    const cap = dq.length;
    let head = this.g.n + 1;
    let tail = head;
    let reached = 0;
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i];
      if (dist[s] === 0) continue;
      dist[s] = 0;
      parent[s] = -1;
      dq[tail++] = s;
      reached++;
    }
    while (head !== tail) {
      const v = dq[head];
      head = head + 1 === cap ? 0 : head + 1;
      const dv = dist[v];
      for (let k = offsets[v], end = offsets[v + 1]; k < end; k++) {
        const t = targets[k];
        if (skip !== undefined && skip[t] === 1) continue;
        const nd = dv + weights[k];
        const old = dist[t];
        if (old !== -1 && old <= nd) continue;
        if (old === -1) reached++;
        dist[t] = nd;
        parent[t] = v;
        if (weights[k] === 0) {
          head = head === 0 ? cap - 1 : head - 1;
          dq[head] = t;
        } else {
          dq[tail] = t;
          tail = tail + 1 === cap ? 0 : tail + 1;
        }
      }
    }
    return reached;
  }

  /** The node path from a source to t (after run), or [] when unreached. */
  path(t: number): number[] {
    if (this.dist[t] < 0) return [];
    const out: number[] = [];
    for (let v = t; v !== -1; v = this.parent[v]) out.push(v);
    return out.reverse();
  }
}

/**
 * Strongly connected components (iterative Tarjan). Component ids come out
 * in reverse topological order of the condensation: every edge goes from a
 * higher or equal id to a lower or equal one.
 */
export function stronglyConnected(g: Csr): { comp: Int32Array; count: number } {
  const n = g.n;
  const { offsets, targets } = g;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const callV = new Int32Array(n);
  const callK = new Int32Array(n);
  let sp = 0;
  let next = 0;
  let count = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    let depth = 0;
    callV[0] = root;
    callK[0] = offsets[root];
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callV[depth];
      const k = callK[depth];
      if (k < offsets[v + 1]) {
        callK[depth] = k + 1;
        const t = targets[k];
        if (index[t] === -1) {
          index[t] = low[t] = next++;
          stack[sp++] = t;
          onStack[t] = 1;
          depth++;
          callV[depth] = t;
          callK[depth] = offsets[t];
        } else if (onStack[t] === 1 && index[t] < low[v]) {
          low[v] = index[t];
        }
        continue;
      }
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack[--sp];
          onStack[w] = 0;
          comp[w] = count;
        } while (w !== v);
        count++;
      }
      depth--;
      if (depth >= 0) {
        const u = callV[depth];
        if (low[v] < low[u]) low[u] = low[v];
      }
    }
  }
  return { comp, count };
}
