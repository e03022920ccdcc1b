/**
 * Fuzzes the DNS analyzers with mutations of the corpus DNS messages: as
 * UDP datagrams (detect + datagram) and length-prefixed over TCP, split
 * at random. Compression pointers, counts and lengths are the targets.
 * Seeded: node fuzz/dns.ts [cases] [seed]
 * A failure is an exception or a case slower than 1 s.
 */
import { dnsAnalyzer, dnsTcpAnalyzer } from '../src/analyzers/dns/analyzer.ts';
import { RecordingSink, udpDatagrams, type Datagram } from '../test/analyzers/web-helpers.ts';
import { corpusFile } from '../test/helpers/corpus.ts';
import { fuzzStreams, summarize, type FuzzResult, type StreamSample } from './http.ts';
import { concat, fuzzMain, mutate, runFuzz } from './lib.ts';

const TOKENS = [
  [0xc0, 0x0c], [0xc0, 0x00], [0xc0, 0x02], [0xff, 0xff], [0x3f], [0x40], [0x00], [0x00, 0x01, 0x00, 0x01], [0x00, 0x0c, 0x00, 0x01],
  [0x00, 0x21, 0x00, 0x01], [0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff], [0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72],
  [0x81, 0x80], [0x80, 0x03],
].map((a) => new Uint8Array(a));

function loadDatagrams(): Datagram[] {
  return ['arkime_dns-udp.pcap', 'zeek_dns-edns-ecs.pcap', 'arkime_curl-enabled-tls13.pcap']
    .flatMap((f) => udpDatagrams(corpusFile('pcap', f)))
    .filter((d) => d.payload.length >= 12);
}

export function fuzz(cases: number, seed: number): FuzzResult {
  const dgs = loadDatagrams();
  let records = 0;
  const half = Math.floor(cases / 2);
  const udp = runFuzz({
    name: 'dns', cases: half, seed, slowMs: 1000, stopAfter: 20, prefix: 'udp ',
    gen: (r) => {
      const d = dgs[Math.floor(r() * dgs.length)];
      return { d, payload: mutate(d.payload, r, TOKENS) };
    },
    check: ({ d, payload }, r, c) => {
      const sink = new RecordingSink();
      if (dnsAnalyzer.detect(payload, d.conn) || r() < 0.5) dnsAnalyzer.datagram(d.dir, payload, c, d.conn, sink);
      records += sink.records.length;
    },
  });
  // TCP: each flow's messages framed with their length, then mutated and split by the stream fuzzer.
  const flows = new Map<string, StreamSample>();
  for (const d of dgs) {
    const framed = concat(new Uint8Array([d.payload.length >> 8, d.payload.length & 0xff]), d.payload);
    const s = flows.get(d.conn.id) ?? { conn: { ...d.conn, transport: 'tcp' as const }, chunks: [] };
    s.chunks.push({ dir: d.dir, data: framed });
    flows.set(d.conn.id, s);
  }
  const tcp = fuzzStreams(dnsTcpAnalyzer, [...flows.values()], cases - half, seed, TOKENS);
  return { cases, failures: [...udp.failures, ...tcp.failures], records: records + tcp.records };
}

if (import.meta.main) fuzzMain('dns', (cases, seed) => summarize(fuzz(cases, seed)));
