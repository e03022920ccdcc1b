/**
 * The compact observation batch a sensor publishes: flow edges as arrays and
 * host facts, metadata only (addresses, ports, AE titles, HL7 application
 * names, counts). Never packets, never payload, never PHI: the analyzers
 * that fill facts keep patient values out by construction.
 */
import type { AppProtocol, EdgeFacts, FlowEdge, HostFacts, L4 } from '../../observations/types.ts';
import { isCount, isFrom, isL4, isProtocol, isText, isTime, sanitizeFacts, sanitizeHost } from './validate.ts';

export const BATCH_VERSION = 1;
/** Larger messages are refused: a sensor cuts batches per interval, far below this. */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;

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

/** JSON has no NaN: unknown times travel as 0, as the folders report them. */
function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

export function batchId(b: Pick<ObservationBatch, 'site' | 'sensor' | 'seq'>): string {
  return `${b.site}:${b.sensor}:${b.seq}`;
}

export function encodeBatch(site: string, sensor: string, seq: number, records: number, edges: readonly FlowEdge[], hosts: readonly HostFacts[], now = Date.now()): Uint8Array {
  const rows: EdgeRow[] = edges.map((e) => {
    const row: EdgeRow = [e.src, e.dst, e.transport, e.dport, e.protocol, e.protocolFrom, e.bytes, e.packets, e.sessions, finite(e.firstSeen), finite(e.lastSeen), (e.encrypted ? 1 : 0) | (e.phi ? 2 : 0)];
    if (Object.keys(e.facts).length) row.push(e.facts);
    return row;
  });
  const b: ObservationBatch = { v: BATCH_VERSION, site, sensor, seq, records, createdAt: now, edges: rows, hosts: [...hosts] };
  return Buffer.from(JSON.stringify(b));
}

/**
 * Parses and checks a batch; throws Error with the reason when the batch as a
 * whole is unusable (the consumer terminates such messages). Malformed edge
 * rows, hosts or facts inside a usable batch are dropped and counted.
 */
export function decodeBatch(data: Uint8Array): { batch: ObservationBatch; edges: FlowEdge[]; hosts: HostFacts[]; dropped: number } {
  if (data.byteLength > MAX_BATCH_BYTES) throw new Error(`batch of ${data.byteLength} bytes exceeds ${MAX_BATCH_BYTES}`);
  const b = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as ObservationBatch;
  if (!b || typeof b !== 'object' || b.v !== BATCH_VERSION || typeof b.site !== 'string' || typeof b.sensor !== 'string' || !Number.isSafeInteger(b.seq)
    || !Array.isArray(b.edges) || !Array.isArray(b.hosts)) {
    throw new Error('not a wardline observation batch (version 1)');
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(b.site)) throw new Error(`bad site name in batch: ${JSON.stringify(b.site).slice(0, 80)}`);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(b.sensor)) throw new Error('bad sensor id in batch');
  if (!Number.isSafeInteger(b.records) || b.records < 0) throw new Error('bad record count in batch');
  let dropped = 0;
  const edges: FlowEdge[] = [];
  for (const r of b.edges as unknown[]) {
    if (!Array.isArray(r) || r.length < 12 || r.length > 13 || !isText(r[0], 64) || !isText(r[1], 64) || !isL4(r[2]) || !Number.isInteger(r[3]) || r[3] < 0 || r[3] > 65535
      || !isProtocol(r[4]) || !isFrom(r[5]) || !isCount(r[6]) || !isCount(r[7]) || !isCount(r[8]) || !isTime(r[9]) || !isTime(r[10]) || !Number.isInteger(r[11])) {
      dropped++;
      continue;
    }
    const facts: EdgeFacts = {};
    dropped += sanitizeFacts(r[12], facts);
    edges.push({
      src: r[0], dst: r[1], transport: r[2], dport: r[3], protocol: r[4], protocolFrom: r[5],
      bytes: r[6], packets: r[7], sessions: r[8], firstSeen: r[9], lastSeen: r[10],
      encrypted: (r[11] & 1) === 1, phi: (r[11] & 2) === 2, facts, sources: [`sensor:${b.site}`],
    });
  }
  const hosts: HostFacts[] = [];
  for (const h of b.hosts as unknown[]) {
    const ok = sanitizeHost(h);
    if (ok) hosts.push(ok);
    else dropped++;
  }
  return { batch: b, edges, hosts, dropped };
}
