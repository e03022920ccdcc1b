/**
 * The current evaluation window: flow records and Zeek connections folded
 * into edges as they arrive (the hot path: no allocation per record beyond
 * what the folder needs for a new edge), plus edges and hosts handed over
 * whole (pcap aggregation, sensor batches). `take` swaps in a fresh window.
 */
import { FlowFolder, createConnSample, foldRecord, type FlowRecord } from '../sources/netflow/index.ts';
import { foldConn, type ZeekConn } from '../sources/zeek/index.ts';
import { mergeEdgeInto, mergeHostInto } from '../observations/merge.ts';
import { edgeKey, type FlowEdge, type HostFacts } from '../observations/types.ts';

export interface WindowContents {
  edges: FlowEdge[];
  hosts: HostFacts[];
  records: number;
  /** edgeKey(edges[i]) when the window had it at hand (the folders keep their edges' keys). */
  keys?: string[];
}

export class EdgeWindow {
  readonly #netflow = new FlowFolder('netflow');
  readonly #zeek = new FlowFolder('zeek');
  // One sample per source: a NetFlow sample carries IPv4 numbers a Zeek one must not inherit.
  readonly #flowSample = createConnSample();
  readonly #connSample = createConnSample();
  #edges = new Map<string, FlowEdge>();
  #hosts = new Map<string, HostFacts>();
  #records = 0;

  /** One decoded NetFlow/IPFIX record (the decoder's reused object). */
  record(r: FlowRecord): void {
    this.#records++;
    if (r.family !== 0) foldRecord(this.#netflow, this.#flowSample, r);
  }

  conn(c: ZeekConn): void {
    this.#records++;
    foldConn(this.#zeek, this.#connSample, c);
  }

  /** Edges and hosts from elsewhere; the window adopts them (callers must not reuse them). */
  add(edges: Iterable<FlowEdge>, hosts: Iterable<HostFacts>, records = 0): void {
    this.#records += records;
    for (const e of edges) {
      const k = edgeKey(e);
      const have = this.#edges.get(k);
      if (have) mergeEdgeInto(have, e);
      else this.#edges.set(k, e);
    }
    for (const h of hosts) {
      const have = this.#hosts.get(h.address);
      if (have) mergeHostInto(have, h);
      else this.#hosts.set(h.address, h);
    }
  }

  get size(): number {
    return this.#records;
  }

  take(): WindowContents {
    const records = this.#records;
    this.#records = 0;
    // The folders hand over their own objects and start afresh (no copies per window).
    const parts = [this.#netflow.take(), this.#zeek.take()];
    const handed = { edges: [...this.#edges.values()], hosts: [...this.#hosts.values()], keys: [...this.#edges.keys()] };
    this.#edges = new Map();
    this.#hosts = new Map();
    const filled = [handed, ...parts].filter((p) => p.edges.length > 0 || p.hosts.length > 0);
    // One source (the usual case: only NetFlow, only Zeek): its edges are distinct already, nothing to merge.
    if (filled.length <= 1) return { edges: filled[0]?.edges ?? [], hosts: filled[0]?.hosts ?? [], keys: filled[0]?.keys ?? [], records };
    const edges = new Map<string, FlowEdge>();
    const hosts = new Map<string, HostFacts>();
    for (const p of filled) {
      for (const e of p.edges) {
        const k = edgeKey(e);
        const have = edges.get(k);
        if (have) mergeEdgeInto(have, e);
        else edges.set(k, e);
      }
      for (const h of p.hosts) {
        const have = hosts.get(h.address);
        if (have) mergeHostInto(have, h);
        else hosts.set(h.address, h);
      }
    }
    return { edges: [...edges.values()], hosts: [...hosts.values()], keys: [...edges.keys()], records };
  }
}
