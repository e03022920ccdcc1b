/**
 * Fuzzes the HL7/MLLP analyzer with mutated real messages: the corpus
 * message files (MLLP-framed), the nhapi fuzz crashers and the MLLP streams
 * of the captures. Every case must finish without throwing and produce only
 * bounded, printable header metadata.
 *
 *   node fuzz/hl7.ts [cases=100000] [seed=1]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, corpusFile } from '../test/helpers/corpus.ts';
import { connectionInfo, mllp, mutate, tcpStreams } from '../test/analyzers/helpers.ts';
import { hl7Analyzer } from '../src/analyzers/hl7/analyzer.ts';
import type { ProtocolRecord } from '../src/observations/types.ts';
import { replayCase, summarize, type FuzzResult } from './analyzer-case.ts';
import { fuzzMain, runFuzz, xorshift } from './lib.ts';

export function hl7Samples(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of readdirSync(join(CORPUS, 'hl7')).sort()) {
    const text = readFileSync(join(CORPUS, 'hl7', f), 'latin1');
    out.push(mllp(f.endsWith('.bin') ? Buffer.from(text, 'latin1') : text));
  }
  for (const f of [corpusFile('lab', 'lab_hospital.pcap'), corpusFile('pcap', 'tapirx_HL7-ADT.pcap'), corpusFile('pcap', 'tapirx_HL7-ORM.pcap')]) {
    for (const s of tcpStreams(f)) {
      const client = Buffer.concat(s.chunks.filter((c) => c.dir === 0).map((c) => c.bytes));
      if (client[0] === 0x0b) out.push(client);
    }
  }
  return out;
}

const TOKENS = ['\x0b', '\x1c\r', '\r', '\n', '|', '^', '~', '\\', '&', 'MSH|^~\\&|', 'PID|', 'MSA|', 'BHS|^~\\&|', 'FHS|', '\x0bMSH|', '""', '\xef\xbb\xbf']
  .map((t) => Buffer.from(t, 'latin1'));
const PRINTABLE = /^[\x20-\x7e]*$/;

function check(rec: ProtocolRecord): void {
  for (const k of ['sendingApplication', 'sendingFacility', 'receivingApplication', 'receivingFacility', 'messageType', 'version'] as const) {
    const v = rec[k] as string;
    if (typeof v !== 'string' || v.length > 64 || !PRINTABLE.test(v)) throw new Error(`bad ${k}: ${JSON.stringify(v)}`);
  }
  for (const s of rec.segments as string[]) if (!/^[A-Z][A-Z0-9]{2}$/.test(s)) throw new Error(`bad segment id ${JSON.stringify(s)}`);
  for (const f of rec.fields as string[]) if (!/^[A-Z][A-Z0-9]{2}-\d+$/.test(f)) throw new Error(`bad field name ${JSON.stringify(f)}`);
}

export type { FuzzResult };

export function fuzzHl7(cases: number, seed: number): FuzzResult {
  const samples = hl7Samples();
  const conn = connectionInfo('10.0.0.1', 40000, '10.0.0.2', 2575);
  const res: FuzzResult = { cases, records: 0, anomalies: 0, slowestMs: 0, failures: [] };
  const run = runFuzz({
    name: 'hl7', cases, seed, rand: xorshift(seed), keep: 10,
    gen: (r) => {
      const s = samples[Math.floor(r() * samples.length)];
      const o = samples[Math.floor(r() * samples.length)];
      const bytes = mutate(s, o, r, TOKENS);
      const size = r() < 0.2 ? () => 1 + Math.floor(r() * 4) : () => 1 + Math.floor(r() * 1500);
      return { conn, chunks: [{ dir: r() < 0.9 ? 0 as const : 1 as const, bytes }], size };
    },
    check: (c, r) => replayCase(hl7Analyzer, c, r, check, res),
  });
  res.slowestMs = run.slowestMs;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) fuzzMain('hl7', (cases, seed) => summarize(fuzzHl7(cases, seed)));
