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
import { fileURLToPath } from 'node:url';
import { FlowFolder, createConnSample } from '../src/sources/netflow/fold.ts';
import { LineSplitter, ZeekConnParser, foldConn } from '../src/sources/zeek/index.ts';
import { rng } from './netflow.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

interface Sample {
  header: string[];
  lines: string[];
}

export function loadSamples(): Sample[] {
  const corpus = process.env.WARDLINE_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
  const dir = join(corpus, 'zeek');
  return readdirSync(dir).sort().map((f) => {
    const all = readFileSync(join(dir, f), 'utf8').split('\n');
    return { header: all.filter((l) => l.trimStart().startsWith('#')), lines: all.filter((l) => l.trim() && !l.trimStart().startsWith('#')) };
  });
}

const TOKENS = ['\t', '-', '(empty)', '\\x09', '\\x', ',', '{', '}', '"', ':', '[', ']', 'null', '1e999', '-1', 'NaN', '99999999999999999999',
  '#fields\tts\tid.orig_h', '#close\t2020', '#separator \\x2c', '\n', '\r', '\u0000', '\ufffd', '"id.orig_h":', '"ts":"2026-13-45"', 'tcp', 'udp', '::', '999.1.1.1'];

export function mutateText(s: string, r: () => number): string {
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 6);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 12));
    else if (op === 1) s = s.slice(0, at) + TOKENS[Math.floor(r() * TOKENS.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
    else if (op === 3) { const b = Math.floor(r() * s.length); s = s.slice(0, at) + s.slice(b, b + Math.floor(r() * 80)) + s.slice(at); }
    else if (op === 4) s = s.slice(0, at);
    else s = s.slice(0, at) + 'x'.repeat(Math.floor(r() * 3000)) + s.slice(at);
  }
  return s;
}

export interface FuzzResult {
  cases: number;
  records: number;
  anomalies: number;
  failures: string[];
}

export function runZeekFuzz(cases: number, seed = 1, samples = loadSamples()): FuzzResult {
  const r = rng(seed);
  const res: FuzzResult = { cases: 0, records: 0, anomalies: 0, failures: [] };
  for (let i = 0; i < cases; i++) {
    const started = performance.now();
    try {
      const s = samples[Math.floor(r() * samples.length)];
      const from = Math.floor(r() * s.lines.length);
      const window = s.lines.slice(from, from + 1 + Math.floor(r() * 30));
      const lines = [...s.header.filter((h) => !h.startsWith('#close')), ...window];
      if (r() < 0.2) lines.push(...s.header); // a rotation mid-stream
      const mutated = lines.map((l) => (r() < 0.3 ? mutateText(l, r) : l));
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
    } catch (err) {
      res.failures.push(`case ${i} (seed ${seed}): ${(err as Error).stack ?? err}`);
      if (res.failures.length > 10) break;
    }
    const ms = performance.now() - started;
    if (ms > 1000) res.failures.push(`case ${i} (seed ${seed}) took ${ms.toFixed(0)} ms`);
    res.cases++;
  }
  return res;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 1);
  const t = performance.now();
  const res = runZeekFuzz(cases, seed);
  console.log(`zeek fuzz: ${res.cases} cases, ${res.records} records, ${res.anomalies} anomalies, ${((performance.now() - t) / 1000).toFixed(1)} s, ${res.failures.length} failures`);
  for (const f of res.failures) console.error(f);
  process.exit(res.failures.length ? 1 : 0);
}
