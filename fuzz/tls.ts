/**
 * Fuzzes the TLS analyzer with mutations of the corpus TLS handshakes
 * (record headers, handshake lengths, extensions, certificates), split and
 * gapped at random. Seeded: node fuzz/tls.ts [cases] [seed]
 * A failure is an exception, a case slower than 1 s, or a malformed JA4.
 */
import { tlsAnalyzer } from '../src/analyzers/tls/analyzer.ts';
import type { RecordingSink } from '../test/analyzers/web-helpers.ts';
import { fuzzStreams, loadStreams, summarize, type FuzzResult } from './http.ts';
import { fuzzMain } from './lib.ts';

const TOKENS = [
  [0x16, 0x03, 0x01, 0xff, 0xff], [0x16, 0x03, 0x03, 0x00, 0x00], [0x14, 0x03, 0x03, 0x00, 0x01, 0x01], [0x17, 0x03, 0x03, 0x40, 0x00],
  [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28], [0x01, 0xff, 0xff, 0xff], [0x02, 0x00, 0x00, 0x00], [0x0b, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00],
  [0x00, 0x00, 0xff, 0xff], [0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0xab], [0x00, 0x2b, 0x00, 0x03, 0x02, 0x0a, 0x0a], [0x00, 0x0d, 0x00, 0x00],
  [0x30, 0x82, 0xff, 0xff], [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff], [0x06, 0x03, 0x55, 0x04, 0x03], [0x17, 0x0d], [0x80], [0x00],
].map((a) => new Uint8Array(a));

const JA4 = /^[tqd][0-9a-z]{2}[di]\d{4}[0-9a-zA-Z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;

function check(sink: RecordingSink): string | undefined {
  for (const r of sink.records) {
    if (r.ja4 !== undefined && !JA4.test(String(r.ja4))) return `malformed JA4 ${String(r.ja4)}`;
  }
  return undefined;
}

export function fuzz(cases: number, seed: number): FuzzResult {
  const samples = loadStreams([
    'pcap/arkime_curl-enabled-tls13.pcap', 'pcap/arkime_openssl-tls1_2.pcap', 'pcap/zeek_tls_chrome-34-google.pcap',
    'pcap/zeek_tls_client-certificate.pcap', 'pcap/zeek_tls_ocsp-stapling.pcap', 'pcap/zeek_tls_signed_certificate_timestamp.pcap',
    'pcap/zeek_tls_tls-conn-with-extensions.pcap', 'pcap/zeek_tls_tls1.2.pcap',
  ]);
  // Handshakes are what is parsed; the long encrypted tails only cost time.
  for (const s of samples) s.chunks = s.chunks.slice(0, 12);
  return fuzzStreams(tlsAnalyzer, samples, cases, seed, TOKENS, check);
}

if (import.meta.main) fuzzMain('tls', (cases, seed) => summarize(fuzz(cases, seed)));
