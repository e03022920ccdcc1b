/**
 * The contract between the packet pipeline (sources → decoders) and the
 * protocol analyzers. The pipeline knows nothing protocol-specific: it
 * reassembles each TCP direction and offers the bytes to the analyzers; the
 * first one whose `detect` accepts the connection owns it.
 *
 * Analyzers follow pg-protocol's shape: an incremental parser fed chunks as
 * they arrive, that copies only when a message spans chunks.
 */
import type { AppProtocol, EdgeFacts, HostFacts, ProtocolRecord } from '../observations/types.ts';

export interface ConnectionInfo {
  /** "10.0.0.1:5000>10.0.0.2:104/tcp", initiator first. */
  id: string;
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  transport: 'tcp' | 'udp';
}

/** 0 = client to server, 1 = server to client. */
export type Direction = 0 | 1;

/** What an analyzer may tell the pipeline. Records never hold PHI. */
export interface AnalyzerSink {
  record(rec: ProtocolRecord): void;
  /**
   * False when no one consumes records (no logs written): an analyzer may
   * then skip building them. Absent means records are wanted.
   */
  readonly wantsRecords?: boolean;
  /** The connection's flow edge facts, created on first use; fold into them. */
  facts(): EdgeFacts;
  /** Facts about one endpoint host (roles, AE titles, software). */
  host(address: string): HostFacts;
  /** Refine the edge's application protocol (e.g. http -> fhir). */
  setProtocol(p: AppProtocol, opts?: { encrypted?: boolean; phi?: boolean }): void;
  anomaly(kind: string, message: string): void;
}

export interface StreamParser {
  /** Bytes in order for one direction. `chunk` is only valid during the call. */
  data(dir: Direction, chunk: Uint8Array, ts: number): void;
  /**
   * The same for buf[start, end), optional: a parser on the hot path
   * implements it to spare the pipeline a view object per TCP segment.
   */
  dataAt?(dir: Direction, buf: Uint8Array, start: number, end: number, ts: number): void;
  /** Bytes were lost (capture gap); the parser should resynchronise or give up. */
  gap(dir: Direction, length: number): void;
  /** Connection closed or capture ended. */
  end(ts: number): void;
}

export interface StreamAnalyzer {
  name: string;
  protocol: AppProtocol;
  /**
   * Content detection on the first bytes the client (dir 0) or server (dir 1)
   * sent. Ports are hints only: detection must work on any port.
   */
  detect(dir: Direction, firstBytes: Uint8Array, conn: ConnectionInfo): boolean;
  create(conn: ConnectionInfo, sink: AnalyzerSink): StreamParser;
}

export interface DatagramAnalyzer {
  name: string;
  protocol: AppProtocol;
  detect(payload: Uint8Array, conn: ConnectionInfo): boolean;
  /** One UDP payload. `dir` is relative to the first packet seen for the flow. */
  datagram(dir: Direction, payload: Uint8Array, ts: number, conn: ConnectionInfo, sink: AnalyzerSink): void;
}
