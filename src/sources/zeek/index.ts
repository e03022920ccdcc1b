/**
 * Zeek conn.log (TSV or JSON lines) as a discovery source. Zeek knows the
 * originator, so edges need no port folding; its `service` field, when set,
 * is a content decision.
 */
import { basename } from 'node:path';
import { inputChunks, type ChunkInput } from '../chunks.ts';
import type { AppProtocol, Observations } from '../../observations/types.ts';
import type { InputReader } from '../input.ts';
import { AnomalyLog } from '../netflow/anomalies.ts';
import { FlowFolder, createConnSample, type ConnSample } from '../netflow/fold.ts';
import { ZeekConnParser, type ZeekConn } from './conn-log.ts';
import { LineSplitter } from './lines.ts';

export { ZeekConnParser, type ZeekConn } from './conn-log.ts';
export { LineSplitter } from './lines.ts';
export { sniff } from './sniff.ts';

export interface ZeekReadOptions {
  /** Name for locations and `inputs[].path` when reading a stream. */
  name?: string;
  /** Also return every parsed connection (tests, debugging). */
  keepConns?: boolean;
  /** Called after each chunk with the bytes read so far. */
  progress?(done: number): void;
}

export interface ZeekReadResult extends Observations {
  conns?: ZeekConn[];
}

const SERVICES: Record<string, AppProtocol> = {
  dns: 'dns', ssl: 'tls', tls: 'tls', http: 'http', dicom: 'dicom', hl7: 'hl7',
};

/** Zeek service list ("ssl,http") -> the first protocol Wardline knows. */
export function protocolForService(service: string | undefined): AppProtocol | undefined {
  if (!service) return undefined;
  for (const s of service.split(',')) {
    const p = SERVICES[s.trim().toLowerCase()];
    if (p) return p;
  }
  return undefined;
}

/** One connection into the folder. */
export function foldConn(folder: FlowFolder, s: ConnSample, c: ZeekConn): void {
  s.src = c.origH;
  s.srcPort = c.origP;
  s.dst = c.respH;
  s.dstPort = c.respP;
  s.transport = c.proto === 'tcp' || c.proto === 'udp' || c.proto === 'icmp' ? c.proto : 'other';
  s.bytes = c.origBytes + c.respBytes;
  s.packets = c.origPkts + c.respPkts;
  s.first = c.ts * 1000;
  s.last = (c.ts + (c.duration === c.duration ? c.duration : 0)) * 1000;
  s.contentProtocol = protocolForService(c.service);
  s.initiatorKnown = true;
  // REJ: the responder refused (TCP RST to the SYN); the port is not listening.
  s.answered = (c.respPkts > 0 || c.respBytes > 0) && c.connState !== 'REJ';
  s.tcpFlags = -1;
  s.oneSession = true;
  folder.add(s);
}

/** Reads a conn.log; bad lines become anomalies with file:line, never throws on content. */
export async function readZeek(input: ChunkInput, opts: ZeekReadOptions = {}): Promise<ZeekReadResult> {
  const name = opts.name ?? (typeof input === 'string' ? input : 'stdin');
  const folder = new FlowFolder('zeek');
  const anomalies = new AnomalyLog();
  const sample = createConnSample();
  const kept: ZeekConn[] | undefined = opts.keepConns ? [] : undefined;
  const parser = new ZeekConnParser((c) => {
    if (kept) kept.push({ ...c });
    foldConn(folder, sample, c);
  }, { file: basename(name), anomalies });
  const splitter = new LineSplitter((l) => parser.line(l));
  let bytes = 0;
  for await (const c of inputChunks(input)) {
    bytes += c.length;
    splitter.push(c);
    opts.progress?.(bytes);
  }
  splitter.end();
  const warnings: string[] = [];
  if (parser.untimed > 0) warnings.push(`${parser.untimed} connections had no usable timestamp`);
  if (splitter.overlong > 0) warnings.push(`${splitter.overlong} overlong lines were cut`);
  const { edges, hosts } = folder.result();
  const result: ZeekReadResult = {
    edges,
    hosts,
    anomalies: anomalies.list(),
    inputs: [{ path: name, format: parser.format === 'json' ? 'zeek-json' : 'zeek-tsv', records: parser.records, bytes, warnings }],
  };
  if (kept) result.conns = kept;
  return result;
}

/** What the `discover` plug-in (input-reader.ts) does with a conn.log, once sniffed. */
export const readInput: InputReader['read'] = async (input, opts) => {
  const r = await readZeek(input.chunks, { name: input.name, progress: (n) => opts.progress?.(n, input.size) });
  r.inputs[0].warnings.push(...input.warnings);
  return r;
};
