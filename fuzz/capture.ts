/**
 * Fuzzes the capture path: pcap and pcapng readers, link/IP/TCP/UDP
 * decoding, TCP reassembly and the analyzers behind the pipeline, with
 * mutations of real captures (the lab capture and corpus pcaps) in every
 * container and link-layer variant: byte flips, interesting values in
 * length fields, truncation, insertion, splices between samples, chunk
 * boundaries anywhere.
 *   node fuzz/capture.ts [cases] [seed]
 * A failure is an exception other than InputError for a non-capture start,
 * or a case slower than 2 s (a hang).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { datagramAnalyzers, streamAnalyzers } from '../src/analyzers/registry.ts';
import { InputError } from '../src/core/errors.ts';
import { PacketPipeline } from '../src/decoders/pipeline.ts';
import { FlowAggregator } from '../src/observations/aggregate.ts';
import { CaptureParser } from '../src/sources/pcap.ts';
import { fragmentPcap, type FragmentOrder } from '../test/capture/fraggen.ts';
import { convertLink, encodePcap, encodePcapng, readPcap, toIPv6, type Pcap } from '../test/capture/pcapgen.ts';
import { CORPUS } from '../test/helpers/corpus.ts';
import { fuzzMain, runFuzz, type Rand } from './lib.ts';

export function loadSamples(): Uint8Array[] {
  const corpus = CORPUS;
  const sources: Pcap[] = [];
  const lab = readPcap(join(corpus, 'lab', 'lab_hospital.pcap'));
  // Windows of the lab capture keep cases small while covering every protocol in it.
  for (let i = 0; i < lab.records.length; i += 60) sources.push({ ...lab, records: lab.records.slice(i, i + 80) });
  for (const f of readdirSync(join(corpus, 'pcap')).sort()) {
    try {
      const p = readPcap(join(corpus, 'pcap', f));
      if (p.linktype === 1) sources.push(p);
    } catch {
      // Not a little-endian classic pcap: the variants below cover the other containers.
    }
  }
  const out: Uint8Array[] = [];
  sources.forEach((p, k) => {
    out.push(encodePcap(p));
    const variant = k % 8;
    if (variant === 0) out.push(encodePcap(p, { bigEndian: true }));
    if (variant === 1) out.push(encodePcap(convertLink(p, 'sll')));
    if (variant === 2) out.push(encodePcap(convertLink(p, 'sll2')));
    if (variant === 3) out.push(encodePcap(convertLink(p, 'null')));
    if (variant === 4) out.push(encodePcap(convertLink(p, 'raw')));
    if (variant === 5) out.push(encodePcap(convertLink(p, 'qinq')));
    if (variant === 6) out.push(encodePcap(toIPv6(p)));
    // Fragmented copies (IPv4, and IPv6 behind hop-by-hop headers) in every arrival order, for the
    // reassembler; mutations then hit offsets, MF bits, ids and lengths of fragments.
    if (k % 2 === 0) {
      const order = FRAGMENT_ORDERS[(k >> 1) % FRAGMENT_ORDERS.length];
      out.push(encodePcap(fragmentPcap(k % 4 === 0 ? p : toIPv6(p), { size: 8 * (1 + (k % 40)), order, seed: k }).pcap));
    }
    const half = Math.floor(p.records.length / 2);
    out.push(encodePcapng([
      { ifaces: [{ linktype: 1 }, { linktype: 113 }], packets: p.records.slice(0, half).map((rec, i) => ({ iface: 0, rec, spb: i % 7 === 6 })) },
      { bigEndian: true, ifaces: [{ linktype: 1, nano: true }], packets: p.records.slice(half).map((rec) => ({ iface: 0, rec: { ...rec, frac: rec.frac * 1000 } })) },
    ]));
  });
  return out;
}

const FRAGMENT_ORDERS: FragmentOrder[] = ['in-order', 'reverse', 'shuffle', 'duplicate'];

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x20, 0x10, 0x06, 0x11, 0x08, 0x86, 0xdd, 0x81];

export function mutate(samples: Uint8Array[], rand: Rand): Uint8Array {
  const pick = () => samples[Math.floor(rand() * samples.length)];
  let b = Uint8Array.from(pick());
  const n = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) {
    const op = Math.floor(rand() * 9);
    const at = Math.floor(rand() * b.length);
    switch (op) {
      case 0:
        b[at] ^= 1 << Math.floor(rand() * 8);
        break;
      case 1:
        b[at] = INTERESTING[Math.floor(rand() * INTERESTING.length)];
        break;
      case 2: {
        // A length-like field: 16 or 32 bits of an extreme value.
        const v = [0, 0xffff, 0xffffffff, 0x7fffffff, 1, 65535, 40][Math.floor(rand() * 7)];
        for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = (v >>> (8 * k)) & 0xff;
        break;
      }
      case 3:
        b = b.subarray(0, Math.max(0, at));
        break;
      case 4: {
        const ins = new Uint8Array(1 + Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
        const nb = new Uint8Array(b.length + ins.length);
        nb.set(b.subarray(0, at));
        nb.set(ins, at);
        nb.set(b.subarray(at), at + ins.length);
        b = nb;
        break;
      }
      case 5: {
        // Splice: the head of this sample, the tail of another.
        const o = pick();
        const from = Math.floor(rand() * o.length);
        const nb = new Uint8Array(at + o.length - from);
        nb.set(b.subarray(0, at));
        nb.set(o.subarray(from), at);
        b = nb;
        break;
      }
      case 6: {
        // Duplicate a run of bytes (repeated records, retransmissions).
        const len = Math.min(b.length - at, 1 + Math.floor(rand() * 400));
        const nb = new Uint8Array(b.length + len);
        nb.set(b.subarray(0, at + len));
        nb.set(b.subarray(at, at + len), at + len);
        nb.set(b.subarray(at + len), at + 2 * len);
        b = nb;
        break;
      }
      case 7: {
        const len = Math.min(b.length - at, 1 + Math.floor(rand() * 200));
        b.fill(Math.floor(rand() * 256), at, at + len);
        break;
      }
      default:
        // Leave the container intact more often: mutate deep inside packets.
        if (b.length > 64) b[24 + Math.floor(rand() * (b.length - 24))] ^= 0xff;
    }
  }
  return b;
}

export interface FuzzStats {
  cases: number;
  packets: number;
  inputErrors: number;
  warnings: number;
  anomalies: number;
  /** Exceptions thrown by analyzers, which the pipeline contains and counts. */
  analyzerErrors: number;
  /** IP fragments decoded, datagrams rebuilt from them, and fragment anomalies (overlap, timeout, ...). */
  fragments: number;
  reassembled: number;
  fragmentAnomalies: number;
  slowest: number;
}

/** Runs one case; throws what the code under test threw, except the expected InputError. */
export function runCase(data: Uint8Array, rand: Rand, stats: FuzzStats): void {
  const agg = new FlowAggregator();
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  pipe.inputName = 'fuzz';
  const parser = new CaptureParser('fuzz', (p) => pipe.packet(p));
  try {
    // Chunk boundaries anywhere, as a pipe or gzip stream delivers them.
    let pos = 0;
    while (pos < data.length && !parser.stopped) {
      const step = rand() < 0.3 ? 1 + Math.floor(rand() * 32) : 1 + Math.floor(rand() * 65536);
      parser.push(data.subarray(pos, pos + step));
      pos += step;
    }
    const s = parser.end();
    stats.packets += s.packets;
    stats.warnings += s.warnings.length;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    stats.inputErrors++;
  }
  pipe.end();
  const obs = agg.toObservations();
  stats.anomalies += obs.anomalies.reduce((n, a) => n + a.count, 0);
  stats.analyzerErrors += obs.anomalies.find((a) => a.kind === 'analyzer-error')?.count ?? 0;
  stats.fragments += pipe.stats.fragments;
  stats.reassembled += pipe.stats.reassembled;
  stats.fragmentAnomalies += obs.anomalies.filter((a) => a.kind.startsWith('ip-fragment')).reduce((n, a) => n + a.count, 0);
  JSON.stringify(obs);
}

/** Throws on the first exception or hang (a case slower than 2 s). */
export function fuzz(cases: number, seed: number): FuzzStats {
  const samples = loadSamples();
  const stats: FuzzStats = {
    cases: 0, packets: 0, inputErrors: 0, warnings: 0, anomalies: 0, analyzerErrors: 0, fragments: 0, reassembled: 0, fragmentAnomalies: 0, slowest: 0,
  };
  const run = runFuzz({
    name: 'capture', cases, seed, slowMs: 2000, stopAfter: 1,
    gen: (rand) => mutate(samples, rand),
    check: (data, rand) => runCase(data, rand, stats),
  });
  if (run.failures.length) throw new Error(run.failures[0]);
  stats.cases = run.ran;
  stats.slowest = run.slowestMs;
  return stats;
}

if (import.meta.main) {
  fuzzMain('capture', (cases, seed) => {
    const s = fuzz(cases, seed);
    return { failures: [], summary: `${s.packets} packets decoded, ${s.inputErrors} not-a-capture, ${s.warnings} reader warnings, ${s.anomalies} anomalies (${s.analyzerErrors} contained analyzer exceptions), ${s.fragments} IP fragments (${s.reassembled} datagrams rebuilt, ${s.fragmentAnomalies} fragment anomalies); slowest case ${s.slowest.toFixed(1)} ms` };
  });
}
