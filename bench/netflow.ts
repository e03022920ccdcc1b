/**
 * NetFlow v9 / IPFIX decoding throughput against nfdump, on the same export
 * stream, in one run.
 *
 * The stream: softflowd exports the lab capture (real record shapes: its
 * IPFIX and v9 templates and data sets), then the data datagrams are copied
 * with rewritten addresses (so copies are distinct flows) up to --records.
 * Measured, each as a median of several runs:
 *   - ours, decode only: records/s on one core (decoder with a counting callback)
 *   - ours, decode + edge aggregation (FlowFolder, what discover does)
 *   - nfcapd ingesting the same datagrams over loopback: records per CPU second
 *     of the nfcapd process (paced so the socket never drops, checked with nfdump -I)
 *   - nfdump -r on nfcapd's file: records/s reading + filtering, and aggregating (-A)
 *   node bench/netflow.ts [--records N] [--runs N] [--only-ours]
 * Takes several minutes at the default 1M records (nfdump -A dominates).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FlowFolder, NetflowDecoder, TemplateCache, createConnSample, foldRecord } from '../src/sources/netflow/index.ts';
import { bindUdp, sleep } from '../test/helpers/net.ts';
import { softflowdExport } from '../test/netflow/softflowd.ts';
import { median } from './lib.ts';
import { CORPUS } from '../test/helpers/corpus.ts';

const LAB_PCAP = join(CORPUS, 'lab', 'lab_hospital.pcap');

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, 'only-ours': { type: 'boolean', default: false } } });
const TARGET = Number(values.records);
const RUNS = Number(values.runs);

const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M records/s`;


/** Byte offsets of IPv4 source and destination inside each data record, from the template softflowd sent. */
function layout(datagrams: Buffer[]): Map<number, { len: number; src: number; dst: number }> {
  const cache = new TemplateCache();
  const dec = new NetflowDecoder({ onRecord() {} }, { cache });
  for (const d of datagrams) dec.decode(d, 'x');
  const out = new Map<number, { len: number; src: number; dst: number }>();
  for (const t of cache.templates()) {
    let off = 0;
    let src = -1;
    let dst = -1;
    const plan = t.template.plan;
    for (let i = 0; i < t.template.fieldCount; i++) {
      if (t.template.fields[i] === '8') src = off;
      if (t.template.fields[i] === '12') dst = off;
      off += plan[2 * i + 1];
    }
    if (src >= 0 && dst >= 0 && t.template.recordLength > 0) out.set(t.templateId, { len: t.template.recordLength, src, dst });
  }
  return out;
}

/** Template datagrams first, then copies of the data datagrams with addresses moved to 10.(k/256).(k%256).x. */
function buildStream(datagrams: Buffer[], version: 9 | 10): { stream: Buffer[]; records: number } {
  const lay = layout(datagrams);
  const hdr = version === 9 ? 20 : 16;
  const templates: Buffer[] = [];
  const data: Buffer[] = [];
  let perRound = 0;
  for (const d of datagrams) {
    let hasData = false;
    for (let off = hdr; off + 4 <= d.length;) {
      const id = d.readUInt16BE(off);
      const len = d.readUInt16BE(off + 2);
      if (len < 4) break;
      const l = lay.get(id);
      if (l) {
        hasData = true;
        perRound += Math.floor((len - 4) / l.len);
      }
      off += len;
    }
    (hasData ? data : templates).push(d);
  }
  const stream = [...templates];
  let records = 0;
  for (let k = 0; records < TARGET; k++) {
    for (const d of data) {
      const c = Buffer.from(d);
      for (let off = hdr; off + 4 <= c.length;) {
        const id = c.readUInt16BE(off);
        const len = c.readUInt16BE(off + 2);
        if (len < 4) break;
        const l = lay.get(id);
        if (l) {
          for (let r = off + 4; r + l.len <= off + len; r += l.len) {
            c[r + l.src + 1] = (k >> 8) & 255;
            c[r + l.src + 2] = k & 255;
            c[r + l.dst + 1] = (k >> 8) & 255;
            c[r + l.dst + 2] = k & 255;
          }
        }
        off += len;
      }
      stream.push(c);
    }
    records += perRound;
  }
  return { stream, records };
}

function oursDecode(stream: Buffer[]): { rate: number; records: number } {
  let n = 0;
  const dec = new NetflowDecoder({ onRecord() { n++; } });
  const t = process.cpuUsage();
  for (const d of stream) dec.decode(d, '127.0.0.1');
  const u = process.cpuUsage(t);
  return { rate: n / ((u.user + u.system) / 1e6), records: n };
}

function oursFold(stream: Buffer[]): { rate: number; edges: number } {
  let n = 0;
  const folder = new FlowFolder('netflow');
  const sample = createConnSample();
  const dec = new NetflowDecoder({ onRecord(r) { n++; foldRecord(folder, sample, r); } });
  const t = process.cpuUsage();
  for (const d of stream) dec.decode(d, '127.0.0.1');
  const edges = folder.result().edges.length;
  const u = process.cpuUsage(t);
  return { rate: n / ((u.user + u.system) / 1e6), edges };
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(parts[11]) + Number(parts[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

function rxQueue(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const line = readFileSync('/proc/net/udp', 'utf8').split('\n').find((l) => l.includes(hex));
  return line ? parseInt(line.trim().split(/\s+/)[4].split(':')[1], 16) : -1;
}

/** nfcapd ingests the stream; returns its CPU seconds and the directory it wrote. */
async function nfcapd(stream: Buffer[], dir: string): Promise<{ cpu: number; flows: number; file: string }> {
  const probe = await bindUdp();
  const port = probe.address().port;
  probe.close();
  const child = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', '4000000'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && rxQueue(port) < 0; i++) await sleep(50);
    const cpu0 = cpuSeconds(child.pid!);
    const tx = await bindUdp();
    for (let i = 0; i < stream.length; i++) {
      // Pace by the receive queue so that nothing is dropped: nfcapd's CPU time is what we measure, not the socket.
      if (i % 16 === 0) while (rxQueue(port) > 1_000_000) await sleep(1);
      await new Promise<void>((res, rej) => tx.send(stream[i], port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    }
    while (rxQueue(port) > 0) await sleep(5);
    await sleep(200);
    tx.close();
    const cpu = cpuSeconds(child.pid!) - cpu0;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith('nfcapd.'))!);
    const info = execFileSync('nfdump', ['-r', file, '-I'], { encoding: 'utf8' });
    const flows = Number(/^Flows:\s+(\d+)/m.exec(info)?.[1] ?? 0);
    return { cpu, flows, file };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

function timeNfdump(args: string[]): number {
  const t = process.hrtime.bigint();
  execFileSync('nfdump', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'wl-flows-bench-'));
  try {
    for (const [label, args, version] of [['IPFIX', ['-v', '10', '-A', 'milli'], 10], ['NetFlow v9', ['-v', '9', '-a'], 9]] as const) {
      const { stream, records } = buildStream(await softflowdExport(LAB_PCAP, [...args]), version);
      const bytes = stream.reduce((s, d) => s + d.length, 0);
      console.log(`\n${label}: ${stream.length} datagrams, ${records} records, ${(bytes / 1e6).toFixed(1)} MB (softflowd export of the lab capture, addresses rewritten per copy)`);
      const dec: number[] = [];
      const fold: number[] = [];
      let edges = 0;
      for (let i = 0; i < RUNS; i++) {
        const d = oursDecode(stream);
        if (d.records !== records) throw new Error(`decoded ${d.records} of ${records}`);
        dec.push(d.rate);
        const f = oursFold(stream);
        fold.push(f.rate);
        edges = f.edges;
      }
      if (values['only-ours']) {
        console.log(`  wardline decode (1 core)               ${fmt(median(dec))}`);
        console.log(`  wardline decode + edge aggregation     ${fmt(median(fold))}  (${edges} edges)`);
        continue;
      }
      const capRates: number[] = [];
      let file = '';
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const dir = join(tmp, `${version}-${i}`);
        execFileSync('mkdir', ['-p', dir]);
        const c = await nfcapd(stream, dir);
        if (c.flows !== records) console.log(`  note: nfcapd stored ${c.flows} of ${records} flows`);
        capRates.push(c.flows / c.cpu);
        file = c.file;
      }
      const readRates: number[] = [];
      const aggRates: number[] = [];
      for (let i = 0; i < RUNS; i++) readRates.push(records / timeNfdump(['-r', file, '-q', 'proto 255']));
      // nfdump's aggregation of this many distinct flows is slow; three runs give the median.
      for (let i = 0; i < 3; i++) aggRates.push(records / timeNfdump(['-r', file, '-q', '-A', 'srcip,dstip,dstport,proto', '-o', 'csv']));
      const md = median(dec);
      const mf = median(fold);
      const mc = median(capRates);
      console.log(`  wardline decode (1 core)               ${fmt(md)}`);
      console.log(`  wardline decode + edge aggregation     ${fmt(mf)}  (${edges} edges)`);
      console.log(`  nfcapd ingest (CPU time of nfcapd)     ${fmt(mc)}`);
      console.log(`  nfdump -r file, filter (wall)          ${fmt(median(readRates))}`);
      console.log(`  nfdump -r file -A aggregation (wall)   ${fmt(median(aggRates))}`);
      console.log(`  ratio decode / nfcapd ingest           ${(md / mc).toFixed(2)}x`);
      console.log(`  ratio decode+aggregation / nfdump -A   ${(mf / median(aggRates)).toFixed(2)}x`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
