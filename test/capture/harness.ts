/** Runs the capture pipeline over a file, and asks tshark about the same file. */
import { createHash, type Hash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { StreamAnalyzer } from '../../src/decoders/analyzer.ts';
import type { ConnectionRecord } from '../../src/decoders/connection.ts';
import { PacketPipeline, type PipelineStats } from '../../src/decoders/pipeline.ts';
import { FlowAggregator } from '../../src/observations/aggregate.ts';
import { openInput } from '../../src/sources/input.ts';
import { CaptureParser, type CaptureSummary } from '../../src/sources/pcap.ts';

export interface RunResult {
  summary: CaptureSummary;
  conns: ConnectionRecord[];
  stats: PipelineStats;
  agg: FlowAggregator;
  /** conn id -> [sha256 of client bytes, of server bytes, gaps]. */
  streams: Map<string, { c2s: string; s2c: string; gaps: number; bytes: [number, number] }>;
  firstTs: number;
  lastTs: number;
  inputWarnings: string[];
}

/** An analyzer that owns every TCP connection and hashes each direction's reassembled bytes. */
function recorder(out: RunResult['streams'], minDetect = 0): StreamAnalyzer {
  return {
    name: 'recorder',
    protocol: 'unknown',
    // With minDetect, detection needs that many bytes from the server side, so the pipeline must hold and replay both directions.
    detect: (dir, first) => first.length >= minDetect && (minDetect === 0 || dir === 1),
    create(conn) {
      const h: [Hash, Hash] = [createHash('sha256'), createHash('sha256')];
      const bytes: [number, number] = [0, 0];
      let gaps = 0;
      return {
        data(dir, chunk) {
          h[dir].update(chunk);
          bytes[dir] += chunk.length;
        },
        gap() {
          gaps++;
        },
        end() {
          out.set(`${conn.id}#${out.size}`, { c2s: h[0].digest('hex'), s2c: h[1].digest('hex'), gaps, bytes });
        },
      };
    },
  };
}

export async function runPipeline(path: string, opts: { record?: boolean; minDetect?: number; analyzers?: StreamAnalyzer[] } = {}): Promise<RunResult> {
  const conns: ConnectionRecord[] = [];
  const agg = new FlowAggregator();
  const streams: RunResult['streams'] = new Map();
  const sink = {
    connection: (c: ConnectionRecord) => {
      // The pipeline refills one record per connection: keep a copy.
      conns.push({ ...c, packets: [...c.packets], ipBytes: [...c.ipBytes], frameBytes: [...c.frameBytes], payloadBytes: [...c.payloadBytes] });
      agg.connection(c);
    },
    host: (a: string) => agg.host(a),
    record: () => {},
    anomaly: (k: string, m: string, w?: string) => agg.anomaly(k, m, w),
  };
  const pipe = new PacketPipeline({
    streamAnalyzers: opts.record ? [recorder(streams, opts.minDetect)] : opts.analyzers ?? [],
    datagramAnalyzers: [],
    sink,
  });
  const input = await openInput(path);
  let firstTs = Infinity;
  let lastTs = -Infinity;
  const parser = new CaptureParser(input.name, (p) => {
    if (p.ts < firstTs) firstTs = p.ts;
    if (p.ts > lastTs) lastTs = p.ts;
    pipe.packet(p);
  });
  for await (const c of input.chunks) parser.push(c);
  const summary = parser.end();
  pipe.end();
  return { summary, conns, stats: pipe.stats, agg, streams, firstTs, lastTs, inputWarnings: input.warnings };
}

export function tshark(args: string[]): string {
  // tshark exits non-zero on a cut-short capture but still prints what it read.
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.error) throw r.error;
  return r.stdout;
}

export interface TsharkConv {
  /** "addr:port" of each end -> frames and frame bytes sent by it. */
  ends: Map<string, { frames: number; bytes: number }>;
}

/** Per-TCP-stream, per-sender frames and frame bytes, from tshark's own stream tracking. */
export function tsharkTcp(path: string): { streams: Map<string, TsharkConv>; packets: number; firstTs: number; lastTs: number } {
  const out = tshark(['-r', path, '-T', 'fields', '-E', 'separator=/t', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'frame.len', '-e', 'frame.time_epoch']);
  const streams = new Map<string, TsharkConv>();
  let packets = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  for (const line of out.split('\n')) {
    if (!line) continue;
    packets++;
    const [stream, ip4, ip6, port, len, ts] = line.split('\t');
    const t = Number(ts) * 1000;
    if (t < firstTs) firstTs = t;
    if (t > lastTs) lastTs = t;
    if (!stream) continue;
    // With IP-in-IP both would show; the innermost is last.
    const src = (ip6 || ip4).split(',').pop()!;
    let s = streams.get(stream);
    if (!s) streams.set(stream, (s = { ends: new Map() }));
    const k = `${src}:${port}`;
    const e = s.ends.get(k) ?? { frames: 0, bytes: 0 };
    e.frames++;
    e.bytes += Number(len);
    s.ends.set(k, e);
  }
  return { streams, packets, firstTs, lastTs };
}

/** Our connections in tshark's terms: one entry per conversation, sorted, for deepEqual. */
export function ourTcpConversations(conns: ConnectionRecord[]): string[] {
  return conns
    .filter((c) => c.transport === 'tcp')
    // A side that sent nothing is invisible to tshark's per-sender counts.
    .map((c) => `${c.packets[0] ? `${c.client}:${c.clientPort}` : '?'} ${c.packets[0]}f ${c.frameBytes[0]}B | ${c.packets[1] ? `${c.server}:${c.serverPort}` : '?'} ${c.packets[1]}f ${c.frameBytes[1]}B`)
    .sort();
}

export function theirTcpConversations(t: ReturnType<typeof tsharkTcp>, conns: ConnectionRecord[]): string[] {
  // Orient tshark's conversations as we did (client first), so that both sides compare as text.
  const clients = new Set(conns.map((c) => `${c.client}:${c.clientPort}`));
  const out: string[] = [];
  for (const s of t.streams.values()) {
    const ends = [...s.ends.entries()];
    if (ends.length === 1) ends.push(['?', { frames: 0, bytes: 0 }]);
    if (!clients.has(ends[0][0])) ends.reverse();
    const [[a, ea], [b, eb]] = ends;
    out.push(`${a} ${ea.frames}f ${ea.bytes}B | ${b} ${eb.frames}f ${eb.bytes}B`);
  }
  return out.sort();
}
