/**
 * Fuzzes the HTTP analyzer with mutations of real streams: the corpus HTTP
 * captures (as tshark reassembles them) and a pipelined exchange with a
 * chunked body. Seeded, so a failure is reproducible:
 *   node fuzz/http.ts [cases] [seed]
 * A failure is an exception, a case slower than 1 s, or a planted
 * credential showing up in what the analyzer reported.
 * The stream machinery here is shared with fuzz/tls.ts and fuzz/dns.ts.
 */
import { fileURLToPath } from 'node:url';
import type { ConnectionInfo, Direction, StreamAnalyzer } from '../src/decoders/analyzer.ts';
import { httpAnalyzer } from '../src/analyzers/http/analyzer.ts';
import { RecordingSink, tcpStreams } from '../test/analyzers/web-helpers.ts';
import { corpusFile } from '../test/helpers/corpus.ts';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** Applies 1..6 random edits: flips, inserted tokens, deletions, duplicated slices, truncation, random runs. */
export function mutateBytes(src: Uint8Array, r: () => number, tokens: Uint8Array[]): Uint8Array {
  let b = src;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = Math.floor(r() * 7);
    if (op === 0 && b.length > 0) {
      const c = b.slice();
      c[Math.min(at, c.length - 1)] ^= 1 << Math.floor(r() * 8);
      b = c;
    } else if (op === 1) {
      const t = tokens[Math.floor(r() * tokens.length)];
      b = concat(b.subarray(0, at), t, b.subarray(at));
    } else if (op === 2) {
      b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 32))));
    } else if (op === 3) {
      const from = Math.floor(r() * b.length);
      b = concat(b.subarray(0, at), b.subarray(from, from + Math.floor(r() * 128)), b.subarray(at));
    } else if (op === 4) {
      b = b.subarray(0, at);
    } else if (op === 5) {
      const run = new Uint8Array(Math.floor(r() * 64));
      for (let i = 0; i < run.length; i++) run[i] = Math.floor(r() * 256);
      b = concat(b.subarray(0, at), run, b.subarray(at));
    } else if (b.length > 1) {
      // Overwrite a 16-bit value with an extreme: lengths are the usual weak spot.
      const c = b.slice();
      const p = Math.min(at, c.length - 2);
      const v = [0, 0xffff, 0x7fff, 0x8000, 1][Math.floor(r() * 5)];
      c[p] = v >> 8;
      c[p + 1] = v & 0xff;
      b = c;
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface StreamSample {
  conn: ConnectionInfo;
  chunks: Array<{ dir: Direction; data: Uint8Array }>;
}

export function loadStreams(files: string[]): StreamSample[] {
  const out: StreamSample[] = [];
  for (const f of files) {
    for (const s of tcpStreams(corpusFile(...f.split('/')))) if (s.chunks.length > 0) out.push({ conn: s.conn, chunks: s.chunks });
  }
  return out;
}

export interface FuzzResult {
  cases: number;
  failures: string[];
  records: number;
}

/**
 * Runs `cases` mutated streams through a stream analyzer. Chunks are
 * mutated, dropped, duplicated and re-split at random points; gaps are
 * announced now and then. `check` inspects each sink for broken invariants.
 */
export function fuzzStreams(
  analyzer: StreamAnalyzer, samples: StreamSample[], cases: number, seed: number, tokens: Uint8Array[],
  check?: (sink: RecordingSink) => string | undefined,
): FuzzResult {
  const r = rng(seed);
  const failures: string[] = [];
  let records = 0;
  for (let c = 0; c < cases; c++) {
    const s = samples[Math.floor(r() * samples.length)];
    const chunks: Array<{ dir: Direction; data: Uint8Array }> = [];
    for (const ch of s.chunks) {
      const roll = r();
      if (roll < 0.03) continue;
      const data = roll < 0.4 ? mutateBytes(ch.data, r, tokens) : ch.data;
      chunks.push({ dir: ch.dir, data });
      if (roll > 0.98) chunks.push({ dir: ch.dir, data });
    }
    if (chunks.length === 0) continue;
    const sink = new RecordingSink();
    const started = performance.now();
    try {
      analyzer.detect(chunks[0].dir, chunks[0].data, s.conn);
      const p = analyzer.create(s.conn, sink);
      for (const ch of chunks) {
        if (r() < 0.02) p.gap(ch.dir, 1 + Math.floor(r() * 3000));
        let i = 0;
        while (i < ch.data.length) {
          const n = r() < 0.5 ? ch.data.length - i : 1 + Math.floor(r() * 64);
          p.data(ch.dir, ch.data.subarray(i, i + n), c);
          i += n;
        }
      }
      p.end(c);
      records += sink.records.length;
      const problem = check?.(sink);
      if (problem) failures.push(`case ${c} (seed ${seed}): ${problem}`);
    } catch (err) {
      failures.push(`case ${c} (seed ${seed}): ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
    const ms = performance.now() - started;
    if (ms > 1000) failures.push(`case ${c} (seed ${seed}): took ${ms.toFixed(0)} ms`);
    if (failures.length >= 20) break;
  }
  return { cases, failures, records };
}

/** Canaries planted by the mutations: none may ever be reported. */
const CANARY_B64 = Buffer.from('fuzzuser:canarySecret').toString('base64');
const HTTP_TOKENS = [
  '\r\n', '\r\n\r\n', '\n', ' ', ':', 'HTTP/1.1 ', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 101 Switching\r\n\r\n',
  'GET / HTTP/1.1\r\n', 'POST /fhir/Patient HTTP/1.1\r\n', 'CONNECT a:443 HTTP/1.1\r\n', 'HEAD /x HTTP/1.0\r\n',
  'Content-Length: 0\r\n', 'Content-Length: 99999999999\r\n', 'Content-Length: -1\r\n', 'Content-Length: 5\r\n',
  'Transfer-Encoding: chunked\r\n', 'ffffffffffffffff\r\n', '0\r\n\r\n', '5;ext=1\r\nhello\r\n', 'Host: h\r\n',
  `Authorization: Basic ${CANARY_B64}\r\n`, 'Authorization: canarySecret\r\n', '?password=canarySecret', 'password=canarySecret&',
  'Content-Type: application/x-www-form-urlencoded\r\n', 'Content-Type: application/fhir+json\r\n', '/studies/1.2.3/series',
  'Server: Orthanc/1.10.1\r\n', '\u0000', '\t', ' folded\r\n',
].map(bytes);

const SYNTHETIC: StreamSample = {
  conn: { id: '10.0.0.1:40000>10.0.0.2:8042/tcp', client: '10.0.0.1', server: '10.0.0.2', clientPort: 40000, serverPort: 8042, transport: 'tcp' },
  chunks: [
    { dir: 0, data: bytes('GET /fhir/Patient/123 HTTP/1.1\r\nHost: a\r\n\r\nPOST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nuser=a&pw=b') },
    { dir: 1, data: bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/fhir+json\r\n\r\n4\r\n{}{}\r\n0\r\n\r\nHTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n') },
  ],
};

/**
 * Free-text header values (User-Agent, Server, Host, media types) are
 * reported as sent, so a mutation that lands a canary inside one is not a
 * leak; everywhere else (paths, credentials, bodies) it is.
 */
const FREE_TEXT = new Set(['userAgent', 'server', 'host', 'requestContentType', 'responseContentType', 'userAgents', 'servers', 'hosts', 'hostnames', 'software']);

export function checkNoCanary(sink: RecordingSink): string | undefined {
  const dump = JSON.stringify({ records: sink.records, edge: sink.edge, hosts: [...sink.hosts.values()] }, (k, v: unknown) => (FREE_TEXT.has(k) ? undefined : v));
  const at = dump.search(/canarySecret|ZnV6enVzZXI6Y2Fu/);
  if (at >= 0) return `a planted credential was reported: ...${dump.slice(Math.max(0, at - 120), at + 40)}`;
  return undefined;
}

export function fuzz(cases: number, seed: number): FuzzResult {
  const samples = [...loadStreams([
    'pcap/arkime_http-basicauth.pcap', 'pcap/arkime_http-post-upload.pcap', 'pcap/arkime_http-simple-get.pcap', 'pcap/zeek_http_get.pcap',
    'pcap/zeek_conn-size.pcap',
  ]), SYNTHETIC];
  return fuzzStreams(httpAnalyzer, samples, cases, seed, HTTP_TOKENS, checkNoCanary);
}

export function main(name: string, run: (cases: number, seed: number) => FuzzResult): void {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  const res = run(cases, seed);
  const s = (performance.now() - t0) / 1000;
  console.log(`${name}: ${res.cases} cases, ${res.records} records, ${res.failures.length} failures, ${s.toFixed(1)} s`);
  for (const f of res.failures) console.log(f);
  process.exitCode = res.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main('http', fuzz);
