/**
 * HTTP, TLS and DNS analysis throughput against tshark, side by side on
 * the same file in one run. The file is the corpus web captures (HTTP,
 * TLS, DNS) plus the lab capture's Orthanc REST traffic, copied until
 * BENCH_WEB_MB (default 40) MB, each copy with its own addresses
 * (XOR-ed per copy) and time slot.
 * Ours: the packet pipeline with every registered analyzer, in a child
 * process. Peer: `tshark -r F -T fields` with HTTP, TLS and DNS fields.
 * Both under /usr/bin/time -v, BENCH_RUNS times (default 3); medians of
 * MB/s and peak RSS, and our throughput as a multiple of tshark's.
 *   node bench/web.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.ts';
import { CORPUS, REPO } from '../test/helpers/corpus.ts';

const OUT = join(REPO, 'bench', 'out');
const TARGET_MB = Number(process.env.BENCH_WEB_MB ?? 40);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SOURCES = [
  'pcap/arkime_http-basicauth.pcap', 'pcap/arkime_http-post-upload.pcap', 'pcap/arkime_http-simple-get.pcap', 'pcap/zeek_http_get.pcap',
  'pcap/zeek_conn-size.pcap', 'pcap/arkime_curl-enabled-tls13.pcap', 'pcap/arkime_openssl-tls1_2.pcap', 'pcap/zeek_tls_chrome-34-google.pcap',
  'pcap/zeek_tls_client-certificate.pcap', 'pcap/zeek_tls_ocsp-stapling.pcap', 'pcap/zeek_tls_signed_certificate_timestamp.pcap',
  'pcap/zeek_tls_tls-conn-with-extensions.pcap', 'pcap/zeek_tls_tls1.2.pcap', 'pcap/arkime_dns-udp.pcap', 'pcap/zeek_dns-edns-ecs.pcap',
];
/** 2024-01-01, the start of the first copy. */
const T0 = 1704067200;
const TSHARK_FIELDS = ['http.request.method', 'http.host', 'http.response.code', 'tls.handshake.extensions_server_name', 'tls.handshake.ciphersuite', 'dns.qry.name', 'dns.a'];

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
}

function log(msg: string): void {
  process.stderr.write(`[bench web] ${msg}\n`);
}

/**
 * The web mix: every source shifted to its own 10-minute slot from a common
 * start and concatenated; then copies of that, each with its addresses
 * XOR-ed by the copy number and its own time slot. (tcprewrite would do
 * the addresses, but it turns Ethernet padding into TCP payload.)
 */
function build(dst: string): void {
  const tmp = mkdtempSync(join(OUT, 'web-'));
  try {
    const parts: string[] = [];
    SOURCES.forEach((s, i) => {
      const out = join(tmp, `s${i}.pcap`);
      const start = Number(run('capinfos', ['-S', '-T', '-r', '-a', join(CORPUS, s)]).trim().split('\t')[1]);
      run('editcap', ['-F', 'pcap', '-t', String(Math.round(T0 - start) + i * 600), join(CORPUS, s), out]);
      parts.push(out);
    });
    const basePath = join(tmp, 'base.pcap');
    run('mergecap', ['-F', 'pcap', '-a', '-w', basePath, ...parts]);
    const base = readFileSync(basePath);
    const n = Math.ceil((TARGET_MB * 1e6) / base.length);
    log(`building ${dst}: ${n} copies of a ${base.length}-byte web mix`);
    if (base.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('expected a little-endian microsecond pcap from mergecap');
    const partial = `${dst}.part`;
    const fd = openSync(partial, 'w');
    writeSync(fd, base.subarray(0, 24));
    const span = SOURCES.length * 600;
    for (let k = 0; k < n; k++) {
      const copy = Buffer.from(base.subarray(24));
      for (let o = 0; o + 16 <= copy.length;) {
        const len = copy.readUInt32LE(o + 8);
        copy.writeUInt32LE(copy.readUInt32LE(o) + k * span, o);
        rewriteAddresses(copy, o + 16, len, k);
        o += 16 + len;
      }
      writeSync(fd, copy);
    }
    closeSync(fd);
    renameSync(partial, dst);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** XORs two bytes of every IPv4/IPv6 address in an Ethernet frame with the copy number; fixes the IPv4 header checksum. */
function rewriteAddresses(b: Buffer, off: number, len: number, k: number): void {
  if (k === 0 || len < 34) return;
  let l3 = off + 14;
  let type = b.readUInt16BE(off + 12);
  while (type === 0x8100 && l3 + 4 <= off + len) {
    type = b.readUInt16BE(l3 + 2);
    l3 += 4;
  }
  const hi = (k >> 8) & 0xff;
  const lo = k & 0xff;
  if (type === 0x0800 && l3 + 20 <= off + len) {
    for (const a of [l3 + 12, l3 + 16]) {
      b[a + 1] ^= lo;
      b[a + 2] ^= hi;
    }
    const ihl = (b[l3] & 0x0f) * 4;
    if (l3 + ihl > off + len) return;
    b.writeUInt16BE(0, l3 + 10);
    let sum = 0;
    for (let i = 0; i < ihl; i += 2) sum += b.readUInt16BE(l3 + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    b.writeUInt16BE(~sum & 0xffff, l3 + 10);
  } else if (type === 0x86dd && l3 + 40 <= off + len) {
    for (const a of [l3 + 8, l3 + 24]) {
      b[a + 2] ^= lo;
      b[a + 3] ^= hi;
    }
  }
}

interface Measure {
  seconds: number;
  rssMb: number;
  out: string;
}

function timed(cmd: string, args: string[]): Measure {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-500)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!wall || !rss) throw new Error('could not read /usr/bin/time output');
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, rssMb: Number(rss[1]) / 1024, out: r.stdout };
}


/** The child process: the pipeline over one file, printing record counts per log. */
async function inner(file: string): Promise<void> {
  const { datagramAnalyzers, streamAnalyzers } = await import('../src/analyzers/registry.ts');
  const { PacketPipeline } = await import('../src/decoders/pipeline.ts');
  const { FlowAggregator } = await import('../src/observations/aggregate.ts');
  const { readCapture } = await import('../src/sources/pcap.ts');
  const agg = new FlowAggregator();
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  await readCapture(createReadStream(file, { highWaterMark: 1 << 20 }), file, (p) => pipe.packet(p));
  pipe.end();
  process.stdout.write(`${JSON.stringify(Object.fromEntries(agg.recordCounts))}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--inner') return inner(process.argv[3]);
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `web-mix-${TARGET_MB}mb.pcap`);
  if (!existsSync(file)) build(file);
  const mb = statSync(file).size / 1e6;
  const packets = Number(run('capinfos', ['-T', '-r', '-c', file]).trim().split('\t')[1]);
  log(`${file}: ${mb.toFixed(1)} MB, ${packets} packets, ${RUNS} runs each`);
  const ours: Measure[] = [];
  const peer: Measure[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(timed(process.execPath, [fileURLToPath(import.meta.url), '--inner', file]));
    peer.push(timed('tshark', ['-r', file, '-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]));
  }
  const counts = JSON.parse(ours[0].out) as Record<string, number>;
  const lines = peer[0].out.split('\n');
  const tsharkRequests = lines.filter((l) => l.split('\t')[0] !== '' && l.length > 0).length;
  const oSec = median(ours.map((m) => m.seconds));
  const pSec = median(peer.map((m) => m.seconds));
  const row = (name: string, sec: number, rss: number) =>
    `${name.padEnd(8)} median ${sec.toFixed(2)} s  ${(mb / sec).toFixed(1)} MB/s  ${Math.round(packets / sec)} packets/s  peak RSS ${rss.toFixed(0)} MB`;
  console.log(`web mix: ${mb.toFixed(1)} MB, ${packets} packets`);
  console.log(row('wardline', oSec, median(ours.map((m) => m.rssMb))));
  console.log(row('tshark', pSec, median(peer.map((m) => m.rssMb))));
  console.log(`ratio: wardline throughput = ${(pSec / oSec).toFixed(1)}x tshark`);
  console.log(`records: http ${counts.http ?? 0} (tshark HTTP requests ${tsharkRequests}), tls ${counts.tls ?? 0}, dns ${counts.dns ?? 0}`);
}

await main();
