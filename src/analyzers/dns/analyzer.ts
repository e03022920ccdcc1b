/**
 * DNS analyzer over UDP and over TCP (two-byte length prefix). Each message
 * becomes a `dns` record; answered addresses get the names they answer to,
 * so that flows to external partners carry names.
 */
import type {
  AnalyzerSink, ConnectionInfo, DatagramAnalyzer, Direction, StreamAnalyzer, StreamParser,
} from '../../decoders/analyzer.ts';
import type { ProtocolRecord } from '../../observations/types.ts';
import { parseDns, RCODE_NAMES, reverseName, typeName } from './message.ts';
import type { DnsMessage } from './message.ts';
import { appendBytes } from '../bytes.ts';

export interface DnsRecord extends ProtocolRecord {
  log: 'dns';
  transport: 'udp' | 'tcp';
  id: number;
  qr: 'query' | 'response';
  query?: string;
  qtype?: string;
  /** Responses only. */
  rcode?: string;
  answers?: Array<{ name: string; type: string; ttl: number; data?: string; port?: number }>;
  truncated?: boolean;
  error?: string;
}

/** Ports where DNS-format messages are expected: DNS, mDNS, LLMNR. Elsewhere detection is stricter. */
const DNS_PORTS = new Set([53, 5353, 5355]);
const MAX_NAMES = 256;

function addUnique(list: string[], v: string | undefined, max = 64): void {
  if (v === undefined || v === '' || list.length >= max || list.includes(v)) return;
  list.push(v);
}

function toRecord(msg: DnsMessage, ts: number, conn: ConnectionInfo): DnsRecord {
  const rec: DnsRecord = { log: 'dns', ts, conn: conn.id, transport: conn.transport, id: msg.id, qr: msg.response ? 'response' : 'query' };
  const q = msg.questions[0];
  if (q) {
    rec.query = q.name;
    rec.qtype = typeName(q.type);
  }
  if (msg.response) {
    rec.rcode = RCODE_NAMES[msg.rcode] ?? String(msg.rcode);
    rec.answers = msg.answers.map((a) => {
      const o: { name: string; type: string; ttl: number; data?: string; port?: number } = { name: a.name, type: typeName(a.type), ttl: a.ttl };
      if (a.data !== undefined) o.data = a.data;
      if (a.port !== undefined) o.port = a.port;
      return o;
    });
  }
  if (msg.truncated) rec.truncated = true;
  if (msg.error) rec.error = msg.error;
  return rec;
}

/** Reports one parsed message: record, edge names, responder role, and names of answered addresses. */
export function reportDns(msg: DnsMessage, dir: Direction, ts: number, conn: ConnectionInfo, sink: AnalyzerSink): void {
  sink.record(toRecord(msg, ts, conn));
  if (msg.error) sink.anomaly('dns.malformed', msg.error);
  const f = sink.facts();
  f.dns ??= { names: [] };
  for (const q of msg.questions) addUnique(f.dns.names, q.name, MAX_NAMES);
  if (!msg.response) return;
  const responder = dir === 0 ? conn.client : conn.server;
  const port = dir === 0 ? conn.clientPort : conn.serverPort;
  const host = sink.host(responder);
  addUnique(host.roles, 'dns-server');
  if (!host.listeningPorts.some((p) => p.transport === conn.transport && p.port === port)) {
    host.listeningPorts.push({ transport: conn.transport, port, protocol: 'dns' });
  }
  if (msg.rcode !== 0) return;
  const qname = msg.questions[0]?.name;
  for (const a of msg.answers) {
    if ((a.type === 1 || a.type === 28) && a.data) {
      const h = sink.host(a.data).hostnames;
      addUnique(h, a.name.toLowerCase());
      // The name the client asked for, when it reached the address through CNAMEs.
      if (qname && qname !== a.name) addUnique(h, qname.toLowerCase());
    } else if (a.type === 12 && a.data) {
      const addr = reverseName(a.name);
      if (addr) addUnique(sink.host(addr).hostnames, a.data.toLowerCase());
    }
  }
}

/** A DNS message that is plausible enough to claim a flow on any port. */
function plausible(msg: DnsMessage | undefined, strict: boolean): boolean {
  if (!msg || msg.opcode > 6 || msg.opcode === 3) return false;
  if (!strict) return msg.questions.length > 0 || msg.response;
  return msg.error === undefined && msg.qdcount === 1 && msg.questions.length === 1;
}

export const dnsAnalyzer: DatagramAnalyzer = {
  name: 'dns',
  protocol: 'dns',
  detect(payload, conn) {
    const hinted = DNS_PORTS.has(conn.serverPort) || DNS_PORTS.has(conn.clientPort);
    const msg = parseDns(payload);
    if (!plausible(msg, !hinted)) return false;
    return hinted || msg?.length === payload.length;
  },
  datagram(dir, payload, ts, conn, sink) {
    const msg = parseDns(payload);
    if (!msg) {
      sink.anomaly('dns.short', `DNS message of ${payload.length} bytes`);
      return;
    }
    reportDns(msg, dir, ts, conn, sink);
  },
};

const MAX_TCP_MESSAGE = 65535 + 2;

/** DNS over TCP: each message is preceded by its two-byte length (RFC 1035 4.2.2). */
class DnsTcpConnection implements StreamParser {
  private readonly conn: ConnectionInfo;
  private readonly sink: AnalyzerSink;
  private readonly buf: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly len: [number, number] = [0, 0];
  private readonly dead: [boolean, boolean] = [false, false];

  constructor(conn: ConnectionInfo, sink: AnalyzerSink) {
    this.conn = conn;
    this.sink = sink;
  }

  data(dir: Direction, chunk: Uint8Array, ts: number): void {
    if (this.dead[dir]) return;
    let i = 0;
    if (this.len[dir] === 0) {
      // Whole messages in this chunk are parsed in place.
      while (chunk.length - i >= 2) {
        const l = (chunk[i] << 8) | chunk[i + 1];
        if (i + 2 + l > chunk.length) break;
        this.message(dir, chunk, i + 2, i + 2 + l, ts);
        i += 2 + l;
      }
      if (i < chunk.length) this.append(dir, chunk, i);
      return;
    }
    this.append(dir, chunk, 0);
    let p = 0;
    const b = this.buf[dir];
    while (this.len[dir] - p >= 2) {
      const l = (b[p] << 8) | b[p + 1];
      if (p + 2 + l > this.len[dir]) break;
      this.message(dir, b, p + 2, p + 2 + l, ts);
      p += 2 + l;
    }
    if (p > 0) {
      b.copyWithin(0, p, this.len[dir]);
      this.len[dir] -= p;
    }
  }

  gap(dir: Direction): void {
    // Length framing cannot be recovered after lost bytes.
    this.dead[dir] = true;
    this.sink.anomaly('dns.gap', 'bytes missing in a DNS-over-TCP stream');
  }

  end(): void {
    if (this.len[0] > 0 || this.len[1] > 0) this.sink.anomaly('dns.truncated', 'connection ended inside a DNS message');
  }

  private message(dir: Direction, b: Uint8Array, start: number, end: number, ts: number): void {
    const msg = parseDns(b, start, end);
    if (!msg) {
      this.sink.anomaly('dns.short', `DNS message of ${end - start} bytes`);
      return;
    }
    reportDns(msg, dir, ts, this.conn, this.sink);
  }

  private append(dir: Direction, chunk: Uint8Array, from: number): void {
    const need = this.len[dir] + chunk.length - from;
    if (need > MAX_TCP_MESSAGE * 2) {
      this.dead[dir] = true;
      return;
    }
    this.buf[dir] = appendBytes(this.buf[dir], this.len[dir], chunk, from, chunk.length);
    this.len[dir] = need;
  }
}

export const dnsTcpAnalyzer: StreamAnalyzer = {
  name: 'dns-tcp',
  protocol: 'dns',
  detect(dir, first, conn) {
    if (first.length < 14) return false;
    const l = (first[0] << 8) | first[1];
    if (l < 12) return false;
    const end = Math.min(first.length, 2 + l);
    const msg = parseDns(first, 2, end);
    const hinted = conn.serverPort === 53 || conn.clientPort === 53;
    if (!msg || msg.response !== (dir === 1)) return false;
    if (hinted) return plausible(msg, false);
    // Elsewhere only a complete, exactly sized query is convincing.
    return end === 2 + l && plausible(msg, true) && msg.length === l;
  },
  create(conn, sink) {
    return new DnsTcpConnection(conn, sink);
  },
};
