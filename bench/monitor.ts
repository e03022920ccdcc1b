/**
 * Monitor throughput, and nfcapd on the same export stream in one run.
 *
 * 1. Per core, in process (medians of --runs):
 *    - decode: NetflowDecoder over NetFlow v5 and IPFIX datagrams (records/s)
 *    - decode + evaluate: what the monitor does per record (fold into the
 *      window) plus a window evaluation (the check against the sample
 *      hospital's model, alert bookkeeping in a SQLite store) every
 *      --window-records records
 * 2. Side by side over loopback UDP: the same paced v5 stream sent to the
 *    running `wardline monitor` and to nfcapd at rising rates, --seconds per
 *    rate (60 s in all by default). Reported per rate: records each received,
 *    and records per CPU second of each process (from /proc/<pid>/stat, all
 *    threads: the monitor's socket is read by a receiver thread), whose ratio
 *    is the per-core comparison. The sender hands each 5 ms step's datagrams
 *    to its socket at once (floodBatched); "rate sent" is what it achieved on
 *    cores it shares with both receivers.
 *
 * The load average is printed with each part: the machine may be shared.
 *
 * v5 is measured over --flows distinct flows each (edges in every window:
 * the folder's and the store's per-edge cost); IPFIX replays softflowd's
 * export of the sample hospital (few flows, the decoder's template path).
 *
 *   node bench/monitor.ts [--runs 5] [--records 1000000] [--flows 5000,50000] [--seconds 15] [--rates 200000,400000,800000,1600000]
 *                         [--part all|in-process|loopback]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median } from './lib.ts';
import { MonitorEngine } from '../src/monitor/engine.ts';
import { openModel } from '../src/model/open.ts';
import { NetflowDecoder, TemplateCache } from '../src/sources/netflow/index.ts';
import { openStore } from '../src/store/open.ts';
import { exportDatagrams, floodBatched, metric, sleep, startMonitor, started, udpSender, v5Datagrams } from '../test/monitor/harness.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' }, records: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '15' },
    rates: { type: 'string', default: '200000,400000,800000,1600000' }, 'window-records': { type: 'string', default: '200000' },
    flows: { type: 'string', default: '5000,50000' }, part: { type: 'string', default: 'all' },
  },
});
const RUNS = Number(values.runs);
const RECORDS = Number(values.records);
const SECONDS = Number(values.seconds);
const RATES = values.rates.split(',').map(Number);
const WINDOW = Number(values['window-records']);
const FLOWS = values.flows.split(',').map(Number);
const PART = values.part;
const M = (n: number): string => `${(n / 1e6).toFixed(2)} M records/s`;
const load = (): string => `load average ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;

const tmp = mkdtempSync(join(tmpdir(), 'wl-monitor-bench-'));
const { model } = openModel(join(ROOT, 'examples', 'hospital'));

// IPFIX: softflowd's real export of the sample hospital (templates + data), replayed; records repeat, the decoding work is real.
const ipfix = exportDatagrams(join(ROOT, 'examples', 'hospital', 'captures', 'hospital-netflow.pcap')).filter((d) => d[0] === 0 && d[1] === 10);
const v5 = v5Datagrams(2000, 30, 5000);
/** v5 streams with `flows` distinct flows, each flow at least once per pass. */
const v5Stream = (flows: number): Buffer[] => v5Datagrams(Math.max(2000, Math.ceil(flows / 30)), 30, flows);
let ipfixPerPass = 0;
new NetflowDecoder({ onRecord: () => { ipfixPerPass++; } }).decode(Buffer.concat(ipfix), 'x');

/** Records per second of wall time and per second of this process's CPU time (steadier on a shared machine). */
interface Rate {
  wall: number;
  cpu: number;
}

function clock(): () => { wallS: number; cpuS: number } {
  const t = performance.now();
  const c = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(c);
    return { wallS: (performance.now() - t) / 1000, cpuS: (d.user + d.system) / 1e6 };
  };
}

function decodeOnly(stream: Buffer[], perPass: number): Rate {
  let n = 0;
  const dec = new NetflowDecoder({ onRecord: () => { n++; } }, { cache: new TemplateCache() });
  const passes = Math.ceil(RECORDS / perPass);
  const stop = clock();
  for (let p = 0; p < passes; p++) for (const d of stream) dec.decode(d, '192.0.2.1');
  const { wallS, cpuS } = stop();
  return { wall: n / wallS, cpu: n / cpuS };
}

async function decodeEvaluate(stream: Buffer[], perPass: number): Promise<Rate> {
  const db = await openStore(':memory:');
  const eng = new MonitorEngine({ db, model });
  let n = 0;
  const dec = new NetflowDecoder({ onRecord: (r) => { n++; eng.window.record(r); } }, { cache: new TemplateCache() });
  const passes = Math.ceil(RECORDS / perPass);
  // Warm-up: the first window over an empty store learns the baseline (every host, flow and alert is new once); steady state is what a long-running monitor sees.
  for (const d of stream) dec.decode(d, '192.0.2.1');
  await eng.evaluateWindow();
  n = 0;
  const stop = clock();
  let next = WINDOW;
  for (let p = 0; p < passes; p++) {
    for (const d of stream) dec.decode(d, '192.0.2.1');
    if (n >= next) {
      await eng.evaluateWindow();
      next += WINDOW;
    }
  }
  await eng.evaluateWindow();
  const { wallS, cpuS } = stop();
  await db.close();
  return { wall: n / wallS, cpu: n / cpuS };
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const cols = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(cols[11]) + Number(cols[12])) / 100;
}

async function inProcess(): Promise<void> {
  console.log(`per core, in process: ${RECORDS.toLocaleString('en-US')} records per run, median of ${RUNS} runs (${load()})`);
  const rows: Array<[string, Buffer[], number]> = FLOWS.map((f) => {
    const s = v5Stream(f);
    return [`NetFlow v5, ${f.toLocaleString('en-US')} flows`, s, s.length * 30];
  });
  rows.push(['IPFIX replay', ipfix, ipfixPerPass]);
  for (const [label, stream, per] of rows) {
    const dec: Rate[] = [];
    const ev: Rate[] = [];
    for (let i = 0; i < RUNS; i++) {
      dec.push(decodeOnly(stream, per));
      ev.push(await decodeEvaluate(stream, per));
    }
    const both = (rs: Rate[]) => `${M(median(rs.map((r) => r.wall)))} (${(median(rs.map((r) => r.cpu)) / 1e6).toFixed(2)} M per CPU s)`;
    console.log(`  ${label.padEnd(26)} decode: ${both(dec)}   decode + window evaluation: ${both(ev)}`);
  }
  console.log(`  (${load()})`);
}

async function sideBySide(): Promise<void> {
  console.log(`\nside by side over loopback: the same v5 stream to wardline monitor and nfcapd, ${SECONDS} s per rate (${load()})`);
  const m = startMonitor(['--model', join(ROOT, 'examples', 'hospital'), '--netflow', '0', '--health', '0', '--window', '1s', '--db', join(tmp, 'bench.db')]);
  const { netflow, health } = await started(m);
  const probe = await udpSender();
  const nfport = probe.address().port;
  probe.close();
  console.log('  rate sent        | monitor: received  per CPU s        | nfcapd: received  per CPU s        | ratio (per CPU s)');
  let heldOurs = 0;
  let heldTheirs = 0;
  let top = 0;
  try {
    for (const rate of RATES) {
      const dir = join(tmp, `nf-${rate}`);
      mkdirSync(dir, { recursive: true });
      const nf: ChildProcess = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(nfport), '-w', dir, '-t', '3600', '-B', String(8 * 1024 * 1024)], { stdio: 'ignore' });
      await sleep(500);
      const before = await metric(health!, 'wardline_monitor_records_total');
      const cpuM0 = cpuSeconds(m.proc.pid!);
      const cpuN0 = cpuSeconds(nf.pid!);
      const r = await floodBatched([netflow!, nfport], v5, 30, rate, SECONDS);
      await sleep(1500);
      const ours = (await metric(health!, 'wardline_monitor_records_total')) - before;
      const cpuM = cpuSeconds(m.proc.pid!) - cpuM0;
      const cpuN = cpuSeconds(nf.pid!) - cpuN0;
      await new Promise<void>((res) => { nf.once('exit', () => res()); nf.kill('SIGTERM'); });
      const info = execFileSync('nfdump', ['-R', dir, '-I'], { encoding: 'utf8' });
      const theirs = Number(/^Flows: (\d+)/m.exec(info)?.[1] ?? 0);
      top = Math.max(top, r.rate);
      if (ours === r.records) heldOurs = Math.max(heldOurs, r.rate);
      if (theirs === r.records) heldTheirs = Math.max(heldTheirs, r.rate);
      const pcO = ours / Math.max(cpuM, 0.01);
      const pcT = theirs / Math.max(cpuN, 0.01);
      console.log(`  ${String(Math.round(r.rate)).padStart(8)}/s ${String(r.records).padStart(8)} | ${String(ours).padStart(17)}  ${M(pcO).padStart(18)} | ${String(theirs).padStart(16)}  ${M(pcT).padStart(18)} | ${(pcO / pcT).toFixed(2)}`);
    }
  } finally {
    m.proc.kill('SIGTERM');
    await m.exited;
  }
  console.log(`  highest rate held without loss: monitor ${Math.round(heldOurs)} records/s, nfcapd ${Math.round(heldTheirs)} records/s (highest rate sent ${Math.round(top)} records/s); ${load()}`);
}

try {
  if (PART !== 'loopback') await inProcess();
  if (PART !== 'in-process') await sideBySide();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
