/**
 * A small harness for analyzer tests: TCP streams out of a capture (tshark's
 * "follow" output, one run for all streams), a sink that aggregates records,
 * edge facts and host facts the way the pipeline does, and helpers to feed
 * byte streams to an analyzer in arbitrary chunkings.
 */
import { execFileSync } from 'node:child_process';
import type { AnalyzerSink, ConnectionInfo, Direction, StreamAnalyzer } from '../../src/decoders/analyzer.ts';
import type { AppProtocol, EdgeFacts, HostFacts, ProtocolRecord } from '../../src/observations/types.ts';

export interface Chunk {
  dir: Direction;
  bytes: Uint8Array;
}

export interface TcpStream {
  index: number;
  conn: ConnectionInfo;
  chunks: Chunk[];
}

export function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}

function splitEndpoint(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

export function connectionInfo(client: string, clientPort: number, server: string, serverPort: number): ConnectionInfo {
  return { id: `${client}:${clientPort}>${server}:${serverPort}/tcp`, client, server, clientPort, serverPort, transport: 'tcp' };
}

/**
 * Every TCP stream of a capture with its payload per direction, chunked as
 * the segments were (tshark -z follow,tcp,raw). Node 0 is the side that sent
 * the first packet, normally the SYN: the client.
 */
export function tcpStreams(pcap: string, extraArgs: string[] = []): TcpStream[] {
  const ids = [...new Set(tshark(['-r', pcap, ...extraArgs, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.stream']).split('\n').filter(Boolean))];
  if (ids.length === 0) return [];
  const out = tshark(['-r', pcap, ...extraArgs, '-q', ...ids.flatMap((i) => ['-z', `follow,tcp,raw,${i}`])]);
  const streams: TcpStream[] = [];
  let cur: TcpStream | undefined;
  let node0: [string, number] | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('Filter: tcp.stream eq ')) {
      cur = { index: Number(line.slice(22)), conn: connectionInfo('', 0, '', 0), chunks: [] };
      streams.push(cur);
    } else if (line.startsWith('Node 0: ')) node0 = splitEndpoint(line.slice(8));
    else if (line.startsWith('Node 1: ') && cur && node0) {
      const [addr, port] = splitEndpoint(line.slice(8));
      cur.conn = connectionInfo(node0[0], node0[1], addr, port);
    } else if (cur && /^\t?[0-9a-f]+$/.test(line)) {
      const dir: Direction = line.startsWith('\t') ? 1 : 0;
      cur.chunks.push({ dir, bytes: Buffer.from(line.trim(), 'hex') });
    }
  }
  return streams.sort((a, b) => a.index - b.index);
}

export function newHost(address: string): HostFacts {
  return { address, macs: [], hostnames: [], roles: [], aeTitles: [], hl7Applications: [], modalities: [], software: [], listeningPorts: [], firstSeen: 0, lastSeen: 0 };
}

export interface CollectedEdge {
  key: string;
  protocol: AppProtocol;
  phi: boolean;
  encrypted: boolean;
  facts: EdgeFacts;
  sessions: number;
}

/** Aggregates what analyzers report, keyed like flow edges (client>server/tcp/port). */
export class Collector {
  readonly records: ProtocolRecord[] = [];
  readonly edges = new Map<string, CollectedEdge>();
  readonly hosts = new Map<string, HostFacts>();
  readonly anomalies: Array<{ kind: string; message: string; conn: string }> = [];

  sinkFor(conn: ConnectionInfo, protocol: AppProtocol): AnalyzerSink {
    const key = `${conn.client}>${conn.server}/${conn.transport}/${conn.serverPort}`;
    const edge = () => {
      let e = this.edges.get(key);
      if (!e) {
        e = { key, protocol, phi: false, encrypted: false, facts: {}, sessions: 0 };
        this.edges.set(key, e);
      }
      return e;
    };
    return {
      record: (rec) => {
        this.records.push(rec);
      },
      facts: () => edge().facts,
      host: (address) => {
        let h = this.hosts.get(address);
        if (!h) {
          h = newHost(address);
          this.hosts.set(address, h);
        }
        return h;
      },
      setProtocol: (p, opts) => {
        const e = edge();
        e.protocol = p;
        if (opts?.phi) e.phi = true;
        if (opts?.encrypted) e.encrypted = true;
      },
      anomaly: (kind, message) => {
        this.anomalies.push({ kind, message, conn: conn.id });
      },
    };
  }

  /** Everything collected, as one string: for PHI canary assertions. */
  dump(): string {
    return JSON.stringify({ records: this.records, edges: [...this.edges.values()], hosts: [...this.hosts.values()], anomalies: this.anomalies });
  }

  recordsOf(log: string): ProtocolRecord[] {
    return this.records.filter((r) => r.log === log);
  }
}

/**
 * Offers a stream to the analyzers as the pipeline does (first bytes of the
 * first direction that sent any), then feeds every chunk in order and ends
 * it. Returns the analyzer that claimed it, if any.
 */
export function runStream(analyzers: StreamAnalyzer[], stream: Pick<TcpStream, 'conn' | 'chunks'>, collector: Collector, ts = 0): StreamAnalyzer | undefined {
  const first = stream.chunks[0];
  if (!first) return undefined;
  // Like the pipeline, offer up to 256 leading bytes of the first direction, however they were cut.
  const lead: Uint8Array[] = [];
  let have = 0;
  for (const c of stream.chunks) {
    if (have >= 256) break;
    if (c.dir !== first.dir) continue;
    lead.push(c.bytes);
    have += c.bytes.length;
  }
  const head = Buffer.concat(lead).subarray(0, 256);
  const owner = analyzers.find((a) => a.detect(first.dir, head, stream.conn));
  if (!owner) return undefined;
  const parser = owner.create(stream.conn, collector.sinkFor(stream.conn, owner.protocol));
  let t = ts;
  for (const c of stream.chunks) parser.data(c.dir, c.bytes, t++);
  parser.end(t);
  return owner;
}

export function runStreams(analyzers: StreamAnalyzer[], streams: TcpStream[], collector = new Collector()): Collector {
  for (const s of streams) runStream(analyzers, s, collector);
  return collector;
}

/** Deterministic PRNG (xorshift32) for chunkings and fuzzing. */
export { xorshift as rng } from '../../fuzz/lib.ts';

/**
 * The same byte stream cut differently: consecutive chunks of one direction
 * are joined and re-split at sizes from `size()` (1 = byte by byte).
 */
export function rechunk(chunks: Chunk[], size: () => number): Chunk[] {
  const out: Chunk[] = [];
  let i = 0;
  while (i < chunks.length) {
    const dir = chunks[i].dir;
    const run: Uint8Array[] = [];
    while (i < chunks.length && chunks[i].dir === dir) run.push(chunks[i++].bytes);
    const all = Buffer.concat(run);
    for (let p = 0; p < all.length;) {
      const n = Math.max(1, Math.min(all.length - p, size()));
      out.push({ dir, bytes: all.subarray(p, p + n) });
      p += n;
    }
  }
  return out;
}

/** Wraps HL7 text in MLLP, turning LF/CRLF segment ends into CR. */
export function mllp(message: string | Uint8Array): Uint8Array {
  const body = typeof message === 'string' ? Buffer.from(message.replace(/\r?\n/g, '\r'), 'latin1') : message;
  return Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]);
}

export interface RecordedConnection {
  conn: ConnectionInfo;
  chunks: Chunk[];
  /** Resolves when both sides have closed. */
  closed: Promise<void>;
}

export interface RecordingProxy {
  port: number;
  connections: RecordedConnection[];
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of a real server that records every chunk
 * each side sent, in order: the bytes a passive sensor would see, without
 * needing a capture interface.
 */
export async function recordingProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<RecordingProxy> {
  const net = await import('node:net');
  const connections: RecordedConnection[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const rec: RecordedConnection = {
      conn: connectionInfo(client.remoteAddress ?? '127.0.0.1', client.remotePort ?? 0, targetHost, targetPort),
      chunks: [],
      closed: Promise.all([
        new Promise<void>((r) => client.once('close', () => r())),
        new Promise<void>((r) => upstream.once('close', () => r())),
      ]).then(() => undefined),
    };
    connections.push(rec);
    client.on('data', (d: Buffer) => {
      rec.chunks.push({ dir: 0, bytes: Uint8Array.from(d) });
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      rec.chunks.push({ dir: 1, bytes: Uint8Array.from(d) });
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0b, 0x0d, 0x1c, 0x7c, 0x5e, 0x7f, 0x80, 0xfe, 0xff];

/**
 * One structure-blind mutation of a real sample, AFL-style: bit flips,
 * interesting bytes, big-endian length fields overwritten, ranges deleted,
 * duplicated or spliced from another sample, truncation. `tokens` are
 * protocol bytes worth inserting ("MSH|", "\x1c\r").
 */
export function mutate(sample: Uint8Array, other: Uint8Array, r: () => number, tokens: Uint8Array[] = []): Uint8Array {
  let b = Buffer.from(sample);
  const rounds = 1 + Math.floor(r() * 4);
  for (let k = 0; k < rounds; k++) {
    const pos = Math.floor(r() * Math.max(1, b.length));
    switch (Math.floor(r() * 9)) {
      case 0: if (b.length) b[pos] ^= 1 << Math.floor(r() * 8); break;
      case 1: if (b.length) b[pos] = INTERESTING[Math.floor(r() * INTERESTING.length)]; break;
      case 2: if (b.length) b[pos] = Math.floor(r() * 256); break;
      case 3: if (b.length >= pos + 4) b.writeUInt32BE([0, 1, 2, 6, 0x7fffffff, 0xffffffff, Math.floor(r() * 0x10000)][Math.floor(r() * 7)] >>> 0, pos); break;
      case 4: b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + Math.floor(r() * 64)))]); break;
      case 5: {
        const len = Math.floor(r() * 256);
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + len), b.subarray(pos)]);
        break;
      }
      case 6: {
        const at = Math.floor(r() * Math.max(1, other.length));
        b = Buffer.concat([b.subarray(0, pos), other.subarray(at, at + Math.floor(r() * 512)), b.subarray(pos)]);
        break;
      }
      case 7: b = b.subarray(0, pos); break;
      default:
        if (tokens.length) b = Buffer.concat([b.subarray(0, pos), tokens[Math.floor(r() * tokens.length)], b.subarray(pos)]);
        break;
    }
  }
  return b;
}

/** A sink that only counts, for fuzzing at speed; checks what every record must satisfy. */
export function countingSink(check: (rec: ProtocolRecord) => void): AnalyzerSink & { records: number; anomalies: number } {
  const facts: EdgeFacts = {};
  const hosts = new Map<string, HostFacts>();
  const sink = {
    records: 0,
    anomalies: 0,
    record(rec: ProtocolRecord) {
      sink.records++;
      check(rec);
    },
    facts: () => facts,
    host(address: string) {
      let h = hosts.get(address);
      if (!h) hosts.set(address, (h = newHost(address)));
      return h;
    },
    setProtocol() {},
    anomaly() {
      sink.anomalies++;
    },
  };
  return sink;
}
