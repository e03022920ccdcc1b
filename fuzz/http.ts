/**
 * Fuzzes the HTTP analyzer with mutations of real streams: the corpus HTTP
 * captures (as tshark reassembles them) and a pipelined exchange with a
 * chunked body. Seeded, so a failure is reproducible:
 *   node fuzz/http.ts [cases] [seed]
 * A failure is an exception, a case slower than 1 s, or a planted
 * credential showing up in what the analyzer reported.
 * The stream machinery here is shared with fuzz/tls.ts and fuzz/dns.ts.
 */
import type { ConnectionInfo, Direction, StreamAnalyzer } from '../src/decoders/analyzer.ts';
import { httpAnalyzer } from '../src/analyzers/http/analyzer.ts';
import { RecordingSink, tcpStreams } from '../test/analyzers/web-helpers.ts';
import { corpusFile } from '../test/helpers/corpus.ts';
import { fuzzMain, mutate, runFuzz } from './lib.ts';

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

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
  let records = 0;
  const run = runFuzz({
    name: analyzer.name, cases, seed, slowMs: 1000, stopAfter: 20,
    gen: (r) => {
      const s = samples[Math.floor(r() * samples.length)];
      const chunks: Array<{ dir: Direction; data: Uint8Array }> = [];
      for (const ch of s.chunks) {
        const roll = r();
        if (roll < 0.03) continue;
        const data = roll < 0.4 ? mutate(ch.data, r, tokens) : ch.data;
        chunks.push({ dir: ch.dir, data });
        if (roll > 0.98) chunks.push({ dir: ch.dir, data });
      }
      return chunks.length ? { conn: s.conn, chunks } : undefined;
    },
    check: ({ conn, chunks }, r, c) => {
      const sink = new RecordingSink();
      analyzer.detect(chunks[0].dir, chunks[0].data, conn);
      const p = analyzer.create(conn, sink);
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
      return check?.(sink);
    },
  });
  return { cases, failures: run.failures, records };
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

export function summarize(res: FuzzResult): { failures: string[]; summary: string } {
  return { failures: res.failures, summary: `${res.records} records` };
}

export function fuzz(cases: number, seed: number): FuzzResult {
  const samples = [...loadStreams([
    'pcap/arkime_http-basicauth.pcap', 'pcap/arkime_http-post-upload.pcap', 'pcap/arkime_http-simple-get.pcap', 'pcap/zeek_http_get.pcap',
    'pcap/zeek_conn-size.pcap',
  ]), SYNTHETIC];
  return fuzzStreams(httpAnalyzer, samples, cases, seed, HTTP_TOKENS, checkNoCanary);
}

if (import.meta.main) fuzzMain('http', (cases, seed) => summarize(fuzz(cases, seed)));
