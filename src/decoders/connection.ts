/**
 * What the packet pipeline reports about each connection when it ends, and
 * the sink it reports to. The observations layer implements FlowSink
 * (aggregate.ts) without the pipeline knowing it.
 */
import type { AppProtocol, EdgeFacts, HostFacts, L4, ProtocolRecord } from '../observations/types.ts';

export interface ConnectionRecord {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  transport: L4;
  protocol: AppProtocol;
  protocolFrom: 'content' | 'port' | 'none';
  encrypted: boolean;
  phi: boolean;
  facts?: EdgeFacts;
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
  /** [client to server, server to client]. */
  packets: [number, number];
  /** IP bytes (headers included), as NetFlow counts them. */
  ipBytes: [number, number];
  /** Frame bytes on the wire, as Wireshark's conversation table counts them. */
  frameBytes: [number, number];
  /** Transport payload bytes. */
  payloadBytes: [number, number];
  clientMac?: string;
  serverMac?: string;
  /**
   * TCP: attempt (SYN unanswered), rejected (RST answer), established,
   * closed (FIN or RST after data), midstream (handshake not captured).
   * UDP and others: oneway or bidirectional.
   */
  state: 'attempt' | 'rejected' | 'established' | 'closed' | 'midstream' | 'oneway' | 'bidirectional';
  gaps: number;
  gapBytes: number;
  retransmittedBytes: number;
}

export interface FlowSink {
  /**
   * A connection ended. The record is refilled for the next connection after
   * the call (no allocation per connection): keep its facts, which are
   * handed over, but copy anything else that must outlive the call.
   */
  connection(c: ConnectionRecord): void;
  host(address: string): HostFacts;
  record(rec: ProtocolRecord): void;
  /** False when records are dropped unread; absent means they are wanted. */
  readonly wantsRecords?: boolean;
  anomaly(kind: string, message: string, where?: string): void;
}
