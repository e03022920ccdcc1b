/**
 * Folds finished connections into flow edges (client -> server:port per
 * transport and application protocol) and host facts, and counts anomalies.
 * Implements the pipeline's FlowSink structurally.
 */
import type { ConnectionRecord } from '../decoders/connection.ts';
import { emptyHost } from './merge.ts';
import { compactFacts, mergeFactsInto } from './merge-facts.ts';
import { edgeKey, type Anomaly, type FlowEdge, type HostFacts, type Observations, type ProtocolRecord } from './types.ts';

export interface AggregatorOptions {
  /** Source tag on every edge: "pcap", "sensor:<site>". */
  source?: string;
  /** Gets every protocol record (for --logs); records are dropped otherwise. */
  onRecord?(rec: ProtocolRecord): void;
}

/** Small numbers for the innermost edge index key (port, transport, protocol). */
const TRANSPORT_CODE: Record<string, number> = { tcp: 0, udp: 1, icmp: 2, other: 3 };
const PROTOCOL_CODE: Record<string, number> = {
  unknown: 0, dicom: 1, 'dicom-tls': 2, hl7: 3, 'hl7-tls': 4, http: 5, fhir: 6, dicomweb: 7, tls: 8, dns: 9,
};

/** Port, transport and protocol in one number (protocols without a code share 31 and are told apart by comparison). */
function edgeCode(port: number, transport: string, protocol: string): number {
  return port * 256 + (TRANSPORT_CODE[transport] ?? 3) * 32 + (PROTOCOL_CODE[protocol] ?? 31);
}

/**
 * A new edge. A class rather than an object literal: V8 tracks each literal
 * site's objects for pretenuring, and on the mix bench the literal here cost
 * 0.5 µs per edge against nothing measurable for the class. Its fields are
 * FlowEdge's, declared in the same order, so JSON output is unchanged.
 */
class EdgeRecord implements FlowEdge {
  src: string;
  dst: string;
  transport: FlowEdge['transport'];
  dport: number;
  protocol: FlowEdge['protocol'];
  protocolFrom: FlowEdge['protocolFrom'];
  bytes = 0;
  packets = 0;
  sessions = 0;
  firstSeen: number;
  lastSeen: number;
  encrypted = false;
  phi = false;
  facts: FlowEdge['facts'] = {};
  sources: string[];

  constructor(c: ConnectionRecord, proto: FlowEdge['protocol'], sources: string[]) {
    this.src = c.client;
    this.dst = c.server;
    this.transport = c.transport;
    this.dport = c.serverPort;
    this.protocol = proto;
    this.protocolFrom = c.protocolFrom;
    this.firstSeen = c.firstSeen;
    this.lastSeen = c.lastSeen;
    this.sources = sources;
  }
}

export class FlowAggregator {
  /** Every edge, in the order first seen (an array: a Set hashes each new edge object, a third of this function's time). */
  readonly edges: FlowEdge[] = [];
  /**
   * Edges by client, then server, then port/transport/protocol. The address
   * strings come interned from the pipeline, so a lookup hashes nothing and
   * builds no key string (this runs once per connection).
   */
  private readonly index = new Map<string, Map<string, FlowEdge | Map<number, FlowEdge>>>();
  readonly hosts = new Map<string, HostFacts>();
  readonly anomalies = new Map<string, Anomaly>();
  /** Protocol records delivered, per log name (analyzers may skip building them when `wantsRecords` is false). */
  readonly recordCounts = new Map<string, number>();
  private readonly source: string;
  /** One array shared by every edge of this aggregator (merging makes new arrays; nothing pushes into it). */
  private readonly sources: string[];
  private readonly onRecord?: (rec: ProtocolRecord) => void;

  constructor(opts: AggregatorOptions = {}) {
    this.source = opts.source ?? 'pcap';
    this.sources = [this.source];
    this.onRecord = opts.onRecord;
  }

  connection(c: ConnectionRecord): void {
    const proto = c.protocol;
    let byServer = this.index.get(c.client);
    if (!byServer) {
      byServer = new Map();
      this.index.set(c.client, byServer);
    }
    const code = edgeCode(c.serverPort, c.transport, proto);
    // Most address pairs have one edge: it sits in the server map itself,
    // and a port map is made only for the second (a small map is 180 bytes).
    const slot = byServer.get(c.server);
    let e: FlowEdge | undefined;
    if (slot instanceof Map) e = slot.get(code);
    else if (slot && edgeCode(slot.dport, slot.transport, slot.protocol) === code) e = slot;
    if (e && (e.transport !== c.transport || e.protocol !== proto)) e = this.findSlow(c);
    if (!e) {
      e = new EdgeRecord(c, proto, this.sources);
      this.edges.push(e);
      if (!slot) byServer.set(c.server, e);
      else if (slot instanceof Map) {
        if (!slot.has(code)) slot.set(code, e);
      } else if (edgeCode(slot.dport, slot.transport, slot.protocol) !== code) {
        byServer.set(c.server, new Map([[edgeCode(slot.dport, slot.transport, slot.protocol), slot], [code, e]]));
      }
    }
    e.bytes += c.ipBytes[0] + c.ipBytes[1];
    e.packets += c.packets[0] + c.packets[1];
    e.sessions++;
    if (c.firstSeen < e.firstSeen) e.firstSeen = c.firstSeen;
    if (c.lastSeen > e.lastSeen) e.lastSeen = c.lastSeen;
    if (c.protocolFrom === 'content') e.protocolFrom = 'content';
    e.encrypted ||= c.encrypted;
    e.phi ||= c.phi;
    // The connection's facts are discarded after this: adopt them, do not
    // copy; an edge's first connection hands over its facts whole.
    if (c.facts) {
      if (e.sessions === 1) {
        compactFacts(c.facts);
        e.facts = c.facts;
      }
      else mergeFactsInto(e.facts, c.facts, { take: true });
    }

    const client = this.host(c.client);
    const server = this.host(c.server);
    seen(client, c.firstSeen, c.lastSeen);
    seen(server, c.firstSeen, c.lastSeen);
    if (c.clientMac && !client.macs.includes(c.clientMac) && client.macs.length < 16) client.macs.push(c.clientMac);
    if (c.serverMac && !server.macs.includes(c.serverMac) && server.macs.length < 16) server.macs.push(c.serverMac);
    // A port listens when it answered: a TCP handshake, or a UDP reply.
    const answered = c.state === 'established' || c.state === 'closed' || c.state === 'bidirectional'
      || (c.state === 'midstream' && c.packets[1] > 0);
    if (answered && (c.transport === 'tcp' || c.transport === 'udp')) {
      const lp = server.listeningPorts.find((p) => p.transport === c.transport && p.port === c.serverPort);
      if (!lp) server.listeningPorts.push({ transport: c.transport, port: c.serverPort, protocol: proto });
      else if (lp.protocol === 'unknown') lp.protocol = proto;
    }
    if (c.gaps > 0) this.anomaly('tcp-gap-connection', `${c.client}:${c.clientPort}>${c.server}:${c.serverPort} lost ${c.gapBytes} bytes in ${c.gaps} gap(s)`);
  }

  /** A protocol name this file has no code for shares code 31: find its edge by comparison. */
  private findSlow(c: ConnectionRecord): FlowEdge | undefined {
    const k = edgeKey({ src: c.client, dst: c.server, transport: c.transport, dport: c.serverPort, protocol: c.protocol });
    for (const e of this.edges) if (edgeKey(e) === k) return e;
    return undefined;
  }

  /** Hands the edges over and starts afresh (the monitor does this per window). */
  clearEdges(): void {
    this.edges.length = 0;
    this.index.clear();
  }

  host(address: string): HostFacts {
    let h = this.hosts.get(address);
    if (!h) {
      h = emptyHost(address);
      this.hosts.set(address, h);
    }
    return h;
  }

  /** Records only go somewhere when a consumer was given; analyzers skip building them otherwise. */
  get wantsRecords(): boolean {
    return this.onRecord !== undefined;
  }

  record(rec: ProtocolRecord): void {
    this.recordCounts.set(rec.log, (this.recordCounts.get(rec.log) ?? 0) + 1);
    this.onRecord?.(rec);
  }

  anomaly(kind: string, message: string, where?: string): void {
    const a = this.anomalies.get(kind);
    if (a) a.count++;
    else this.anomalies.set(kind, { kind, message, where, count: 1 });
  }

  toObservations(inputs: Observations['inputs'] = []): Observations {
    const hosts = [...this.hosts.values()].filter((h) => h.firstSeen > 0 || h.roles.length || h.aeTitles.length);
    return { edges: this.edges.slice(), hosts, anomalies: [...this.anomalies.values()], inputs };
  }
}

function seen(h: HostFacts, first: number, last: number): void {
  if (h.firstSeen === 0 || first < h.firstSeen) h.firstSeen = first;
  if (last > h.lastSeen) h.lastSeen = last;
}
