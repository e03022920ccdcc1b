/**
 * Observed flow edges from the store's flow_edges table (written by
 * discovery). Rows with unreadable JSON are skipped and counted, never fatal.
 */
import type { Db } from '../store/db.ts';
import type { AppProtocol, EdgeFacts, FlowEdge, FlowLabel, L4 } from '../observations/types.ts';
import { edgeKey } from '../observations/types.ts';

interface Row {
  src: string; dst: string; transport: string; dport: number; protocol: string; protocol_from: string;
  bytes: number; packets: number; sessions: number; first_seen: number; last_seen: number;
  encrypted: number; phi: number; facts_json: string; label_json: string | null; sources_json: string;
}

function parse<T>(text: string | null, fallback: T): T | undefined {
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export async function loadEdges(db: Db): Promise<{ edges: FlowEdge[]; skipped: number }> {
  const rows = await db.all<Row>('SELECT * FROM flow_edges ORDER BY edge_key');
  const edges: FlowEdge[] = [];
  let skipped = 0;
  for (const r of rows) {
    const facts = parse<EdgeFacts>(r.facts_json, {});
    const sources = parse<string[]>(r.sources_json, []);
    if (!facts || !sources) { skipped++; continue; }
    const label = parse<FlowLabel | null>(r.label_json, null) ?? undefined;
    edges.push({
      src: r.src, dst: r.dst, transport: r.transport as L4, dport: Number(r.dport), protocol: r.protocol as AppProtocol,
      protocolFrom: r.protocol_from as FlowEdge['protocolFrom'], bytes: Number(r.bytes), packets: Number(r.packets),
      sessions: Number(r.sessions), firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen),
      encrypted: Boolean(Number(r.encrypted)), phi: Boolean(Number(r.phi)), facts, label, sources,
    });
  }
  return { edges, skipped };
}

/** Upserts edges; used by tests and by callers that hold edges in memory. */
export async function saveEdges(db: Db, edges: readonly FlowEdge[]): Promise<void> {
  await db.tx(async (t) => {
    for (const e of edges) {
      await t.run(
        `INSERT INTO flow_edges (edge_key, src, dst, transport, dport, protocol, protocol_from, bytes, packets, sessions, first_seen, last_seen, encrypted, phi, facts_json, label_json, sources_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (edge_key) DO UPDATE SET bytes = excluded.bytes, packets = excluded.packets, sessions = excluded.sessions,
           first_seen = excluded.first_seen, last_seen = excluded.last_seen, facts_json = excluded.facts_json, label_json = excluded.label_json`,
        [edgeKey(e), e.src, e.dst, e.transport, e.dport, e.protocol, e.protocolFrom, e.bytes, e.packets, e.sessions, e.firstSeen, e.lastSeen,
          e.encrypted ? 1 : 0, e.phi ? 1 : 0, JSON.stringify(e.facts), e.label ? JSON.stringify(e.label) : null, JSON.stringify(e.sources)],
      );
    }
  });
}
