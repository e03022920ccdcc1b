/**
 * Observations in the store (flow_edges, hosts). Saving merges with what an
 * earlier run saved, so that discover runs over several captures, days or
 * sources add up instead of replacing each other.
 */
import type { Db } from '../store/db.ts';
import { mergeEdgeInto, mergeHostInto } from './merge.ts';
import { edgeKey, type AppProtocol, type FlowEdge, type HostFacts, type L4, type Observations } from './types.ts';

interface EdgeRow {
  edge_key: string;
  src: string;
  dst: string;
  transport: string;
  dport: number;
  protocol: string;
  protocol_from: string;
  bytes: number;
  packets: number;
  sessions: number;
  first_seen: number;
  last_seen: number;
  encrypted: number;
  phi: number;
  facts_json: string;
  label_json: string | null;
  sources_json: string;
}

interface HostRow {
  address: string;
  first_seen: number;
  last_seen: number;
  facts_json: string;
}

function rowToEdge(r: EdgeRow): FlowEdge {
  return {
    src: r.src,
    dst: r.dst,
    transport: r.transport as L4,
    dport: Number(r.dport),
    protocol: r.protocol as AppProtocol,
    protocolFrom: r.protocol_from as FlowEdge['protocolFrom'],
    bytes: Number(r.bytes),
    packets: Number(r.packets),
    sessions: Number(r.sessions),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    encrypted: Number(r.encrypted) !== 0,
    phi: Number(r.phi) !== 0,
    facts: JSON.parse(r.facts_json) as FlowEdge['facts'],
    ...(r.label_json ? { label: JSON.parse(r.label_json) as FlowEdge['label'] } : {}),
    sources: JSON.parse(r.sources_json) as string[],
  };
}

function rowToHost(r: HostRow): HostFacts {
  const h = JSON.parse(r.facts_json) as HostFacts;
  h.address = r.address;
  h.firstSeen = Number(r.first_seen);
  h.lastSeen = Number(r.last_seen);
  return h;
}

const UPSERT_EDGE = `INSERT INTO flow_edges (edge_key, src, dst, transport, dport, protocol, protocol_from, bytes, packets, sessions,
  first_seen, last_seen, encrypted, phi, facts_json, label_json, sources_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (edge_key) DO UPDATE SET protocol_from = excluded.protocol_from, bytes = excluded.bytes, packets = excluded.packets,
  sessions = excluded.sessions, first_seen = excluded.first_seen, last_seen = excluded.last_seen, encrypted = excluded.encrypted,
  phi = excluded.phi, facts_json = excluded.facts_json, label_json = excluded.label_json, sources_json = excluded.sources_json`;

const UPSERT_HOST = `INSERT INTO hosts (address, first_seen, last_seen, facts_json) VALUES (?, ?, ?, ?)
ON CONFLICT (address) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, facts_json = excluded.facts_json`;

/** Merges obs into the store; returns how many edges and hosts were new. */
export async function saveObservations(db: Db, obs: Observations): Promise<{ edges: number; hosts: number; newEdges: number; newHosts: number }> {
  return db.tx(async (t) => {
    let newEdges = 0;
    let newHosts = 0;
    for (const e of obs.edges) {
      const key = edgeKey(e);
      const row = await t.get<EdgeRow>('SELECT * FROM flow_edges WHERE edge_key = ?', [key]);
      let m: FlowEdge;
      if (row) {
        m = rowToEdge(row);
        mergeEdgeInto(m, e);
      } else {
        m = e;
        newEdges++;
      }
      await t.run(UPSERT_EDGE, [
        key, m.src, m.dst, m.transport, m.dport, m.protocol, m.protocolFrom, m.bytes, m.packets, m.sessions,
        Math.round(m.firstSeen), Math.round(m.lastSeen), m.encrypted ? 1 : 0, m.phi ? 1 : 0, JSON.stringify(m.facts),
        m.label ? JSON.stringify(m.label) : null, JSON.stringify(m.sources),
      ]);
    }
    for (const h of obs.hosts) {
      const row = await t.get<HostRow>('SELECT * FROM hosts WHERE address = ?', [h.address]);
      let m: HostFacts;
      if (row) {
        m = rowToHost(row);
        mergeHostInto(m, h);
      } else {
        m = h;
        newHosts++;
      }
      await t.run(UPSERT_HOST, [m.address, Math.round(m.firstSeen), Math.round(m.lastSeen), JSON.stringify(m)]);
    }
    return { edges: obs.edges.length, hosts: obs.hosts.length, newEdges, newHosts };
  });
}

/** Everything observed so far. */
export async function loadObservations(db: Db): Promise<Observations> {
  const edges = (await db.all<EdgeRow>('SELECT * FROM flow_edges ORDER BY src, dst, dport, transport, protocol')).map(rowToEdge);
  const hosts = (await db.all<HostRow>('SELECT * FROM hosts ORDER BY address')).map(rowToHost);
  return { edges, hosts, anomalies: [], inputs: [] };
}
