import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusFile } from '../helpers/corpus.ts';
import { tlsAnalyzer } from '../../src/analyzers/tls/analyzer.ts';
import { ja4Alpn, ja4Hash } from '../../src/analyzers/tls/ja4.ts';
import { KNOWN_CIPHERS } from '../../src/analyzers/tls/ciphers.ts';
import { WebNamespace, recordsOf, runCapture, runStream, tcpStreams, tshark, tsharkFields } from './web-helpers.ts';

const TLS_CAPTURES = [
  'arkime_curl-enabled-tls13.pcap',
  'arkime_openssl-tls1_2.pcap',
  'zeek_tls_chrome-34-google.pcap',
  'zeek_tls_client-certificate.pcap',
  'zeek_tls_ocsp-stapling.pcap',
  'zeek_tls_signed_certificate_timestamp.pcap',
  'zeek_tls_tls-conn-with-extensions.pcap',
  'zeek_tls_tls1.2.pcap',
];

test('JA4 hashes and ALPN codes match the worked examples of the FoxIO specification', () => {
  assert.equal(ja4Hash('002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9'), '8daaf6152771');
  assert.equal(ja4Hash('0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601'), 'e5627efa2ab1');
  assert.equal(ja4Hash('0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01'), '6d807ffa2a79');
  const b = (...x: number[]) => new Uint8Array(x);
  assert.equal(ja4Alpn(b(0x68, 0x32)), 'h2');
  assert.equal(ja4Alpn(new TextEncoder().encode('http/1.1')), 'h1');
  assert.equal(ja4Alpn(b(0xab)), 'ab');
  assert.equal(ja4Alpn(b(0xab, 0xcd)), 'ad');
  assert.equal(ja4Alpn(b(0x30, 0xab)), '3b');
  assert.equal(ja4Alpn(b(0x30, 0x31, 0xab, 0xcd)), '3d');
  assert.equal(ja4Alpn(b(0x30, 0xab, 0xcd, 0x31)), '01');
  assert.equal(ja4Alpn(undefined), '00');
});

const GREASE = (v: number) => (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const nums = (s: string | undefined) => (s ? s.split(',').filter(Boolean).map((x) => Number(x)) : []);

/**
 * JA4 computed from tshark's decode of the ClientHello: an independent
 * reading of the same bytes. Signature algorithms of extensions 34 and 50
 * share tshark's field with extension 13, so they are attributed by the
 * extension order and each list's length.
 */
function ja4FromTshark(row: string[]): string {
  const [legacy, ciphersS, extsS, versionsS, sigsS, sigLensS, alpnS, sni] = row;
  const ciphers = nums(ciphersS).filter((c) => !GREASE(c));
  const extsAll = nums(extsS);
  const exts = extsAll.filter((e) => !GREASE(e));
  const versions = nums(versionsS).filter((v) => !GREASE(v));
  const sigsAll = nums(sigsS);
  const lens = nums(sigLensS);
  let sigs: number[] = [];
  let at = 0;
  let li = 0;
  for (const e of extsAll) {
    if (e !== 13 && e !== 34 && e !== 50) continue;
    const n = (lens[li++] ?? 0) / 2;
    if (e === 13) sigs = sigsAll.slice(at, at + n);
    at += n;
  }
  sigs = sigs.filter((s) => !GREASE(s));
  const version = versions.length ? Math.max(...versions) : Number(legacy);
  const vcode: Record<number, string> = { 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3' };
  const alpnFirst = alpnS ? alpnS.split(',')[0] : '';
  const alpn = alpnFirst ? alpnFirst[0] + alpnFirst[alpnFirst.length - 1] : '00';
  const two = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const a = `t${vcode[version] ?? '00'}${sni ? 'd' : 'i'}${two(ciphers.length)}${two(exts.length)}${alpn}`;
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  const cList = ciphers.map(hex4).sort().join(',');
  const eList = exts.filter((e) => e !== 0 && e !== 16).map(hex4).sort().join(',');
  const c = sigs.length ? `${eList}_${sigs.map(hex4).join(',')}` : eList;
  return `${a}_${cList ? h(cList) : '000000000000'}_${eList ? h(c) : '000000000000'}`;
}

const CH_FIELDS = [
  'tls.handshake.version', 'tls.handshake.ciphersuite', 'tls.handshake.extension.type', 'tls.handshake.extensions.supported_version',
  'tls.handshake.sig_hash_alg', 'tls.handshake.sig_hash_alg_len', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions_server_name',
];

test('corpus TLS captures: SNI, ALPN, JA4, negotiated version and cipher equal tshark\'s decode', async () => {
  for (const name of TLS_CAPTURES) {
    const file = corpusFile('pcap', name);
    const hellos = tsharkFields(file, CH_FIELDS, 'tls.handshake.type == 1');
    const servers = tsharkFields(file, ['tls.handshake.version', 'tls.handshake.extensions.supported_version', 'tls.handshake.ciphersuite'], 'tls.handshake.type == 2');
    const run = await runCapture(file);
    const recs = recordsOf(run, 'tls');
    assert.equal(recs.length, hellos.length, `${name}: one record per ClientHello`);
    assert.deepEqual(recs.map((r) => r.sni ?? ''), hellos.map((h) => h[7] ?? ''), `${name}: SNI`);
    assert.deepEqual(recs.map((r) => (r.alpn as string[]).join(',')), hellos.map((h) => h[6] ?? ''), `${name}: ALPN`);
    assert.deepEqual(recs.map((r) => r.ja4), hellos.map(ja4FromTshark), `${name}: JA4`);
    const names: Record<number, string> = { 0x0304: 'TLSv1.3', 0x0303: 'TLSv1.2', 0x0302: 'TLSv1.1', 0x0301: 'TLSv1.0' };
    assert.deepEqual(
      recs.filter((r) => r.version).map((r) => `${r.version} ${r.cipher}`),
      servers.map(([v, sv, c]) => `${names[Number(sv || v)]} ${hex4(Number(c))}`),
      `${name}: ServerHello`,
    );
    const edge = run.obs.edges.find((e) => e.facts.tls);
    assert.ok(edge, `${name}: TLS edge`);
    assert.equal(edge.protocol, 'tls');
    assert.equal(edge.encrypted, true);
    assert.deepEqual(edge.facts.tls?.ja4, [...new Set(hellos.map(ja4FromTshark))]);
  }
});

test('server certificates (TLS 1.2 and older): subject, issuer and validity as tshark reads them', async () => {
  for (const name of TLS_CAPTURES) {
    const file = corpusFile('pcap', name);
    // The first Certificate message of each connection is the server's; tshark lists its chain's names and times in order.
    const certs = tsharkFields(file, ['tcp.stream', 'x509af.utcTime', 'x509sat.uTF8String', 'x509sat.printableString', 'x509sat.IA5String', 'x509sat.teletexString'], 'tls.handshake.type == 11');
    const recs = recordsOf(await runCapture(file), 'tls');
    const withCert = recs.filter((r) => r.certificate);
    if (name === 'arkime_curl-enabled-tls13.pcap') {
      assert.equal(withCert.length, 0, 'TLS 1.3 certificates are encrypted');
      continue;
    }
    assert.ok(withCert.length > 0, `${name}: certificate read`);
    const first = certs[0];
    const times = (first[1] ?? '').split(',').map((t) => t.replace(' (UTC)', 'Z').replace(' ', 'T'));
    const cert = withCert[0].certificate as { subject: string; issuer: string; notBefore?: string; notAfter?: string };
    assert.equal(cert.notBefore, times[0], `${name}: notBefore`);
    assert.equal(cert.notAfter, times[1], `${name}: notAfter`);
    const strings = new Set([first[2], first[3], first[4], first[5]].flatMap((s) => (s ?? '').split(',')));
    const cn = /CN=([^,]+)/.exec(cert.subject)?.[1];
    assert.ok(cn && strings.has(cn), `${name}: subject CN ${cn} among tshark's names`);
    const icn = /CN=([^,]+)/.exec(cert.issuer)?.[1];
    assert.ok(icn && strings.has(icn), `${name}: issuer CN ${icn}`);
  }
  // A client certificate is noted, but its subject (a person's e-mail here) is not kept.
  const run = await runCapture(corpusFile('pcap', 'zeek_tls_client-certificate.pcap'));
  assert.equal(recordsOf(run, 'tls')[0].clientCertificate, true);
  assert.ok(!run.dump.includes('@corelight.com'));
});

test('handshakes spanning records and segments: any chunking gives the same records', () => {
  for (const name of TLS_CAPTURES) {
    for (const s of tcpStreams(corpusFile('pcap', name))) {
      const whole = runStream(tlsAnalyzer, s).records;
      assert.equal(whole.length, 1, `${name}: one handshake`);
      for (const split of [1, 2, 5, 300]) assert.deepEqual(runStream(tlsAnalyzer, s, split).records, whole, `${name} split ${split}`);
    }
  }
});

test('OpenSSL server and client in a private namespace: TLS 1.2 and 1.3 on a DICOM-TLS port, like tshark', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-web-tls-'));
  const ns = new WebNamespace('tls');
  try {
    const key = join(dir, 'key.pem');
    const crt = join(dir, 'crt.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt,
      '-days', '30', '-subj', '/O=Wardline Test Hospital/CN=pacs.wl-web.test'], { stdio: 'ignore' });
    const port = 2762;
    ns.spawn('openssl', ['s_server', '-quiet', '-accept', String(port), '-cert', crt, '-key', key, '-alpn', 'dicom,h2']);
    await ns.waitForPort(port);
    const pcap = join(dir, 'tls.pcap');
    const stop = await ns.capture(pcap, `tcp port ${port}`);
    for (const v of ['-tls1_2', '-tls1_3']) {
      ns.exec('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, v, '-servername', 'pacs.wl-web.test', '-alpn', 'dicom,http/1.1'], { input: 'Q\n' });
    }
    await stop();

    const hellos = tsharkFields(pcap, CH_FIELDS, 'tls.handshake.type == 1');
    assert.equal(hellos.length, 2);
    const run = await runCapture(pcap);
    // Records come out as connections end; order them by when the handshakes began.
    const recs = recordsOf(run, 'tls').sort((a, b) => a.ts - b.ts);
    assert.deepEqual(recs.map((r) => r.version), ['TLSv1.2', 'TLSv1.3']);
    assert.deepEqual(recs.map((r) => r.sni), ['pacs.wl-web.test', 'pacs.wl-web.test']);
    assert.deepEqual(recs.map((r) => r.ja4), hellos.map(ja4FromTshark));
    // TLS 1.3 sends the chosen ALPN in the encrypted EncryptedExtensions.
    assert.deepEqual(recs.map((r) => r.serverAlpn), ['dicom', undefined]);
    const cert = recs[0].certificate as { subject: string; selfSigned: boolean; notBefore: string };
    assert.equal(cert.subject, 'O=Wardline Test Hospital, CN=pacs.wl-web.test');
    assert.equal(cert.selfSigned, true);
    const days = (Date.now() - Date.parse(cert.notBefore)) / 86_400_000;
    assert.ok(days >= 0 && days < 1, 'notBefore is today');
    assert.equal(recs[1].certificate, undefined, 'TLS 1.3 certificate is encrypted');
    const edge = run.obs.edges.find((e) => e.dport === port && e.facts.tls);
    assert.equal(edge?.protocol, 'dicom-tls');
    assert.equal(edge?.encrypted, true);
    assert.deepEqual(edge?.facts.tls?.versions, ['TLSv1.2', 'TLSv1.3']);
    const server = run.obs.hosts.find((h) => h.roles.includes('tls-server'));
    assert.ok(server?.hostnames.includes('pacs.wl-web.test'));
  } finally {
    await ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cipher suite names equal Wireshark\'s; RC4 suites are flagged weak', async () => {
  const values = new Map<number, string>();
  for (const line of tshark(['-G', 'values']).split('\n')) {
    const [kind, field, code, name] = line.split('\t');
    if (kind === 'V' && field === 'tls.handshake.ciphersuite') values.set(Number(code), name);
  }
  for (const [code, name] of KNOWN_CIPHERS) assert.equal(name, values.get(code), `0x${code.toString(16)}`);
  // zeek_tls_tls1.2.pcap negotiates TLS_RSA_WITH_RC4_128_MD5.
  const rec = recordsOf(await runCapture(corpusFile('pcap', 'zeek_tls_tls1.2.pcap')), 'tls')[0];
  assert.equal(rec.cipherName, values.get(Number(`0x${rec.cipher}`)));
  assert.equal(rec.weakCipher, true);
});
