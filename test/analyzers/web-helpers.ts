/**
 * Test-only plumbing for the HTTP, TLS and DNS analyzers: tshark extracts
 * the reassembled TCP streams and UDP payloads of a capture, and a recording
 * sink collects what an analyzer reports.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { datagramAnalyzers, streamAnalyzers } from '../../src/analyzers/registry.ts';
import { PacketPipeline } from '../../src/decoders/pipeline.ts';
import { FlowAggregator } from '../../src/observations/aggregate.ts';
import { readCapture } from '../../src/sources/pcap.ts';
import type {
  AnalyzerSink, ConnectionInfo, DatagramAnalyzer, Direction, StreamAnalyzer,
} from '../../src/decoders/analyzer.ts';
import type { AppProtocol, EdgeFacts, HostFacts, Observations, ProtocolRecord } from '../../src/observations/types.ts';

export function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** tshark -T fields output as rows of columns. */
export function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  return tshark(args).split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

export interface TcpStream {
  conn: ConnectionInfo;
  ts: number;
  /** Chunks in capture order, each with its direction (0 = the side that sent the first packet). */
  chunks: Array<{ dir: Direction; data: Uint8Array }>;
}

function endpoint(s: string): { addr: string; port: number } {
  const i = s.lastIndexOf(':');
  let addr = s.slice(0, i);
  if (addr.startsWith('[')) addr = addr.slice(1, -1);
  return { addr, port: Number(s.slice(i + 1)) };
}

/** Every TCP stream of a capture, reassembled by tshark's "follow tcp raw". */
export function tcpStreams(file: string): TcpStream[] {
  const ids = new Map<number, number>();
  for (const [id, ts] of tsharkFields(file, ['tcp.stream', 'frame.time_epoch'], 'tcp')) {
    const n = Number(id);
    if (!ids.has(n)) ids.set(n, Number(ts) * 1000);
  }
  if (ids.size === 0) return [];
  const args = ['-r', file, '-q'];
  for (const id of ids.keys()) args.push('-z', `follow,tcp,raw,${id}`);
  const out = tshark(args);
  const streams: TcpStream[] = [];
  const blocks = out.split('===================================================================\n');
  const order = [...ids.keys()];
  let k = 0;
  for (const block of blocks) {
    if (!block.startsWith('Follow: tcp,raw')) continue;
    const lines = block.split('\n');
    const n0 = lines.find((l) => l.startsWith('Node 0: '));
    const n1 = lines.find((l) => l.startsWith('Node 1: '));
    const streamId = order[k++];
    if (!n0 || !n1) continue;
    const a = endpoint(n0.slice(8));
    const b = endpoint(n1.slice(8));
    const conn: ConnectionInfo = {
      id: `${a.addr}:${a.port}>${b.addr}:${b.port}/tcp`, client: a.addr, server: b.addr, clientPort: a.port, serverPort: b.port, transport: 'tcp',
    };
    const chunks: TcpStream['chunks'] = [];
    for (const l of lines) {
      if (/^\t?[0-9a-f]+$/.test(l)) {
        const dir: Direction = l.startsWith('\t') ? 1 : 0;
        chunks.push({ dir, data: new Uint8Array(Buffer.from(l.trim(), 'hex')) });
      }
    }
    streams.push({ conn, ts: ids.get(streamId) ?? 0, chunks });
  }
  return streams;
}

export interface Datagram {
  conn: ConnectionInfo;
  dir: Direction;
  ts: number;
  payload: Uint8Array;
}

/** Every UDP payload of a capture, with its flow oriented by the first packet seen. */
export function udpDatagrams(file: string): Datagram[] {
  const rows = tsharkFields(file, ['frame.time_epoch', 'ip.src', 'ipv6.src', 'udp.srcport', 'ip.dst', 'ipv6.dst', 'udp.dstport', 'udp.payload'], 'udp');
  const flows = new Map<string, ConnectionInfo>();
  const out: Datagram[] = [];
  for (const [ts, s4, s6, sp, d4, d6, dp, payload] of rows) {
    const src = s4 || s6;
    const dst = d4 || d6;
    const fwd = `${src}:${sp}>${dst}:${dp}/udp`;
    const rev = `${dst}:${dp}>${src}:${sp}/udp`;
    let dir: Direction = 0;
    let conn = flows.get(fwd);
    if (!conn) {
      conn = flows.get(rev);
      if (conn) dir = 1;
    }
    if (!conn) {
      conn = { id: fwd, client: src, server: dst, clientPort: Number(sp), serverPort: Number(dp), transport: 'udp' };
      flows.set(fwd, conn);
    }
    out.push({ conn, dir, ts: Number(ts) * 1000, payload: new Uint8Array(Buffer.from(payload ?? '', 'hex')) });
  }
  return out;
}

/** An AnalyzerSink that keeps everything, as the pipeline would. */
export class RecordingSink implements AnalyzerSink {
  records: ProtocolRecord[] = [];
  edge: EdgeFacts = {};
  hosts = new Map<string, HostFacts>();
  protocol: AppProtocol | undefined;
  encrypted = false;
  phi = false;
  anomalies: Array<{ kind: string; message: string }> = [];

  record(rec: ProtocolRecord): void {
    this.records.push(rec);
  }
  facts(): EdgeFacts {
    return this.edge;
  }
  host(address: string): HostFacts {
    let h = this.hosts.get(address);
    if (!h) {
      h = {
        address, macs: [], hostnames: [], roles: [], aeTitles: [], hl7Applications: [], modalities: [], software: [],
        listeningPorts: [], firstSeen: 0, lastSeen: 0,
      };
      this.hosts.set(address, h);
    }
    return h;
  }
  setProtocol(p: AppProtocol, opts?: { encrypted?: boolean; phi?: boolean }): void {
    this.protocol = p;
    if (opts?.encrypted) this.encrypted = true;
    if (opts?.phi) this.phi = true;
  }
  anomaly(kind: string, message: string): void {
    this.anomalies.push({ kind, message });
  }
  /** Everything the sink holds, as one JSON text (for PHI and credential canaries). */
  dump(): string {
    return JSON.stringify({ records: this.records, edge: this.edge, hosts: [...this.hosts.values()], anomalies: this.anomalies });
  }
}

/**
 * Runs a stream analyzer over a stream. `split` cuts every chunk into pieces
 * of at most that many bytes, to exercise messages that span chunks.
 */
export function runStream(analyzer: StreamAnalyzer, s: TcpStream, split = 0, sink = new RecordingSink()): RecordingSink {
  const first = s.chunks[0];
  if (!first || !analyzer.detect(first.dir, first.data, s.conn)) return sink;
  const p = analyzer.create(s.conn, sink);
  for (const c of s.chunks) {
    if (split <= 0) {
      p.data(c.dir, c.data, s.ts);
      continue;
    }
    for (let i = 0; i < c.data.length; i += split) p.data(c.dir, c.data.subarray(i, Math.min(c.data.length, i + split)), s.ts);
  }
  p.end(s.ts);
  return sink;
}

/** Runs a datagram analyzer over every datagram it detects; one sink per flow. */
export function runDatagrams(analyzer: DatagramAnalyzer, dgs: Datagram[]): Map<string, RecordingSink> {
  const sinks = new Map<string, RecordingSink>();
  for (const d of dgs) {
    if (!analyzer.detect(d.payload, d.conn)) continue;
    let s = sinks.get(d.conn.id);
    if (!s) {
      s = new RecordingSink();
      sinks.set(d.conn.id, s);
    }
    analyzer.datagram(d.dir, d.payload, d.ts, d.conn, s);
  }
  return sinks;
}

export interface CaptureRun {
  records: ProtocolRecord[];
  obs: Observations;
  /** Everything produced, as one JSON text (for PHI and credential canaries). */
  dump: string;
}

/** Runs a capture file through the real packet pipeline with every registered analyzer. */
export async function runCapture(file: string): Promise<CaptureRun> {
  const records: ProtocolRecord[] = [];
  const agg = new FlowAggregator({ onRecord: (r) => records.push(r) });
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  pipe.inputName = file;
  await readCapture(createReadStream(file), file, (p) => pipe.packet(p));
  pipe.end();
  const obs = agg.toObservations();
  return { records, obs, dump: JSON.stringify({ records, obs }) };
}

export function recordsOf(run: CaptureRun, log: string): ProtocolRecord[] {
  return run.records.filter((r) => r.log === log);
}

/**
 * A private network namespace (prefix wl-web-) in which a test runs real
 * servers, clients and a capture on the namespace's own loopback, so that
 * nothing collides with other tests. Always call close() (in finally).
 */
export class WebNamespace {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    this.name = `wl-web-${tag}-${process.pid}`;
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // Not left over from an earlier run.
    }
    execFileSync('ip', ['netns', 'add', this.name]);
    this.exec('ip', ['link', 'set', 'lo', 'up']);
  }

  exec(cmd: string, args: string[], opts: { input?: string } = {}): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
      encoding: 'utf8', input: opts.input, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 30_000,
    });
  }

  spawn(cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** Starts dumpcap on the namespace's loopback; resolves once it captures. Call the returned stop() to finish the file. */
  async capture(file: string, filter: string, opts: { warmPort?: number } = {}): Promise<() => Promise<void>> {
    const child = this.spawn('dumpcap', ['-q', '-i', 'lo', '-P', '-f', filter, '-w', file]);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`dumpcap did not start: ${err}`)), 15_000);
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('Capturing on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`dumpcap exited: ${err}`));
      });
    });
    // "Capturing on" can come before the filter sees packets: under load the
    // first request was missed. With warmPort, open (and close) one bare TCP
    // connection to it and wait until that is in the file.
    const port = opts.warmPort;
    if (port) {
      await waitFor(() => {
        try { this.exec('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]); } catch { /* the server may refuse: the SYN is enough */ }
        return existsSync(file) && statSync(file).size > 24;
      }, 15_000, `dumpcap never wrote a packet to ${file}`);
    }
    return async () => {
      // Let the last packets reach the capture: wait until the file stops growing.
      let last = -1;
      await waitFor(() => {
        const size = existsSync(file) ? statSync(file).size : 0;
        const settled = size === last;
        last = size;
        return settled;
      }, 10_000, 'capture file kept growing', 300);
      await stopChild(child);
    };
  }

  /** Waits until a TCP port in the namespace accepts connections. */
  async waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.exec('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
        return;
      } catch {
        if (Date.now() > until) throw new Error(`port ${port} never opened in ${this.name}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async close(): Promise<void> {
    for (const c of this.children) await stopChild(c);
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string, stepMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(what);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
