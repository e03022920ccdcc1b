/**
 * NetFlow v5 / v9 / IPFIX as a discovery source: raw export payload files
 * (one datagram each, IPFIX messages may be concatenated) and pcaps of export
 * traffic. Both reduce to Observations through the flow folder.
 *
 * For live collection (the monitor) use NetflowDecoder directly with a
 * long-lived TemplateCache, and FlowFolder or your own aggregation.
 */
import { basename } from 'node:path';
import { inputChunks, type ChunkInput } from '../chunks.ts';
import type { Observations } from '../../observations/types.ts';
import type { InputReader } from '../input.ts';
import { AnomalyLog } from './anomalies.ts';
import { NetflowDecoder } from './decoder.ts';
import { FlowFolder, createConnSample, transportOf } from './fold.ts';
import { PcapUdpWalker, isPcap } from './pcap-walk.ts';
import { looksLikeExport } from './sniff.ts';
import { dstAddress, srcAddress, type FlowRecord } from './record.ts';
import { TemplateCache } from './template.ts';

export { NetflowDecoder, type DecoderHooks, type DecoderStats } from './decoder.ts';
export { TemplateCache, type TemplateEvent } from './template.ts';
export { FlowFolder, createConnSample, protocolForPort, transportOf, type ConnSample } from './fold.ts';
export { createFlowRecord, srcAddress, dstAddress, type FlowRecord } from './record.ts';
export { looksLikeExport, sniff, sniffExportPcap } from './sniff.ts';
export { PcapUdpWalker, isPcap } from './pcap-walk.ts';
export { NetflowCollector, type CollectorOptions } from './collector.ts';

export interface NetflowReadOptions {
  /** Exporter name for raw payload files, which carry no address; files sharing it share templates. */
  exporter?: string;
  /** Template cache shared across inputs, so a template file can precede its data file. */
  cache?: TemplateCache;
  /** Name for locations and `inputs[].path` when reading a stream. */
  name?: string;
  /** Also keep every decoded record (tests, debugging); copies each record. */
  keepRecords?: boolean;
  /** Called after each chunk with the bytes read so far. */
  progress?(done: number): void;
}

export interface NetflowReadResult extends Observations {
  records?: FlowRecord[];
}

const MAX_RAW_BYTES = 64 * 1024 * 1024;

/** Reads one input; never throws on bad content (anomalies instead), only on unreadable files. */
export async function readNetflow(input: ChunkInput, opts: NetflowReadOptions = {}): Promise<NetflowReadResult> {
  const name = opts.name ?? (typeof input === 'string' ? input : 'stdin');
  const folder = new FlowFolder('netflow');
  const anomalies = new AnomalyLog();
  const kept: FlowRecord[] | undefined = opts.keepRecords ? [] : undefined;
  const sample = createConnSample();
  const decoder = new NetflowDecoder({
    onRecord(r) {
      if (kept) kept.push({ ...r, srcV6: r.srcV6.slice(), dstV6: r.dstV6.slice() });
      if (r.family === 0) return;
      foldRecord(folder, sample, r);
    },
  }, { cache: opts.cache ?? new TemplateCache(), anomalies });
  decoder.file = basename(name);
  const warnings: string[] = [];
  let fileBytes = 0;
  let format = 'netflow';
  let walker: PcapUdpWalker | undefined;
  let raw: Uint8Array[] | undefined;
  let rawLen = 0;
  let otherUdp = 0;
  for await (const c of inputChunks(input)) {
    fileBytes += c.length;
    opts.progress?.(fileBytes);
    if (!walker && !raw) {
      if (isPcap(c)) {
        format = 'netflow-pcap';
        decoder.unit = 'frame';
        walker = new PcapUdpWalker((d) => {
          if (!looksLikeExport(d.payload)) {
            otherUdp++;
            return;
          }
          decoder.datagramNo = d.frame - 1;
          decoder.decode(d.payload, d.src, d.ts);
        }, decoder.file);
      } else raw = [];
    }
    if (walker) walker.push(c);
    else if (raw) {
      if (rawLen + c.length > MAX_RAW_BYTES) {
        warnings.push(`raw export file larger than ${MAX_RAW_BYTES} bytes; the rest was not read`);
        break;
      }
      raw.push(c);
      rawLen += c.length;
    }
  }
  if (walker) {
    walker.end();
    for (const p of walker.problems) anomalies.add(p.kind, p.message, p.frame > 0 ? `${decoder.file}:frame ${p.frame}` : decoder.file);
    if (walker.format === 'bad') warnings.push('not a readable pcap/pcapng capture');
    if (otherUdp > 0) warnings.push(`${otherUdp} UDP datagrams were not NetFlow/IPFIX export and were skipped`);
  } else if (raw) {
    decodeRaw(decoder, Buffer.concat(raw, rawLen), opts.exporter ?? 'file');
  }
  const st = decoder.stats;
  if (st.maxSampling > 1) warnings.push(`sampled export (up to 1 in ${st.maxSampling} packets): byte and packet counts are as exported, not scaled up`);
  if (st.missingTemplate > 0) warnings.push(`${st.missingTemplate} data sets had no template yet and were skipped`);
  if (st.datagrams > 0 && st.records === 0 && st.optionsRecords === 0 && st.missingTemplate === 0 && st.templates > 0) {
    // Valid export, nothing to fold: a capture that ends before the exporter's first data set.
    warnings.push(`${st.datagrams} export datagram${st.datagrams === 1 ? '' : 's'} held only templates (${st.templates} defined) and no flow records: no flows from this input`);
  }
  const { edges, hosts } = folder.result();
  const result: NetflowReadResult = {
    edges,
    hosts,
    anomalies: anomalies.list(),
    inputs: [{ path: name, format, packets: st.datagrams, records: st.records, bytes: fileBytes, warnings }],
  };
  if (kept) result.records = kept;
  return result;
}

/**
 * Several inputs with one template cache (template and data files of one
 * exporter), merged into one Observations.
 */
export async function readNetflowFiles(paths: string[], opts: NetflowReadOptions = {}): Promise<NetflowReadResult> {
  const cache = opts.cache ?? new TemplateCache();
  const merged: NetflowReadResult = { edges: [], hosts: [], anomalies: [], inputs: [] };
  const folder = new FlowFolder('netflow');
  const sample = createConnSample();
  const records: FlowRecord[] = [];
  for (const p of paths) {
    const r = await readNetflow(p, { ...opts, cache, keepRecords: true });
    for (const rec of r.records ?? []) {
      if (opts.keepRecords) records.push(rec);
      if (rec.family !== 0) foldRecord(folder, sample, rec);
    }
    merged.anomalies.push(...r.anomalies);
    merged.inputs.push(...r.inputs);
  }
  const { edges, hosts } = folder.result();
  merged.edges = edges;
  merged.hosts = hosts;
  if (opts.keepRecords) merged.records = records;
  return merged;
}

function decodeRaw(decoder: NetflowDecoder, b: Uint8Array, exporter: string): void {
  if (b.length >= 2 && ((b[0] << 8) | b[1]) === 5) {
    // v5 datagrams have a computable length, so concatenated payloads split cleanly.
    let off = 0;
    while (off + 24 <= b.length) {
      const count = (b[off + 2] << 8) | b[off + 3];
      const len = 24 + count * 48;
      const next = off + len <= b.length && b.length - (off + len) >= 24 && ((b[off + len] << 8) | b[off + len + 1]) === 5 ? off + len : b.length;
      decoder.decode(b.subarray(off, next), exporter);
      off = next;
    }
    return;
  }
  // IPFIX messages carry their length and the decoder walks consecutive ones; v9 has none, so one datagram per file.
  decoder.decode(b, exporter);
}

/** One flow record into the folder; bidirectional records name their initiator, unidirectional ones are folded by port. */
export function foldRecord(folder: FlowFolder, s: ReturnType<typeof createConnSample>, r: FlowRecord): void {
  // IPv4 hosts go by number; the folder names each once.
  s.v4 = r.family === 4;
  s.srcV4 = r.srcV4;
  s.dstV4 = r.dstV4;
  s.src = s.v4 ? '' : srcAddress(r);
  s.dst = s.v4 ? '' : dstAddress(r);
  s.srcPort = r.srcPort;
  s.dstPort = r.dstPort;
  s.transport = transportOf(r.protocol);
  s.bytes = r.bytes + (r.reverseBytes > 0 ? r.reverseBytes : 0);
  s.packets = r.packets + (r.reversePackets > 0 ? r.reversePackets : 0);
  s.first = r.firstMs;
  s.last = r.lastMs;
  s.contentProtocol = undefined;
  s.initiatorKnown = r.reverseBytes >= 0 || r.reversePackets >= 0;
  s.answered = r.reverseBytes > 0 || r.reversePackets > 0;
  s.tcpFlags = r.protocol === 6 ? r.tcpFlags : -1;
  s.oneSession = false;
  folder.add(s);
}

/**
 * One template cache for every input of a run, so that `discover tpl.dat data.dat`
 * decodes the data file with the templates of the file before it, as a collector would.
 */
const runCache = new TemplateCache();

/** What the `discover` plug-in (input-reader.ts) does with a raw export payload file, once sniffed. */
export const readInput: InputReader['read'] = async (input, opts) => {
  const r = await readNetflow(input.chunks, { name: input.name, cache: runCache, progress: (n) => opts.progress?.(n, input.size) });
  r.inputs[0].warnings.push(...input.warnings);
  return r;
};
