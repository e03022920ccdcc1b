/**
 * Fuzzes the DICOM upper-layer analyzer with mutated real associations (the
 * lab capture's streams and the tapirx RQs): every case must finish without
 * throwing, quickly, and produce only bounded, printable metadata.
 *
 *   node fuzz/dicom.ts [cases=100000] [seed=1]
 */
import { corpusFile } from '../test/helpers/corpus.ts';
import { mutate, tcpStreams, type Chunk } from '../test/analyzers/helpers.ts';
import { replayCase, summarize, type FuzzResult } from './analyzer-case.ts';
import { dicomAnalyzer } from '../src/analyzers/dicom/analyzer.ts';
import type { ConnectionInfo, Direction } from '../src/decoders/analyzer.ts';
import type { ProtocolRecord } from '../src/observations/types.ts';
import { fuzzMain, runFuzz, xorshift } from './lib.ts';

interface Sample {
  conn: ConnectionInfo;
  dirs: [Uint8Array, Uint8Array];
}

/** Real DICOM streams, each direction joined, data sets cut short to keep cases fast. */
export function dicomSamples(): Sample[] {
  const files = [corpusFile('lab', 'lab_hospital.pcap'), corpusFile('pcap', 'tapirx_dicom_arq_4_get_bogus_local.pcap'), corpusFile('pcap', 'tapirxl_ct_to_pacs_scenario.pcap')];
  const out: Sample[] = [];
  for (const f of files) {
    for (const s of tcpStreams(f)) {
      const first = s.chunks[0];
      if (!first || !dicomAnalyzer.detect(first.dir, first.bytes, s.conn)) continue;
      const join = (d: Direction) => Buffer.concat(s.chunks.filter((c) => c.dir === d).map((c) => c.bytes)).subarray(0, 24000);
      out.push({ conn: s.conn, dirs: [join(0), join(1)] });
    }
  }
  return out;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function check(rec: ProtocolRecord): void {
  for (const k of ['callingAe', 'calledAe'] as const) {
    const v = rec[k] as string;
    if (typeof v !== 'string' || v.length > 16 || !PRINTABLE.test(v)) throw new Error(`bad ${k}: ${JSON.stringify(v)}`);
  }
  if ((rec.operations as unknown[]).length > 512) throw new Error('unbounded operations');
}

export type { FuzzResult };

export function fuzzDicom(cases: number, seed: number): FuzzResult {
  const samples = dicomSamples();
  const res: FuzzResult = { cases, records: 0, anomalies: 0, slowestMs: 0, failures: [] };
  const run = runFuzz({
    name: 'dicom', cases, seed, rand: xorshift(seed), keep: 10,
    gen: (r) => {
      const s = samples[Math.floor(r() * samples.length)];
      const o = samples[Math.floor(r() * samples.length)];
      const d0 = r() < 0.7 ? mutate(s.dirs[0], o.dirs[0], r) : s.dirs[0];
      const d1 = r() < 0.5 ? mutate(s.dirs[1], o.dirs[1], r) : s.dirs[1];
      // Interleave the two directions in a few random slices, as TCP would.
      const chunks: Chunk[] = [];
      const cuts = 1 + Math.floor(r() * 4);
      for (let k = 0; k < cuts; k++) {
        chunks.push({ dir: 0, bytes: d0.subarray(Math.floor((k * d0.length) / cuts), Math.floor(((k + 1) * d0.length) / cuts)) });
        chunks.push({ dir: 1, bytes: d1.subarray(Math.floor((k * d1.length) / cuts), Math.floor(((k + 1) * d1.length) / cuts)) });
      }
      const size = r() < 0.2 ? () => 1 + Math.floor(r() * 8) : () => 1 + Math.floor(r() * 3000);
      return { conn: s.conn, chunks, size };
    },
    check: (c, r) => replayCase(dicomAnalyzer, c, r, check, res),
  });
  res.slowestMs = run.slowestMs;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) fuzzMain('dicom', (cases, seed) => summarize(fuzzDicom(cases, seed)));
