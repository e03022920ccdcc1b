/**
 * The compact observation batch a sensor publishes: flow edges as arrays and
 * host facts, metadata only (addresses, ports, AE titles, HL7 application
 * names, counts). Never packets, never payload, never PHI: the analyzers
 * that fill facts keep patient values out by construction.
 */
import type { AppProtocol, EdgeFacts, FlowEdge, HostFacts, L4 } from '../../observations/types.ts';

export const BATCH_VERSION = 1;

type EdgeRow = [src: string, dst: string, transport: L4, dport: number, protocol: AppProtocol, from: FlowEdge['protocolFrom'],
  bytes: number, packets: number, sessions: number, first: number, last: number, flags: number, facts?: EdgeFacts];

export interface ObservationBatch {
  v: number;
  site: string;
  /** Sensor instance (its start time): sequence numbers restart with the process, ids must not. */
  sensor: string;
  seq: number;
  /** Records (flow records, connections, packets) folded into this batch. */
  records: number;
  createdAt: number;
  edges: EdgeRow[];
  hosts: HostFacts[];
}

export function batchId(b: Pick<ObservationBatch, 'site' | 'sensor' | 'seq'>): string {
  return `${b.site}:${b.sensor}:${b.seq}`;
}

export function encodeBatch(site: string, sensor: string, seq: number, records: number, edges: readonly FlowEdge[], hosts: readonly HostFacts[], now = Date.now()): Uint8Array {
  const rows: EdgeRow[] = edges.map((e) => {
    const row: EdgeRow = [e.src, e.dst, e.transport, e.dport, e.protocol, e.protocolFrom, e.bytes, e.packets, e.sessions, e.firstSeen, e.lastSeen, (e.encrypted ? 1 : 0) | (e.phi ? 2 : 0)];
    if (Object.keys(e.facts).length) row.push(e.facts);
    return row;
  });
  const b: ObservationBatch = { v: BATCH_VERSION, site, sensor, seq, records, createdAt: now, edges: rows, hosts: [...hosts] };
  return Buffer.from(JSON.stringify(b));
}

/** Parses and checks a batch; throws Error with the reason on anything malformed (the consumer terminates such messages). */
export function decodeBatch(data: Uint8Array): { batch: ObservationBatch; edges: FlowEdge[]; hosts: HostFacts[] } {
  const b = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as ObservationBatch;
  if (!b || b.v !== BATCH_VERSION || typeof b.site !== 'string' || typeof b.sensor !== 'string' || !Number.isInteger(b.seq) || !Array.isArray(b.edges) || !Array.isArray(b.hosts)) {
    throw new Error('not a wardline observation batch (version 1)');
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(b.site)) throw new Error(`bad site name in batch: ${JSON.stringify(b.site).slice(0, 80)}`);
  const edges: FlowEdge[] = b.edges.map((r) => {
    if (!Array.isArray(r) || r.length < 12 || typeof r[0] !== 'string' || typeof r[1] !== 'string' || !Number.isFinite(r[6])) throw new Error('malformed edge row');
    return {
      src: r[0], dst: r[1], transport: r[2], dport: Number(r[3]), protocol: r[4], protocolFrom: r[5],
      bytes: Number(r[6]), packets: Number(r[7]), sessions: Number(r[8]), firstSeen: Number(r[9]), lastSeen: Number(r[10]),
      encrypted: (r[11] & 1) === 1, phi: (r[11] & 2) === 2, facts: r[12] ?? {}, sources: [`sensor:${b.site}`],
    };
  });
  return { batch: b, edges, hosts: b.hosts };
}
