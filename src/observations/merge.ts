/**
 * Merging observations across runs and sources: the same edge seen by two
 * captures (or a capture and NetFlow) becomes one edge with summed counters
 * and the union of its facts.
 */
import { mergeFactsInto } from './merge-facts.ts';
import { edgeKey, type Anomaly, type FlowEdge, type HostFacts, type Observations } from './types.ts';

/** Merges b into a copy of a; neither input is modified. */
export function mergeObservations(a: Observations, b: Observations): Observations {
  const edges = new Map<string, FlowEdge>();
  for (const e of a.edges) edges.set(edgeKey(e), cloneEdge(e));
  for (const e of b.edges) {
    const k = edgeKey(e);
    const cur = edges.get(k);
    if (cur) mergeEdgeInto(cur, e);
    else edges.set(k, cloneEdge(e));
  }
  const hosts = new Map<string, HostFacts>();
  for (const h of a.hosts) hosts.set(h.address, structuredClone(h));
  for (const h of b.hosts) {
    const cur = hosts.get(h.address);
    if (cur) mergeHostInto(cur, h);
    else hosts.set(h.address, structuredClone(h));
  }
  const anomalies = new Map<string, Anomaly>();
  for (const x of [...a.anomalies, ...b.anomalies]) {
    const cur = anomalies.get(x.kind);
    if (cur) cur.count += x.count;
    else anomalies.set(x.kind, { ...x });
  }
  return {
    edges: [...edges.values()],
    hosts: [...hosts.values()],
    anomalies: [...anomalies.values()],
    inputs: [...a.inputs, ...b.inputs],
  };
}

function cloneEdge(e: FlowEdge): FlowEdge {
  return structuredClone(e);
}

/** Folds edge b into a (same key). */
export function mergeEdgeInto(a: FlowEdge, b: FlowEdge): void {
  a.bytes += b.bytes;
  a.packets += b.packets;
  a.sessions += b.sessions;
  a.firstSeen = Math.min(a.firstSeen, b.firstSeen);
  a.lastSeen = Math.max(a.lastSeen, b.lastSeen);
  a.encrypted ||= b.encrypted;
  a.phi ||= b.phi;
  if (a.protocolFrom !== 'content' && b.protocolFrom !== 'none') a.protocolFrom = b.protocolFrom;
  mergeFactsInto(a.facts, b.facts);
  if (b.label) a.label = structuredClone(b.label);
  a.sources = union(a.sources, b.sources);
}

export function mergeHostInto(a: HostFacts, b: HostFacts): void {
  a.macs = union(a.macs, b.macs);
  a.hostnames = union(a.hostnames, b.hostnames);
  a.roles = union(a.roles, b.roles);
  a.aeTitles = union(a.aeTitles, b.aeTitles);
  a.hl7Applications = union(a.hl7Applications, b.hl7Applications);
  a.modalities = union(a.modalities, b.modalities);
  a.software = unionBy(a.software, b.software, (s) => `${s.vendor ?? ''}|${s.product}|${s.version ?? ''}|${s.source}`);
  a.listeningPorts = unionBy(a.listeningPorts, b.listeningPorts, (p) => `${p.transport}/${p.port}/${p.protocol}`);
  a.firstSeen = Math.min(a.firstSeen, b.firstSeen);
  a.lastSeen = Math.max(a.lastSeen, b.lastSeen);
}

function union(a: string[], b: string[]): string[] {
  if (!b.length) return a;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return [...s];
}

function unionBy<T>(a: T[], b: T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of a) m.set(key(x), x);
  for (const x of b) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.values()];
}

export function emptyObservations(): Observations {
  return { edges: [], hosts: [], anomalies: [], inputs: [] };
}

export function emptyHost(address: string, ts = 0): HostFacts {
  return {
    address, macs: [], hostnames: [], roles: [], aeTitles: [], hl7Applications: [], modalities: [], software: [],
    listeningPorts: [], firstSeen: ts, lastSeen: ts,
  };
}
