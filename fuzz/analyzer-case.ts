/**
 * The case body the DICOM and HL7 harnesses share: a mutated stream fed to a
 * fresh parser in random chunk sizes, with the odd gap, every record checked
 * by the harness's invariant.
 */
import type { ConnectionInfo, StreamAnalyzer } from '../src/decoders/analyzer.ts';
import type { ProtocolRecord } from '../src/observations/types.ts';
import { countingSink, rechunk, type Chunk } from '../test/analyzers/helpers.ts';
import type { Rand } from './lib.ts';

export interface FuzzResult {
  cases: number;
  records: number;
  anomalies: number;
  slowestMs: number;
  failures: string[];
}

export interface StreamCase {
  conn: ConnectionInfo;
  chunks: Chunk[];
  /** Chunk sizes to re-split the stream at. */
  size: () => number;
}

/** Runs one case; records and anomalies are counted even when the parser throws. */
export function replayCase(analyzer: StreamAnalyzer, c: StreamCase, r: Rand, check: (rec: ProtocolRecord) => void, res: FuzzResult): void {
  const sink = countingSink(check);
  try {
    const parser = analyzer.create(c.conn, sink);
    let ts = 0;
    for (const ch of rechunk(c.chunks, c.size)) {
      if (r() < 0.002) parser.gap(ch.dir, ch.bytes.length);
      else parser.data(ch.dir, ch.bytes, ts++);
    }
    parser.end(ts);
  } finally {
    res.records += sink.records;
    res.anomalies += sink.anomalies;
  }
}

export function summarize(res: FuzzResult): { failures: string[]; summary: string } {
  return { failures: res.failures, summary: `${res.records} records, ${res.anomalies} anomalies, slowest case ${res.slowestMs.toFixed(1)} ms` };
}
