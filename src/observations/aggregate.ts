/**
 * Folds finished connections into flow edges (client -> server:port per
 * transport and application protocol) and host facts, and counts anomalies.
 * Implements the pipeline's FlowSink structurally.
 */
import type { ConnectionRecord } from '../decoders/connection.ts';
import { emptyHost } from './merge.ts';
import { mergeFactsInto } from './merge-facts.ts';
import { edgeKey, type Anomaly, type FlowEdge, type HostFacts, type Observations, type ProtocolRecord } from './types.ts';

export interface AggregatorOptions {
  /** Source tag on every edge: "pcap", "sensor:<site>". */
  source?: string;
  /** Gets every protocol record (for --logs); records are dropped otherwise. */
  onRecord?(rec: ProtocolRecord): void;
}

export class FlowAggregator {
  readonly edges = new Map<string, FlowEdge>();
  readonly hosts = new Map<string, HostFacts>();
  readonly anomalies = new Map<string, Anomaly>();
  /** Protocol records delivered, per log name (analyzers may skip building them when `wantsRecords` is false). */
  readonly recordCounts = new Map<string, number>();
  private readonly source: string;
  private readonly onRecord?: (rec: ProtocolRecord) => void;

  constructor(opts: AggregatorOptions = {}) {
    this.source = opts.source ?? 'pcap';
    this.onRecord = opts.onRecord;
  }

  connection(c: ConnectionRecord): void {
    const proto = c.protocol;
    const k = edgeKey({ src: c.client, dst: c.server, transport: c.transport, dport: c.serverPort, protocol: proto });
    let e = this.edges.get(k);
    if (!e) {
      e = {
        src: c.client, dst: c.server, transport: c.transport, dport: c.serverPort, protocol: proto,
        protocolFrom: c.protocolFrom, bytes: 0, packets: 0, sessions: 0, firstSeen: c.firstSeen, lastSeen: c.lastSeen,
        encrypted: false, phi: false, facts: {}, sources: [this.source],
      };
      this.edges.set(k, e);
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
      if (e.sessions === 1) e.facts = c.facts;
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
    return { edges: [...this.edges.values()], hosts, anomalies: [...this.anomalies.values()], inputs };
  }
}

function seen(h: HostFacts, first: number, last: number): void {
  if (h.firstSeen === 0 || first < h.firstSeen) h.firstSeen = first;
  if (last > h.lastSeen) h.lastSeen = last;
}
