/**
 * The packet pipeline: decode each packet, find its connection in a table
 * keyed by numeric tuples, reassemble TCP per direction, and offer ordered
 * bytes to the protocol analyzers (the first whose detect() accepts owns the
 * connection). Finished connections are reported to a FlowSink and dropped,
 * so memory follows the number of live connections, not the file size.
 *
 * Copies of the same traffic (a capture replayed, or given twice) reuse
 * 5-tuples and sequence numbers: a SYN on a tuple whose connection closed,
 * with another ISN, or after a long silence starts a new connection instead
 * of being taken for a retransmission.
 */
import type { AppProtocol, EdgeFacts, HostFacts, L4, ProtocolRecord } from '../observations/types.ts';
import type { CapturePacket } from '../sources/pcap.ts';
import type {
  AnalyzerSink, ConnectionInfo, DatagramAnalyzer, Direction, StreamAnalyzer, StreamParser,
} from './analyzer.ts';
import type { ConnectionRecord, FlowSink } from './connection.ts';
import {
  DECODE_FRAGMENT, DECODE_MALFORMED, DECODE_NOT_IP, DECODE_OK, DecodedPacket, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP,
  PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, decodePacket,
} from './packet.ts';
import { AddressBook } from './addresses.ts';
import { ConnTable } from './conn-table.ts';
import { Conn, ConnInfo, MODE_DATAGRAM, MODE_DETECT, MODE_NONE, MODE_STREAM } from './conn-state.ts';
import { FragmentReassembler, type FragmentTally } from './fragments.ts';
import type { StreamReceiver } from './tcp.ts';

export interface PipelineOptions {
  streamAnalyzers: readonly StreamAnalyzer[];
  datagramAnalyzers: readonly DatagramAnalyzer[];
  sink: FlowSink;
  /** Capture-time idle limits before a connection is reported (ms). */
  tcpIdleMs?: number;
  udpIdleMs?: number;
  /**
   * Live connections kept at most (default 65536, about 40 MB); beyond it the
   * least recently active quarter is reported and dropped, so that a scan or
   * flood cannot grow memory without bound.
   */
  maxConnections?: number;
}

/** Bytes a connection may show before detection gives up on it. */
const DETECT_MAX_BYTES = 8192;
const DETECT_MAX_CHUNKS = 8;
const DATAGRAM_DETECT_TRIES = 4;
/** Closed connections linger this long for their last ACKs. */
const CLOSED_LINGER_MS = 2000;
const SWEEP_EVERY = 256;

/** What an analyzer sees of the pipeline for one connection. */
class ConnSink implements AnalyzerSink {
  private readonly conn: Conn;
  private readonly pipe: PacketPipeline;

  constructor(conn: Conn, pipe: PacketPipeline) {
    this.conn = conn;
    this.pipe = pipe;
  }

  record(rec: ProtocolRecord): void {
    this.pipe.sink.record(rec);
  }

  get wantsRecords(): boolean {
    return this.pipe.sink.wantsRecords !== false;
  }

  facts(): EdgeFacts {
    return (this.conn.facts ??= {});
  }

  host(address: string): HostFacts {
    return this.pipe.sink.host(address);
  }

  setProtocol(p: AppProtocol, opts?: { encrypted?: boolean; phi?: boolean }): void {
    this.conn.protocol = p;
    if (opts?.encrypted !== undefined) this.conn.encrypted = opts.encrypted;
    if (opts?.phi !== undefined) this.conn.phi = opts.phi;
  }

  anomaly(kind: string, message: string): void {
    this.pipe.sink.anomaly(kind, message, this.pipe.where());
  }
}

/** The table's order is its hashing; reports follow creation order. */
function bySeq(x: Conn, y: Conn): number {
  return x.seq - y.seq;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return x ^ (x >>> 16);
}

export interface PipelineStats {
  packets: number;
  ipPackets: number;
  nonIp: number;
  fragments: number;
  /** Datagrams rebuilt from fragments (each also counted once in ipPackets; its fragments are in packets and fragments). */
  reassembled: number;
  malformed: number;
  unsupportedLink: number;
  connections: number;
  tcpGaps: number;
  tcpGapBytes: number;
}

export class PacketPipeline implements StreamReceiver {
  readonly sink: FlowSink;
  readonly stats: PipelineStats = {
    packets: 0, ipPackets: 0, nonIp: 0, fragments: 0, reassembled: 0, malformed: 0, unsupportedLink: 0, connections: 0, tcpGaps: 0, tcpGapBytes: 0,
  };
  /** Name of the input being read, for anomaly locations. */
  inputName = '';
  private readonly streamAnalyzers: readonly StreamAnalyzer[];
  private readonly datagramAnalyzers: readonly DatagramAnalyzer[];
  private readonly tcpIdleMs: number;
  private readonly udpIdleMs: number;
  private readonly maxConnections: number;
  private readonly d = new DecodedPacket();
  /** Time of the TCP bytes being delivered to streamData. */
  private streamTs = 0;
  private readonly record: ConnectionRecord = {
    client: '', server: '', clientPort: 0, serverPort: 0, transport: 'tcp', protocol: 'unknown', protocolFrom: 'none', encrypted: false,
    phi: false, facts: undefined, firstSeen: 0, lastSeen: 0, packets: [0, 0], ipBytes: [0, 0], frameBytes: [0, 0], payloadBytes: [0, 0],
    clientMac: undefined, serverMac: undefined, state: 'midstream', gaps: 0, gapBytes: 0, retransmittedBytes: 0,
  };
  private readonly table = new ConnTable();
  /** Address and MAC text, interned: hosts open many connections, and equal strings then share one object. */
  private readonly addresses = new AddressBook();
  /** Made at the first fragment: unfragmented traffic never touches it. */
  private frags: FragmentReassembler | undefined;
  /**
   * The fragment frames of the rebuilt datagram that fragment() is passing
   * through packet(), for its connection's counters; undefined otherwise,
   * so that other packets pay one field read.
   */
  private rebuilt: FragmentTally | undefined;
  private live = 0;
  private cur: Conn | undefined;
  private num = 0;
  private now = 0;
  private sinceSweep = 0;

  constructor(opts: PipelineOptions) {
    this.sink = opts.sink;
    this.streamAnalyzers = opts.streamAnalyzers;
    this.datagramAnalyzers = opts.datagramAnalyzers;
    this.tcpIdleMs = opts.tcpIdleMs ?? 300_000;
    this.udpIdleMs = opts.udpIdleMs ?? 60_000;
    this.maxConnections = Math.max(16, opts.maxConnections ?? 65536);
  }

  /** Live connections in the table. */
  get liveConnections(): number {
    return this.live;
  }

  where(): string {
    return `${this.inputName}#${this.num}`;
  }

  /** The packet callback: hand it to CaptureParser/readCapture. */
  packet(p: CapturePacket): void {
    const st = this.stats;
    st.packets++;
    this.num = p.num;
    const d = this.d;
    const r = decodePacket(p.linktype, p.buf, p.off, p.len, d);
    if (r !== DECODE_OK) {
      if (r === DECODE_NOT_IP) st.nonIp++;
      else if (r === DECODE_FRAGMENT) {
        st.fragments++;
        this.fragment(p);
      } else if (r === DECODE_MALFORMED) {
        st.malformed++;
        this.sink.anomaly('malformed-packet', d.error, this.where());
      } else {
        st.unsupportedLink++;
        this.sink.anomaly('unsupported-link-type', `packets with ${d.error} are skipped`, this.where());
      }
      return;
    }
    st.ipPackets++;
    const ts = p.ts;
    if (ts > this.now) this.now = ts;
    let s: number;
    let t: number;
    if (d.family === 4) {
      s = d.src4;
      t = d.dst4;
    } else {
      s = this.addresses.v6Id(p.buf, d.src6);
      t = this.addresses.v6Id(p.buf, d.dst6);
    }
    const proto = d.proto;
    const tcpOrUdp = proto === PROTO_TCP || proto === PROTO_UDP;
    const sp = tcpOrUdp ? d.sport : 0;
    const dp = tcpOrUdp ? d.dport : 0;
    // mix32 works on the low 32 bits (its first xor truncates), so IPv6 ids
    // above 2^32 need no modulo: a floating-point one is a C call per packet.
    const hash = (mix32(s) + mix32(t) + Math.imul(sp + dp, 0x9e3779b1) + proto) | 0;

    let conn = this.table.chain(hash);
    let dir: Direction = 0;
    while (conn) {
      if (conn.proto === proto) {
        if (conn.a === s && conn.b === t && conn.pa === sp && conn.pb === dp) break;
        if (conn.a === t && conn.b === s && conn.pa === dp && conn.pb === sp) {
          dir = 1;
          break;
        }
      }
      conn = conn.hnext;
    }
    const flags = d.flags;
    if (conn && proto === PROTO_TCP && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // A fresh SYN on a known tuple: the same connection's retransmitted
      // SYN, or a new connection reusing the tuple.
      if (conn.closed || (conn.synIsn >= 0 && conn.synIsn !== d.seq) || ts - conn.last > 60_000 || ts < conn.last - 1000 || dir === 1) {
        this.remove(conn);
        this.finish(conn);
        conn = undefined;
        dir = 0;
      }
    }
    if (!conn) {
      if (this.live >= this.maxConnections) this.evict();
      // Who is the client: the SYN sender; the SYN-ACK receiver; otherwise
      // the side on the higher (ephemeral) port.
      let flip: boolean;
      if (proto === PROTO_TCP && flags & TCP_SYN) flip = (flags & TCP_ACK) !== 0;
      else flip = sp < dp && sp < 1024 ? true : proto === PROTO_TCP && sp < dp && dp >= 32768;
      const cs = flip ? t : s;
      const ss = flip ? s : t;
      conn = new Conn(this.stats.connections, hash, proto, cs, ss, flip ? dp : sp, flip ? sp : dp, this.addresses.text(cs), this.addresses.text(ss), ts);
      dir = flip ? 1 : 0;
      this.table.add(conn);
      this.live++;
      this.stats.connections++;
    }
    if (ts > conn.last) conn.last = ts;
    if (dir === 0) {
      conn.pk0++;
      conn.ip0 += d.ipLen;
      conn.fr0 += p.wireLen;
      conn.pay0 += d.segLen;
      if (conn.clientMac === undefined && d.macOff >= 0) conn.clientMac = this.addresses.mac(p.buf, d.macOff);
    } else {
      conn.pk1++;
      conn.ip1 += d.ipLen;
      conn.fr1 += p.wireLen;
      conn.pay1 += d.segLen;
      if (conn.serverMac === undefined && d.macOff >= 0) conn.serverMac = this.addresses.mac(p.buf, d.macOff);
    }
    if (this.rebuilt !== undefined) this.countFragments(conn, dir, this.rebuilt);
    if (proto === PROTO_TCP) this.tcp(conn, dir, p, ts);
    else if (proto === PROTO_UDP && d.payLen > 0 && conn.mode !== MODE_NONE) this.udp(conn, dir, p.buf, ts);

    if (++this.sinceSweep >= SWEEP_EVERY) {
      this.sinceSweep = 0;
      this.sweep();
    }
  }

  /**
   * A fragment; the datagram it completes takes the path of any
   * unfragmented packet. Its connection counts the fragment frames it came
   * in, as tshark's conversations and NetFlow exporters count packets on the
   * wire: N packets, their IP bytes and their frame bytes (the frame's
   * wireLen), and the datagram's payload. Fragments of a datagram that never
   * completes count in no connection (stats and anomalies have them).
   */
  private fragment(p: CapturePacket): void {
    const frags = (this.frags ??= new FragmentReassembler({ anomaly: (kind, message) => this.sink.anomaly(kind, message, this.where()) }));
    const whole = frags.add(p.buf, p.off, this.d.ipOff, p.off + p.len, p.ts, p.wireLen);
    if (!whole) return;
    this.stats.reassembled++;
    // The rebuilt frame is not another capture packet.
    this.stats.packets--;
    const tally = frags.rebuilt;
    this.rebuilt = tally;
    try {
      this.packet({ linktype: p.linktype, ts: p.ts, buf: whole, off: 0, len: whole.length, wireLen: tally.frameBytes, num: p.num });
    } finally {
      this.rebuilt = undefined;
    }
  }

  /** packet() counted the rebuilt datagram as one packet of its own IP length: the rest of its fragments' packets and IP bytes. */
  private countFragments(conn: Conn, dir: Direction, t: FragmentTally): void {
    const packets = t.fragments - 1;
    const ipBytes = t.ipBytes - this.d.ipLen;
    if (dir === 0) {
      conn.pk0 += packets;
      conn.ip0 += ipBytes;
    } else {
      conn.pk1 += packets;
      conn.ip1 += ipBytes;
    }
  }

  private tcp(conn: Conn, dir: Direction, p: CapturePacket, ts: number): void {
    this.streamTs = ts;
    const d = this.d;
    const flags = d.flags;
    const half = dir === 0 ? conn.half0! : conn.half1!;
    // Signed 32-bit from here on (see TcpHalf): no number box per call.
    let seq = d.seq | 0;
    if (flags & TCP_SYN) {
      if (flags & TCP_ACK) conn.synAck = true;
      else if (dir === 0) conn.synIsn = d.seq;
      half.syn(seq);
      seq = (seq + 1) | 0;
    }
    if (d.payLen > 0 && conn.mode !== MODE_NONE) {
      this.cur = conn;
      half.segment(dir, seq, p.buf, d.payOff, d.payLen, this);
      if (d.segLen > d.payLen && half.next === ((seq + d.payLen) | 0)) {
        // The snaplen cut the segment: the rest is a hole in the stream.
        const missing = d.segLen - d.payLen;
        half.next = (half.next + missing) | 0;
        half.gaps++;
        half.gapBytes += missing;
        this.streamGap(dir, missing);
      }
    }
    if (flags & TCP_RST) {
      conn.rst = true;
      conn.closed = true;
      this.release(conn);
    }
    if (flags & TCP_FIN) {
      if (dir === 0) conn.fin0 = true;
      else conn.fin1 = true;
      if (conn.fin0 && conn.fin1) {
        conn.closed = true;
        this.release(conn);
      }
    }
  }

  /**
   * A closed connection ends its analysis at once rather than at the next
   * sweep, so that parser state dies young instead of filling the old
   * generation; the small Conn lingers for late ACKs. Not while a hole is
   * open: reordered data may still come.
   */
  private release(conn: Conn): void {
    if (conn.half0!.held.length || conn.half1!.held.length) return;
    if (conn.parser) {
      try {
        conn.parser.end(conn.last);
      } catch (err) {
        this.analyzerFailed(conn.protocol, err);
      }
      conn.parser = undefined;
    }
    conn.mode = MODE_NONE;
    this.dropProbe(conn);
  }

  private udp(conn: Conn, dir: Direction, buf: Uint8Array, ts: number): void {
    const d = this.d;
    const payload = buf.subarray(d.payOff, d.payOff + d.payLen);
    if (conn.mode === MODE_DETECT) {
      const info = (conn.info ??= this.info(conn));
      for (const an of this.datagramAnalyzers) {
        let ok = false;
        try {
          ok = an.detect(payload, info);
        } catch (err) {
          this.analyzerFailed(an.name, err);
        }
        if (ok) {
          conn.mode = MODE_DATAGRAM;
          conn.claimed = true;
          conn.dgram = an;
          conn.protocol = an.protocol;
          conn.sink = new ConnSink(conn, this);
          break;
        }
      }
      if (conn.mode === MODE_DETECT && ++conn.probeTries >= DATAGRAM_DETECT_TRIES) conn.mode = MODE_NONE;
    }
    if (conn.mode === MODE_DATAGRAM) {
      try {
        conn.dgram!.datagram(dir, payload, ts, conn.info!, conn.sink!);
      } catch (err) {
        this.analyzerFailed(conn.dgram!.name, err);
        conn.mode = MODE_NONE;
      }
    }
  }

  /** StreamReceiver: in-order bytes of the current connection. */
  streamData(dir: Direction, buf: Uint8Array, off: number, len: number): void {
    const ts = this.streamTs;
    const conn = this.cur!;
    if (conn.mode === MODE_STREAM) {
      try {
        const parser = conn.parser!;
        if (parser.dataAt) parser.dataAt(dir, buf, off, off + len, ts);
        else parser.data(dir, buf.subarray(off, off + len), ts);
      } catch (err) {
        this.analyzerFailed(conn.protocol, err);
        conn.mode = MODE_NONE;
        conn.parser = undefined;
      }
    } else if (conn.mode === MODE_DETECT) {
      this.detect(conn, dir, buf, off, len, ts);
    }
  }

  streamGap(dir: Direction, len: number): void {
    const conn = this.cur!;
    this.stats.tcpGaps++;
    this.stats.tcpGapBytes += len;
    this.sink.anomaly('tcp-gap', 'bytes missing from a TCP stream (capture loss or a segment cut by the snaplen)', this.where());
    if (conn.mode === MODE_STREAM) {
      try {
        conn.parser!.gap(dir, len);
      } catch (err) {
        this.analyzerFailed(conn.protocol, err);
        conn.mode = MODE_NONE;
        conn.parser = undefined;
      }
    } else if (conn.mode === MODE_DETECT) {
      conn.mode = MODE_NONE;
      this.dropProbe(conn);
    }
  }

  /**
   * Offers a connection's first bytes to the analyzers. A direction's first
   * chunk is tried in place; bytes are copied only when nobody claims them
   * yet, into one growing buffer per direction, so later tries see
   * everything that direction sent so far.
   */
  private detect(conn: Conn, dir: Direction, buf: Uint8Array, off: number, len: number, ts: number): void {
    const chunk = buf.subarray(off, off + len);
    let first = chunk;
    const held = dir === 0 ? conn.probe0 : conn.probe1;
    if (held) {
      const have = dir === 0 ? conn.probe0Len : conn.probe1Len;
      const grown = this.append(held, have, chunk);
      if (dir === 0) { conn.probe0 = grown; conn.probe0Len = have + len; }
      else { conn.probe1 = grown; conn.probe1Len = have + len; }
      first = grown.subarray(0, have + len);
    }
    const info = (conn.info ??= this.info(conn));
    for (const an of this.streamAnalyzers) {
      let ok = false;
      try {
        ok = an.detect(dir, first, info);
      } catch (err) {
        this.analyzerFailed(an.name, err);
      }
      if (!ok) continue;
      conn.mode = MODE_STREAM;
      conn.claimed = true;
      conn.protocol = an.protocol;
      conn.sink = new ConnSink(conn, this);
      try {
        const parser = an.create(info, conn.sink);
        conn.parser = parser;
        this.replay(conn, parser, dir, chunk, ts, held !== undefined);
      } catch (err) {
        this.analyzerFailed(an.name, err);
        conn.mode = MODE_NONE;
        conn.parser = undefined;
      }
      this.dropProbe(conn);
      return;
    }
    conn.probeBytes += len;
    if (conn.probeBytes >= DETECT_MAX_BYTES || ++conn.probeTries >= DETECT_MAX_CHUNKS) {
      conn.mode = MODE_NONE;
      this.dropProbe(conn);
      return;
    }
    if (!held) {
      const b = this.append(new Uint8Array(Math.max(1024, len)), 0, chunk);
      if (dir === 0) { conn.probe0 = b; conn.probe0Len = len; }
      else { conn.probe1 = b; conn.probe1Len = len; }
    }
    (conn.probeOrder ??= []).push(dir, len, ts);
  }

  private append(into: Uint8Array, have: number, chunk: Uint8Array): Uint8Array {
    let b = into;
    if (have + chunk.length > b.length) {
      b = new Uint8Array(Math.max(b.length * 2, have + chunk.length));
      b.set(into.subarray(0, have));
    }
    b.set(chunk, have);
    return b;
  }

  /** Hands the new owner everything seen so far, in arrival order across directions. */
  private replay(conn: Conn, parser: StreamParser, dir: Direction, chunk: Uint8Array, ts: number, chunkHeld: boolean): void {
    const order = conn.probeOrder;
    if (order) {
      const at: [number, number] = [0, 0];
      for (let i = 0; i < order.length; i += 3) {
        const d = order[i] as Direction;
        const len = order[i + 1];
        const src = d === 0 ? conn.probe0! : conn.probe1!;
        parser.data(d, src.subarray(at[d], at[d] + len), order[i + 2]);
        at[d] += len;
      }
    }
    // The current chunk, which may have been appended to its direction's buffer.
    parser.data(dir, chunkHeld ? (dir === 0 ? conn.probe0! : conn.probe1!).subarray((dir === 0 ? conn.probe0Len : conn.probe1Len) - chunk.length, dir === 0 ? conn.probe0Len : conn.probe1Len) : chunk, ts);
  }

  private dropProbe(conn: Conn): void {
    conn.probe0 = undefined;
    conn.probe1 = undefined;
    conn.probeOrder = undefined;
  }

  private analyzerFailed(name: string, err: unknown): void {
    this.sink.anomaly('analyzer-error', `${name} analyzer failed: ${(err as Error)?.message ?? String(err)}`, this.where());
  }

  private info(conn: Conn): ConnectionInfo {
    return new ConnInfo(conn.client, conn.server, conn.pa, conn.pb, conn.proto === PROTO_TCP ? 'tcp' : 'udp');
  }

  private remove(conn: Conn): void {
    this.table.remove(conn);
    this.live--;
  }

  /** Closed a while ago, or idle: made once, not per sweep. */
  private readonly isDone = (c: Conn): boolean => {
    const idle = this.now - c.last;
    return (c.closed && idle > CLOSED_LINGER_MS) || idle > (c.proto === PROTO_TCP ? this.tcpIdleMs : this.udpIdleMs);
  };

  /** Reports connections that closed a while ago or went idle. */
  private sweep(): void {
    const now = this.now;
    this.frags?.expire(now);
    const done = this.table.select(this.isDone, []);
    if (done.length > 1) done.sort(bySeq);
    for (const c of done) {
      this.remove(c);
      this.finish(c);
    }
  }

  /** The table is full: reports and drops the least recently active quarter. */
  private evict(): void {
    const all = this.table.collect([]);
    all.sort((x, y) => x.last - y.last);
    const n = Math.max(1, all.length >> 2);
    this.sink.anomaly('connection-table-full', `more than ${this.maxConnections} live connections; the ${n} least recently active were reported early`, this.where());
    for (let i = 0; i < n; i++) {
      this.remove(all[i]);
      this.finish(all[i]);
    }
  }

  /** End of all input: every connection still open is reported. */
  end(): void {
    this.frags?.end();
    const all = this.table.collect([]).sort(bySeq);
    this.table.clear();
    this.live = 0;
    for (const c of all) this.finish(c);
  }

  private finish(conn: Conn): void {
    if (conn.half0) {
      this.cur = conn;
      // Held bytes are delivered with the connection's last time; a finish
      // can happen in the middle of another connection's packet.
      const ts = this.streamTs;
      this.streamTs = conn.last;
      conn.half0.flush(0, this);
      conn.half1!.flush(1, this);
      this.streamTs = ts;
    }
    if (conn.parser) {
      try {
        conn.parser.end(conn.last);
      } catch (err) {
        this.analyzerFailed(conn.protocol, err);
      }
    }
    const tcp = conn.proto === PROTO_TCP;
    let state: ConnectionRecord['state'];
    if (tcp) {
      if (conn.synAck) state = conn.closed ? 'closed' : 'established';
      else if (conn.synIsn >= 0) state = conn.rst && conn.pay0 + conn.pay1 === 0 ? 'rejected' : conn.pk1 === 0 ? 'attempt' : 'midstream';
      else state = 'midstream';
    } else state = conn.pk1 > 0 ? 'bidirectional' : 'oneway';
    const transport: L4 = tcp ? 'tcp' : conn.proto === PROTO_UDP ? 'udp' : conn.proto === PROTO_ICMP || conn.proto === PROTO_ICMP6 ? 'icmp' : 'other';
    // One record, refilled per connection: sinks read it during the call (FlowSink says so).
    const r = this.record;
    r.client = conn.client;
    r.server = conn.server;
    r.clientPort = conn.pa;
    r.serverPort = conn.pb;
    r.transport = transport;
    r.protocol = conn.protocol;
    r.protocolFrom = conn.claimed ? 'content' : 'none';
    r.encrypted = conn.encrypted;
    r.phi = conn.phi;
    r.facts = conn.facts;
    r.firstSeen = conn.first;
    r.lastSeen = conn.last;
    r.packets[0] = conn.pk0;
    r.packets[1] = conn.pk1;
    r.ipBytes[0] = conn.ip0;
    r.ipBytes[1] = conn.ip1;
    r.frameBytes[0] = conn.fr0;
    r.frameBytes[1] = conn.fr1;
    r.payloadBytes[0] = conn.pay0;
    r.payloadBytes[1] = conn.pay1;
    r.clientMac = conn.clientMac;
    r.serverMac = conn.serverMac;
    r.state = state;
    r.gaps = tcp ? conn.half0!.gaps + conn.half1!.gaps : 0;
    r.gapBytes = tcp ? conn.half0!.gapBytes + conn.half1!.gapBytes : 0;
    r.retransmittedBytes = tcp ? conn.half0!.retransmitted + conn.half1!.retransmitted : 0;
    this.sink.connection(r);
    // The facts now belong to the sink.
    r.facts = undefined;
  }
}
