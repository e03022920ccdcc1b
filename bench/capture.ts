/**
 * Capture pipeline throughput against tshark, side by side on the same
 * files in one run (the lab README's "perf" method):
 *   mix:  the lab capture, copied until ~250 MB, each copy with its own
 *         addresses (tcprewrite --pnat) and time-shifted (editcap -t), mergecap -a;
 *   bulk: a C-STORE capture of 512x512 CT slices between two network
 *         namespaces this script creates (storescu -> storescp, dumpcap on
 *         the veth with offloads off), grown the same way to ~250 MB.
 * Files are cached in bench/out/. For each: `bin/wardline.js discover F`
 * (the launcher, as a user runs it), plain `node src/cli/main.ts discover F`
 * and `tshark -r F -Y dicom -T fields -e ip.src -e dicom.assoc.item.type`,
 * under /usr/bin/time -v, BENCH_RUNS times (default 3); medians of MB/s,
 * packets/s and peak RSS, and our throughput as a multiple of tshark's.
 * Then peak RSS with each file given 1, 2 and 4 times in one run (up to
 * ~1 GB read; BENCH_SCALE=0 skips it).
 *   node bench/capture.ts [mix|bulk ...]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out');
const CORPUS = process.env.WARDLINE_CORPUS ?? join(REPO, '..', 'shared', 'corpus');
const TARGET_MB = Number(process.env.BENCH_TARGET_MB ?? 250);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'] });
}

function log(msg: string): void {
  process.stderr.write(`[bench capture] ${msg}\n`);
}

/** Duration of a capture in whole seconds, plus a margin, so that copies do not overlap in time. */
function captureSeconds(file: string): number {
  const out = run('capinfos', ['-u', '-T', '-r', file], { quiet: true });
  return Math.floor(Number(out.trim().split('\t')[1])) + 2;
}

/** N copies of src, each with its own /24s and time slot, concatenated into dst. */
function grow(src: string, dst: string, nets: string[], targetMb: number): void {
  const size = statSync(src).size;
  const n = Math.ceil((targetMb * 1e6) / size);
  const dur = captureSeconds(src);
  const tmp = mkdtempSync(join(OUT, 'grow-'));
  log(`building ${dst}: ${n} copies of ${src} (${size} bytes), ${dur} s apart`);
  try {
    const files: string[] = [];
    for (let k = 0; k < n; k++) {
      const rw = join(tmp, `c${String(k).padStart(5, '0')}.rw.pcap`);
      const out = join(tmp, `c${String(k).padStart(5, '0')}.pcap`);
      if (k === 0) writeFileSync(rw, readFileSync(src));
      else {
        const net = `${100 + Math.floor(k / 256)}.${k % 256}`;
        const map = nets.map((cidr) => `${cidr}:10.${net}.0/24`).join(',');
        run('tcprewrite', [`--pnat=${map}`, '-C', '-i', src, '-o', rw], { quiet: true });
      }
      run('editcap', ['-F', 'pcap', '-t', String(k * dur), rw, out], { quiet: true });
      rmSync(rw);
      files.push(out);
      if (k % 100 === 99) log(`  ${k + 1}/${n} copies`);
    }
    const batches: string[] = [];
    for (let i = 0; i < files.length; i += 128) {
      const b = join(tmp, `b${String(batches.length).padStart(4, '0')}.pcap`);
      run('mergecap', ['-F', 'pcap', '-a', '-w', b, ...files.slice(i, i + 128)], { quiet: true });
      for (const f of files.slice(i, i + 128)) rmSync(f);
      batches.push(b);
    }
    run('mergecap', ['-F', 'pcap', '-a', '-w', `${dst}.tmp`, ...batches], { quiet: true });
    renameSync(`${dst}.tmp`, dst);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const MKDICOM = `
import sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out, n = sys.argv[1], int(sys.argv[2])
study = generate_uid(entropy_srcs=['wardline-bench-study'])
series = generate_uid(entropy_srcs=['wardline-bench-series'])
pixels = bytes(range(256)) * 2048
for i in range(n):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=['wardline-bench', str(i)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = 'PHANTOM^BENCH'
    ds.PatientID = 'BENCH0001'
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.Modality = 'CT'
    ds.InstanceNumber = i + 1
    ds.Rows = 512
    ds.Columns = 512
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = pixels
    ds.save_as('%s/ct%03d.dcm' % (out, i), write_like_original=False)
`;

const NS_A = 'wl-capture-bench-a';
const NS_B = 'wl-capture-bench-b';

function netnsCleanup(): void {
  for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(p: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); }, 10_000);
    p.once('exit', () => { clearTimeout(t); resolve(); });
    p.kill(signal);
  });
}

/** A C-STORE capture: storescu in one namespace, storescp in another, dumpcap on the veth. */
async function captureBulk(dst: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'wl-capture-bench-'));
  let scp: ChildProcess | undefined;
  let cap: ChildProcess | undefined;
  netnsCleanup();
  try {
    run('ip', ['netns', 'add', NS_A]);
    run('ip', ['netns', 'add', NS_B]);
    run('ip', ['-n', NS_A, 'link', 'add', 'wlcb0', 'type', 'veth', 'peer', 'name', 'wlcb1', 'netns', NS_B]);
    for (const [ns, dev, ip] of [[NS_A, 'wlcb0', '10.88.0.1/24'], [NS_B, 'wlcb1', '10.88.0.2/24']]) {
      run('ip', ['-n', ns, 'addr', 'add', ip, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // Without this the capture holds 64 KB offload super-frames (lab README gotcha 8).
      spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
    }
    const dcm = join(tmp, 'dcm');
    const recv = join(tmp, 'recv');
    mkdirSync(dcm);
    mkdirSync(recv);
    log('making 40 CT slices (512x512) with pydicom');
    run('/usr/bin/python3', ['-c', MKDICOM, dcm, '40']);
    scp = spawn('ip', ['netns', 'exec', NS_B, 'storescp', '-aet', 'PACS', '-od', recv, '11112'], { stdio: 'ignore' });
    const pcap = join(tmp, 'bulk.pcap');
    cap = spawn('ip', ['netns', 'exec', NS_A, 'dumpcap', '-q', '-P', '-i', 'wlcb0', '-w', pcap], { stdio: 'ignore' });
    await waitFor(() => existsSync(pcap), 10_000, 'dumpcap');
    await waitFor(() => spawnSync('ip', ['netns', 'exec', NS_A, 'echoscu', '-aet', 'CT01', '-aec', 'PACS', '10.88.0.2', '11112'], { stdio: 'ignore' }).status === 0, 10_000, 'storescp');
    const files = readdirSync(dcm).sort().map((f) => join(dcm, f));
    for (let round = 0; round < 2; round++) {
      run('ip', ['netns', 'exec', NS_A, 'storescu', '-aet', 'CT01', '-aec', 'PACS', '10.88.0.2', '11112', ...files]);
    }
    await new Promise((r) => setTimeout(r, 1000));
    await stop(cap, 'SIGINT');
    cap = undefined;
    renameSync(pcap, dst);
  } finally {
    await stop(cap, 'SIGINT');
    await stop(scp, 'SIGTERM');
    netnsCleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Timing {
  wall: number;
  /** User + system CPU seconds: less sensitive than wall time to other load on the machine. */
  cpu: number;
  rssMb: number;
  lines: number;
}

function timed(cmd: string, args: string[], env?: Record<string, string>): Timing {
  const tf = join(OUT, 'time.txt');
  const outFile = join(OUT, 'last.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/bin/sh', ['-c', `/usr/bin/time -v -o "$0" "$@" > "${outFile}" 2>/dev/null`, tf, cmd, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} failed with ${r.status}`);
  const report = readFileSync(tf, 'utf8');
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  const user = /User time \(seconds\): ([\d.]+)/.exec(report);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(report);
  const text = readFileSync(outFile, 'utf8');
  rmSync(outFile);
  return { wall, cpu: Number(user?.[1] ?? NaN) + Number(sys?.[1] ?? NaN), rssMb: rss ? Number(rss[1]) / 1024 : NaN, lines: text ? text.split('\n').length - 1 : 0 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function packetsOf(file: string): number {
  const meta = `${file}.packets`;
  if (existsSync(meta) && statSync(meta).mtimeMs >= statSync(file).mtimeMs) return Number(readFileSync(meta, 'utf8'));
  const n = Number(run('capinfos', ['-M', '-c', '-r', '-T', file], { quiet: true }).trim().split('\t')[1]);
  writeFileSync(meta, String(n));
  return n;
}

async function ensure(name: string): Promise<string> {
  const big = join(OUT, `big-${name}.pcap`);
  if (existsSync(big)) return big;
  if (name === 'mix') {
    grow(join(CORPUS, 'lab', 'lab_hospital.pcap'), big, ['10.77.0.0/24'], TARGET_MB);
  } else {
    const src = join(OUT, 'bulk-src.pcap');
    if (!existsSync(src)) await captureBulk(src);
    grow(src, big, ['10.88.0.0/24'], TARGET_MB);
  }
  return big;
}

export interface BenchRow {
  file: string;
  tool: string;
  mb: number;
  packets: number;
  mbPerS: number;
  kpktPerS: number;
  cpuS: number;
  rssMb: number;
  lines: number;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  // Measure the settings the launcher chooses, not whatever this shell has.
  delete process.env.NODE_OPTIONS;
  delete process.env.NODE_COMPILE_CACHE;
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ['mix', 'bulk'];
  const rows: BenchRow[] = [];
  const ratios: string[] = [];
  for (const name of names) {
    const file = await ensure(name);
    const mb = statSync(file).size / 1e6;
    const packets = packetsOf(file);
    // Warm the page cache: both tools then read from RAM.
    spawnSync('cat', [file], { stdio: 'ignore' });
    const args = ['discover', file, '--no-store', '--quiet'];
    // As a user runs it: bin/wardline.js executed directly, so that its
    // shebang flags (2 MB semi-space) and compile cache apply. The second
    // row is plain `node src/cli/main.ts`, without those settings, to show
    // what they are worth. (Inherited NODE_OPTIONS/NODE_COMPILE_CACHE were removed in main.)
    const SHIPPED = 'wardline discover (bin/wardline.js)';
    const PLAIN = 'node src/cli/main.ts discover';
    const TSHARK = 'tshark -Y dicom -T fields';
    const tools: Array<[string, string, string[], Record<string, string>?]> = [
      [SHIPPED, join(REPO, 'bin', 'wardline.js'), args],
      [PLAIN, process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), ...args]],
      [TSHARK, 'tshark', ['-r', file, '-Y', 'dicom', '-T', 'fields', '-e', 'ip.src', '-e', 'dicom.assoc.item.type']],
    ];
    // Fills the launcher's compile cache, as any earlier run would have.
    spawnSync(join(REPO, 'bin', 'wardline.js'), ['discover', '--help'], { stdio: 'ignore' });
    const med: Record<string, BenchRow> = {};
    for (const [label, cmd, args, env] of tools) {
      const ts: Timing[] = [];
      for (let i = 0; i < RUNS; i++) {
        ts.push(timed(cmd, args, env));
        log(`${name} ${label}: ${ts[i].wall.toFixed(2)} s (CPU ${ts[i].cpu.toFixed(2)} s), peak RSS ${ts[i].rssMb.toFixed(0)} MB`);
      }
      const wall = median(ts.map((t) => t.wall));
      const row: BenchRow = {
        file: name, tool: label, mb, packets, mbPerS: mb / wall, kpktPerS: packets / wall / 1000, cpuS: median(ts.map((t) => t.cpu)),
        rssMb: median(ts.map((t) => t.rssMb)), lines: ts[0].lines,
      };
      rows.push(row);
      med[label] = row;
    }
    const theirs = med[TSHARK];
    for (const label of [SHIPPED, PLAIN]) {
      const ours = med[label];
      ratios.push(`${name}: ${label} ${(ours.mbPerS / theirs.mbPerS).toFixed(1)}x tshark's throughput (${(theirs.cpuS / ours.cpuS).toFixed(1)}x in CPU time), peak RSS ${ours.rssMb.toFixed(0)} MB vs ${theirs.rssMb.toFixed(0)} MB`);
    }
  }
  // Memory against input size: the same capture given 1, 2 and 4 times in
  // one run (up to ~1 GB). Its flows repeat, so what is kept (flow edges,
  // hosts) stays the same and peak RSS must not grow with the bytes read.
  // Memory does grow with distinct flows: the mix file's 39,078 edges take
  // about 37 MB of heap once decoded.
  const scale: string[] = [];
  if (process.env.BENCH_SCALE !== '0') {
    for (const name of names) {
      const file = await ensure(name);
      for (const copies of [1, 2, 4]) {
        const t = timed(join(REPO, 'bin', 'wardline.js'), ['discover', ...Array<string>(copies).fill(file), '--no-store', '--quiet']);
        const gb = (statSync(file).size * copies) / 1e9;
        scale.push(`${name} x${copies}: ${gb.toFixed(2)} GB read in ${t.wall.toFixed(2)} s, peak RSS ${t.rssMb.toFixed(0)} MB`);
        log(scale[scale.length - 1]);
      }
    }
  }
  console.log(`capture pipeline vs tshark (median of ${RUNS} runs, page cache warm, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  console.log(['file', 'tool', 'MB', 'packets', 'MB/s', 'kpkt/s', 'CPU s', 'peak RSS MB'].join('\t'));
  for (const r of rows) console.log([r.file, r.tool, r.mb.toFixed(1), r.packets, r.mbPerS.toFixed(1), r.kpktPerS.toFixed(0), r.cpuS.toFixed(2), r.rssMb.toFixed(0)].join('\t'));
  for (const r of ratios) console.log(r);
  if (scale.length) console.log(`peak memory against input size (same flows repeated):\n${scale.join('\n')}`);
  writeFileSync(join(OUT, 'capture-results.json'), JSON.stringify({ runs: RUNS, loadavg: loadavg(), rows, ratios, scale }, null, 2));
}

await main();
