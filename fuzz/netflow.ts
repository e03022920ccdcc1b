/**
 * Fuzzes the NetFlow v5/v9/IPFIX decoder, the export-pcap walk and the flow
 * folding with mutations of real export datagrams: every corpus payload file
 * and every UDP payload of the corpus export pcaps. A case is a short
 * exporter session (template datagrams, then data), mutated at the byte level
 * and structurally (set lengths, template field counts and lengths,
 * variable-length markers, withdrawals, splices between samples).
 *   node fuzz/netflow.ts [cases] [seed]
 * A failure is an exception, a record count no datagram could hold, or a case slower than 1 s.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NetflowDecoder, PcapUdpWalker, TemplateCache, FlowFolder, createConnSample, foldRecord } from '../src/sources/netflow/index.ts';
import { fuzzMain, runFuzz, type Rand } from './lib.ts';
import { CORPUS } from '../test/helpers/corpus.ts';


export interface Samples {
  /** Sessions: datagrams of one exporter in export order (templates first). */
  sessions: Uint8Array[][];
  pcaps: Uint8Array[];
}

export function loadSamples(): Samples {
  const corpus = CORPUS;
  const dir = join(corpus, 'netflow');
  const files = readdirSync(dir).sort();
  const sessions: Uint8Array[][] = [];
  const dats = files.filter((f) => f.endsWith('.dat'));
  for (const f of dats.filter((x) => !x.includes('_tpl') && !x.includes('_data'))) sessions.push([readFileSync(join(dir, f))]);
  for (const tpl of dats.filter((x) => x.includes('_tpl'))) {
    const stem = tpl.replace(/_tpl.*$/, '');
    const data = dats.filter((x) => x.startsWith(stem) && x.includes('_data'));
    sessions.push([readFileSync(join(dir, tpl)), ...data.map((d) => readFileSync(join(dir, d)))]);
  }
  const pcaps: Uint8Array[] = [];
  for (const f of files.filter((x) => x.endsWith('.pcap')).map((x) => join(dir, x)).concat([join(corpus, 'lab', 'lab_hospital_flow-export.pcap')])) {
    const bytes = readFileSync(f);
    pcaps.push(bytes);
    const bySrc = new Map<string, Uint8Array[]>();
    const w = new PcapUdpWalker((d) => {
      const list = bySrc.get(d.src) ?? [];
      list.push(new Uint8Array(d.payload));
      bySrc.set(d.src, list);
    });
    w.push(bytes);
    w.end();
    for (const list of bySrc.values()) sessions.push(list);
  }
  return { sessions, pcaps };
}

function u16at(b: Uint8Array, o: number, v: number): void {
  if (o + 1 < b.length) {
    b[o] = (v >> 8) & 255;
    b[o + 1] = v & 255;
  }
}

/** Offsets of set headers in a v9/IPFIX datagram, for structure-aware mutations. */
function setOffsets(b: Uint8Array): number[] {
  const v = b.length >= 2 ? (b[0] << 8) | b[1] : 0;
  let off = v === 9 ? 20 : v === 10 ? 16 : -1;
  const out: number[] = [];
  while (off >= 0 && off + 4 <= b.length && out.length < 64) {
    out.push(off);
    const len = (b[off + 2] << 8) | b[off + 3];
    if (len < 4) break;
    off += len;
  }
  return out;
}

const INTERESTING = [0, 1, 2, 3, 4, 255, 256, 257, 0x7fff, 0x8000, 0xfffe, 0xffff];

export function mutate(src: Uint8Array, r: Rand, donors: Uint8Array[]): Uint8Array {
  // A copy: Buffer.slice() would be a view and the mutations would corrupt the sample.
  let b: Uint8Array = new Uint8Array(src);
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const op = Math.floor(r() * 10);
    const at = Math.floor(r() * (b.length + 1));
    const sets = setOffsets(b);
    const pick = (): number => INTERESTING[Math.floor(r() * INTERESTING.length)];
    if (op === 0 && b.length) b[Math.min(at, b.length - 1)] ^= 1 << Math.floor(r() * 8);
    else if (op === 1 && b.length) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
    else if (op === 2) b = b.slice(0, at);
    else if (op === 3 && sets.length) u16at(b, sets[Math.floor(r() * sets.length)] + 2, pick()); // set length
    else if (op === 4 && sets.length) u16at(b, sets[Math.floor(r() * sets.length)], pick()); // set id
    else if (op === 5 && sets.length) {
      // a template's field count, or one field's type/length (often the variable-length marker)
      const s = sets[Math.floor(r() * sets.length)];
      u16at(b, s + 4 + 2 * Math.floor(r() * 8), pick());
    } else if (op === 6) {
      const d = donors[Math.floor(r() * donors.length)];
      const from = Math.floor(r() * d.length);
      const piece = d.subarray(from, from + Math.floor(r() * 128));
      const out = new Uint8Array(b.length + piece.length);
      out.set(b.subarray(0, at));
      out.set(piece, at);
      out.set(b.subarray(at), at + piece.length);
      b = out;
    } else if (op === 7) u16at(b, 2, pick()); // header count / IPFIX length
    else if (op === 8 && b.length > 4) {
      const extra = new Uint8Array(Math.floor(r() * 64));
      for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(r() * 256);
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      b = out;
    } else if (b.length >= 2) u16at(b, 0, [5, 9, 10, 7][Math.floor(r() * 4)]); // version
  }
  return b;
}

export interface FuzzResult {
  cases: number;
  records: number;
  anomalies: number;
  failures: string[];
}

/** Every 200th case walks a whole mutated export pcap; the rest replay one mutated exporter session. */
function netflowCase(samples: Samples, donors: Uint8Array[], r: Rand, i: number, res: FuzzResult): void {
  if (i % 200 === 199) {
    // The export-pcap walk, fed in random chunk sizes.
    const p = mutate(samples.pcaps[Math.floor(r() * samples.pcaps.length)], r, donors);
    const dec = new NetflowDecoder({ onRecord() {} });
    const w = new PcapUdpWalker((d) => dec.decode(d.payload, d.src, d.ts));
    for (let off = 0; off < p.length;) {
      const n = 1 + Math.floor(r() * 512);
      w.push(p.subarray(off, off + n));
      off += n;
    }
    w.end();
    return;
  }
  const session = samples.sessions[Math.floor(r() * samples.sessions.length)];
  const cache = new TemplateCache();
  const folder = new FlowFolder('netflow');
  const sample = createConnSample();
  let bytes = 0;
  let records = 0;
  const dec = new NetflowDecoder({ onRecord(rec) { records++; foldRecord(folder, sample, rec); } }, { cache });
  for (const d of session) {
    const m = r() < 0.7 ? mutate(d, r, donors) : d;
    bytes += m.length;
    dec.decode(m, 'fuzz', 0);
  }
  if (r() < 0.1) cache.expire(1e15, 0);
  folder.result();
  // A record takes at least one byte of some datagram.
  if (records > bytes) throw new Error(`${records} records from ${bytes} bytes`);
  res.records += records;
  res.anomalies += dec.anomalies.total;
}

export function runNetflowFuzz(cases: number, seed = 1, samples = loadSamples()): FuzzResult {
  const donors = samples.sessions.flat();
  const res: FuzzResult = { cases: 0, records: 0, anomalies: 0, failures: [] };
  // Mutation happens inside the case: a pcap case and a session case draw differently.
  const run = runFuzz({
    name: 'netflow', cases, seed, slowMs: 1000, stopAfter: 11,
    gen: (_r, i) => i,
    check: (i, r) => netflowCase(samples, donors, r, i, res),
  });
  res.cases = run.ran;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) {
  fuzzMain('netflow', (cases, seed) => {
    const res = runNetflowFuzz(cases, seed);
    return { failures: res.failures, summary: `${res.records} records, ${res.anomalies} anomalies` };
  });
}
