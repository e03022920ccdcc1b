/**
 * Fuzzes what the central monitor takes from the network: sensor batches.
 * Real batches (the sample hospital's capture through the packet pipeline,
 * with DICOM/HL7/HTTP facts, and its NetFlow export) are mutated at the byte
 * level and structurally (values swapped for other types, huge, negative,
 * nested), then decoded, evaluated against the sample model (the window
 * check), turned into alert events and formatted as syslog and CEF. Seeded:
 *   node fuzz/monitor.ts [cases] [seed]
 * A failure is an exception anywhere after decodeBatch accepted the batch
 * (decodeBatch itself may refuse a batch with an Error), or a case slower than 2 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datagramAnalyzers, streamAnalyzers } from '../src/analyzers/registry.ts';
import { PacketPipeline } from '../src/decoders/pipeline.ts';
import { alertEvent } from '../src/monitor/alerts.ts';
import { windowFindings } from '../src/monitor/detect.ts';
import { decodeBatch, encodeBatch } from '../src/monitor/scale/batch.ts';
import { ModelIndex } from '../src/model/index.ts';
import { openModel } from '../src/model/open.ts';
import { FlowAggregator } from '../src/observations/aggregate.ts';
import { formatCef, parseCef } from '../src/outputs/siem/cef.ts';
import { formatSyslog } from '../src/outputs/siem/syslog.ts';
import { readNetflow } from '../src/sources/netflow/index.ts';
import { CaptureParser } from '../src/sources/pcap.ts';
import { rng } from './lib.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const HOSPITAL = join(ROOT, 'examples', 'hospital');

export { rng };

export async function samples(): Promise<Uint8Array[]> {
  const agg = new FlowAggregator({ source: 'pcap' });
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  const parser = new CaptureParser('hospital.pcap', (p) => pipe.packet(p));
  parser.push(readFileSync(join(HOSPITAL, 'captures', 'hospital.pcap')));
  parser.end();
  pipe.end();
  const nf = await readNetflow(join(HOSPITAL, 'captures', 'hospital-netflow.pcap'));
  const pcapEdges = [...agg.edges.values()];
  return [
    encodeBatch('north', '1', 1, pcapEdges.length, pcapEdges, [...agg.hosts.values()]),
    encodeBatch('north', '1', 2, nf.edges.length, nf.edges, nf.hosts),
    encodeBatch('south', '2', 3, 5, pcapEdges.slice(0, 5), []),
  ];
}

const WEIRD: unknown[] = [null, -1, 1e308, -0, 2 ** 53 + 2, '', 'x'.repeat(600), '10.0.0.1', '::1', [], {}, [[[]]], { a: 1 }, true, 'NaN', '__proto__', 'tcp', 'dicom', 65536, 0.5];

function mutateValue(v: unknown, r: () => number, depth = 0): unknown {
  if (r() < 0.15 || depth > 6) return WEIRD[Math.floor(r() * WEIRD.length)];
  if (Array.isArray(v)) {
    const a = v.map((x) => (r() < 0.1 ? mutateValue(x, r, depth + 1) : x));
    if (a.length && r() < 0.1) a.splice(Math.floor(r() * a.length), 1);
    if (a.length && r() < 0.1) a.push(a[Math.floor(r() * a.length)]);
    return a;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const k of Object.keys(o)) if (r() < 0.1) o[k] = mutateValue(o[k], r, depth + 1);
    if (r() < 0.05) o[WEIRD[Math.floor(r() * WEIRD.length)] as string] = 1;
    return o;
  }
  return v;
}

function mutateBytes(b: Uint8Array, r: () => number): Uint8Array {
  const out = Buffer.from(b);
  const n = 1 + Math.floor(r() * 8);
  let cur: Buffer = out;
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * cur.length);
    const op = r();
    if (op < 0.4) cur[at] = Math.floor(r() * 256);
    else if (op < 0.6) cur = Buffer.concat([cur.subarray(0, at), cur.subarray(Math.min(cur.length, at + 1 + Math.floor(r() * 64)))]);
    else if (op < 0.8) cur = Buffer.concat([cur.subarray(0, at), Buffer.from(['"', ',', ']', '}', '{', '[', '-', '9', 'e'][Math.floor(r() * 9)]), cur.subarray(at)]);
    else cur = cur.subarray(0, at);
  }
  return cur;
}

export interface FuzzStats {
  cases: number;
  accepted: number;
  refused: number;
  dropped: number;
  findings: number;
}

export async function fuzz(cases: number, seed: number, base?: Uint8Array[]): Promise<FuzzStats> {
  const r = rng(seed);
  const src = base ?? (await samples());
  const parsed = src.map((b) => JSON.parse(Buffer.from(b).toString('utf8')) as unknown);
  const { model } = openModel(HOSPITAL);
  const index = new ModelIndex(model);
  const st: FuzzStats = { cases: 0, accepted: 0, refused: 0, dropped: 0, findings: 0 };
  for (let i = 0; i < cases; i++) {
    const k = Math.floor(r() * src.length);
    const data = r() < 0.5 ? mutateBytes(src[k], r) : Buffer.from(JSON.stringify(mutateValue(parsed[k], r)));
    const t0 = performance.now();
    let decoded;
    try {
      decoded = decodeBatch(data);
    } catch (err) {
      if (!(err instanceof Error)) throw new Error(`case ${i} (seed ${seed}): decodeBatch threw a non-Error`, { cause: err });
      st.refused++;
      st.cases++;
      continue;
    }
    try {
      st.accepted++;
      st.dropped += decoded.dropped;
      // The window check on every case is the costly part; it runs on a sample of accepted batches, the formatters on all.
      const findings = i % 8 === 0 ? windowFindings(model, index, decoded.edges, 1_800_000_000_000) : [];
      st.findings += findings.length;
      for (const f of findings.slice(0, 20)) {
        const ev = alertEvent('open', f, 1, 1_800_000_000_000, decoded.batch.site);
        formatSyslog(ev);
        const cef = formatCef(ev);
        if (parseCef(cef).ext.externalId !== ev.id) throw new Error('CEF round trip lost the event id');
      }
      for (const e of decoded.edges.slice(0, 20)) {
        const ev = alertEvent('open', { id: `x:${e.src}`, rule: 'fuzz', severity: 'low', title: `${e.src} ${e.dst}`, subject: `${e.src}>${e.dst}/${e.transport}/${e.dport}/${e.protocol}`, evidence: { facts: e.facts } }, 1, 1, decoded.batch.site);
        formatSyslog(ev);
        const p = parseCef(formatCef(ev));
        if (p.ext.msg !== ev.title.replace(/\r\n|\r/g, '\n')) throw new Error(`CEF round trip changed the message: ${JSON.stringify(ev.title)}`);
      }
    } catch (err) {
      throw new Error(`case ${i} (seed ${seed}): ${(err as Error).stack}`, { cause: err });
    }
    const ms = performance.now() - t0;
    if (ms > 2000) throw new Error(`case ${i} (seed ${seed}) took ${Math.round(ms)} ms`);
    st.cases++;
  }
  return st;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 20261128);
  const t = performance.now();
  const s = await fuzz(cases, seed);
  console.log(`monitor fuzz: ${s.cases} cases, ${s.accepted} batches accepted (${s.dropped} malformed parts dropped), ${s.refused} refused, ${s.findings} findings; ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
