/**
 * One connection's state in the pipeline's table, and the view of it that
 * analyzers get (its id text made on first use). Kept apart from the
 * pipeline so that the packet loop reads on its own. A connection's mode:
 * analyzers are still being offered its bytes (DETECT), one owns its stream
 * or its datagrams, or nobody wants it (NONE).
 */
import type { AppProtocol, EdgeFacts } from '../observations/types.ts';
import type { AnalyzerSink, ConnectionInfo, DatagramAnalyzer, StreamParser } from './analyzer.ts';
import { PROTO_TCP } from './packet.ts';
import { TcpHalf } from './tcp.ts';

export const MODE_DETECT = 0;
export const MODE_STREAM = 1;
export const MODE_DATAGRAM = 2;
export const MODE_NONE = 3;

export class Conn {
  hnext: Conn | undefined = undefined;
  /** Creation order: connections found done together are reported in it. */
  readonly seq: number;
  readonly hash: number;
  readonly proto: number;
  /** Client and server address ids, ports. */
  readonly a: number;
  readonly b: number;
  readonly pa: number;
  readonly pb: number;
  readonly client: string;
  readonly server: string;
  readonly first: number;
  last: number;
  pk0 = 0;
  pk1 = 0;
  ip0 = 0;
  ip1 = 0;
  fr0 = 0;
  fr1 = 0;
  pay0 = 0;
  pay1 = 0;
  half0: TcpHalf | undefined;
  half1: TcpHalf | undefined;
  synIsn = -1;
  synAck = false;
  fin0 = false;
  fin1 = false;
  rst = false;
  closed = false;
  clientMac: string | undefined;
  serverMac: string | undefined;
  mode = MODE_DETECT;
  /** An analyzer owns (or owned) the connection. */
  claimed = false;
  parser: StreamParser | undefined;
  dgram: DatagramAnalyzer | undefined;
  info: ConnectionInfo | undefined;
  sink: AnalyzerSink | undefined;
  /** Bytes each direction sent while no analyzer claimed the connection. */
  probe0: Uint8Array | undefined;
  probe1: Uint8Array | undefined;
  probe0Len = 0;
  probe1Len = 0;
  /** (direction, length, ts) triples of the held chunks, in arrival order. */
  probeOrder: number[] | undefined;
  probeBytes = 0;
  probeTries = 0;
  protocol: AppProtocol = 'unknown';
  encrypted = false;
  phi = false;
  facts: EdgeFacts | undefined;

  constructor(seq: number, hash: number, proto: number, a: number, b: number, pa: number, pb: number, client: string, server: string, ts: number) {
    this.seq = seq;
    this.hash = hash;
    this.proto = proto;
    this.a = a;
    this.b = b;
    this.pa = pa;
    this.pb = pb;
    this.client = client;
    this.server = server;
    this.first = ts;
    this.last = ts;
    if (proto === PROTO_TCP) {
      this.half0 = new TcpHalf();
      this.half1 = new TcpHalf();
    }
  }
}

/**
 * The connection as analyzers see it. The id text is made on first use:
 * only records and anomaly messages need it, and a run without --logs
 * builds records for none of its tens of thousands of connections.
 */
export class ConnInfo implements ConnectionInfo {
  readonly client: string;
  readonly server: string;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly transport: 'tcp' | 'udp';
  #id: string | undefined;

  constructor(client: string, server: string, clientPort: number, serverPort: number, transport: 'tcp' | 'udp') {
    this.client = client;
    this.server = server;
    this.clientPort = clientPort;
    this.serverPort = serverPort;
    this.transport = transport;
  }

  get id(): string {
    return (this.#id ??= `${endpoint(this.client, this.clientPort)}>${endpoint(this.server, this.serverPort)}/${this.transport}`);
  }
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
