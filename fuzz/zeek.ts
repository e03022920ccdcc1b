/**
 * Fuzzes the Zeek conn.log line splitter, parser (TSV and JSON) and folding
 * with mutations of the corpus conn.logs: a case is the header plus a window
 * of real lines, mutated (columns, escapes, unset/empty markers, headers
 * mid-stream, broken JSON, invalid UTF-8) and fed in random chunk sizes.
 *   node fuzz/zeek.ts [cases] [seed]
 * A failure is an exception, more records than lines, or a case slower than 1 s.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlowFolder, createConnSample } from '../src/sources/netflow/fold.ts';
import { LineSplitter, ZeekConnParser, foldConn } from '../src/sources/zeek/index.ts';
import { fuzzMain, mutateText, runFuzz, type Rand, type TextMutation } from './lib.ts';
import { CORPUS } from '../test/helpers/corpus.ts';


interface Sample {
  header: string[];
  lines: string[];
}

export function loadSamples(): Sample[] {
  const corpus = CORPUS;
  const dir = join(corpus, 'zeek');
  return readdirSync(dir).sort().map((f) => {
    const all = readFileSync(join(dir, f), 'utf8').split('\n');
    return { header: all.filter((l) => l.trimStart().startsWith('#')), lines: all.filter((l) => l.trim() && !l.trimStart().startsWith('#')) };
  });
}

const TOKENS = ['\t', '-', '(empty)', '\\x09', '\\x', ',', '{', '}', '"', ':', '[', ']', 'null', '1e999', '-1', 'NaN', '99999999999999999999',
  '#fields\tts\tid.orig_h', '#close\t2020', '#separator \\x2c', '\n', '\r', '\u0000', '\ufffd', '"id.orig_h":', '"ts":"2026-13-45"', 'tcp', 'udp', '::', '999.1.1.1'];

const MUTATION: TextMutation = { edits: 6, tokens: TOKENS, cut: 12, slice: 80, floods: [['x', 3000]] };

export interface FuzzResult {
  cases: number;
  records: number;
  anomalies: number;
  failures: string[];
}

/** A header plus a window of real lines, some mutated, fed in random chunk sizes. */
function zeekCase(samples: Sample[], r: Rand, res: FuzzResult): void {
  const s = samples[Math.floor(r() * samples.length)];
  const from = Math.floor(r() * s.lines.length);
  const window = s.lines.slice(from, from + 1 + Math.floor(r() * 30));
  const lines = [...s.header.filter((h) => !h.startsWith('#close')), ...window];
  if (r() < 0.2) lines.push(...s.header); // a rotation mid-stream
  const mutated = lines.map((l) => (r() < 0.3 ? mutateText(l, r, MUTATION) : l));
  let bytes: Uint8Array = Buffer.from(mutated.join(r() < 0.5 ? '\n' : '\r\n'));
  if (r() < 0.05) {
    bytes = Buffer.from(bytes);
    for (let k = 0; k < 8; k++) bytes[Math.floor(r() * bytes.length)] = 0x80 + Math.floor(r() * 0x80); // invalid UTF-8
  }
  const folder = new FlowFolder('zeek');
  const sample = createConnSample();
  const parser = new ZeekConnParser((c) => foldConn(folder, sample, c), { file: 'fuzz' });
  const split = new LineSplitter((l) => parser.line(l), { maxLine: 4096 });
  for (let off = 0; off < bytes.length;) {
    const n = 1 + Math.floor(r() * 300);
    split.push(bytes.subarray(off, off + n));
    off += n;
  }
  split.end();
  folder.result();
  if (parser.records > parser.lineNo) throw new Error(`${parser.records} records from ${parser.lineNo} lines`);
  res.records += parser.records;
  res.anomalies += parser.anomalies.total;
}

export function runZeekFuzz(cases: number, seed = 1, samples = loadSamples()): FuzzResult {
  const res: FuzzResult = { cases: 0, records: 0, anomalies: 0, failures: [] };
  const run = runFuzz({
    name: 'zeek', cases, seed, slowMs: 1000, stopAfter: 11,
    gen: (_r, i) => i,
    check: (_i, r) => zeekCase(samples, r, res),
  });
  res.cases = run.ran;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) {
  fuzzMain('zeek', (cases, seed) => {
    const res = runZeekFuzz(cases, seed);
    return { failures: res.failures, summary: `${res.records} records, ${res.anomalies} anomalies` };
  });
}
