import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusFile } from '../helpers/corpus.ts';
import { dnsAnalyzer, dnsTcpAnalyzer } from '../../src/analyzers/dns/analyzer.ts';
import { parseDns, reverseName } from '../../src/analyzers/dns/message.ts';
import { namesByAddress } from '../../src/analyzers/dns/names.ts';
import type { ProtocolRecord } from '../../src/observations/types.ts';
import {
  WebNamespace, recordsOf, runCapture, runDatagrams, runStream, tsharkFields, udpDatagrams,
} from './web-helpers.ts';

const DNS_CAPTURES = ['arkime_dns-udp.pcap', 'zeek_dns-edns-ecs.pcap', 'arkime_curl-enabled-tls13.pcap'];

const TYPES: Record<string, string> = { 1: 'A', 28: 'AAAA', 5: 'CNAME', 12: 'PTR', 33: 'SRV', 16: 'TXT' };

/**
 * Each DNS message as tshark decodes it: "query|response id name rcode"
 * plus the answer section (tshark lists all sections' records in one
 * field; the first count.answers of them are the answers).
 */
function tsharkDns(file: string, filter = 'dns'): string[] {
  const rows = tsharkFields(file, ['dns.flags.response', 'dns.id', 'dns.qry.name', 'dns.flags.rcode', 'dns.count.answers', 'dns.resp.type',
    'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ptr.domain_name', 'dns.srv.target', 'dns.srv.port', 'dns.txt'], filter);
  return rows.map((r) => {
    const [resp, id, qname, rcode, count, types, a, aaaa, cname, ptr, srv, srvPort, txt] = r;
    const lists: Record<string, string[]> = {
      A: (a ?? '').split(','), AAAA: (aaaa ?? '').split(','), CNAME: (cname ?? '').split(','), PTR: (ptr ?? '').split(','),
      SRV: (srv ?? '').split(','), TXT: [txt ?? ''],
    };
    const ports = (srvPort ?? '').split(',');
    const at: Record<string, number> = {};
    const answers: string[] = [];
    const t = (types ?? '').split(',').filter(Boolean);
    for (let i = 0; i < Number(count || 0); i++) {
      const name = TYPES[t[i]];
      if (!name) continue;
      const k = at[name] ?? 0;
      at[name] = k + 1;
      answers.push(name === 'SRV' ? `SRV=${lists.SRV[k]}:${ports[k]}` : `${name}=${lists[name][k]}`);
    }
    const head = resp === '1' ? `response ${Number(id)} ${qname ?? ''} ${Number(rcode)}` : `query ${Number(id)} ${qname ?? ''}`;
    return answers.length ? `${head} ${answers.join(' ')}` : head;
  });
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

function ours(recs: ProtocolRecord[]): string[] {
  return recs.map((r) => {
    const head = r.qr === 'response' ? `response ${r.id} ${r.query ?? ''} ${RCODES[String(r.rcode)]}` : `query ${r.id} ${r.query ?? ''}`;
    const answers = ((r.answers ?? []) as Array<{ type: string; data?: string; port?: number }>)
      .filter((a) => TYPES[Object.keys(TYPES).find((k) => TYPES[k] === a.type) ?? ''] !== undefined)
      .map((a) => (a.type === 'SRV' ? `SRV=${a.data}:${a.port}` : `${a.type}=${a.data}`));
    return answers.length ? `${head} ${answers.join(' ')}` : head;
  });
}

test('corpus DNS captures: every message, rcode and answer equals tshark\'s decode', async () => {
  for (const name of DNS_CAPTURES) {
    const file = corpusFile('pcap', name);
    // Large (DNSSEC) responses come in IP fragments; both sides reassemble them.
    const want = tsharkDns(file);
    assert.ok(want.length > 0);
    const run = await runCapture(file);
    const recs = recordsOf(run, 'dns');
    assert.deepEqual(ours(recs).sort(), want.sort(), name);
    assert.ok(!run.obs.anomalies.some((a) => a.kind.startsWith('ip-fragment')), `${name}: every fragment reassembled`);
  }
  // The zeek capture includes DNS over TCP, decoded by the stream analyzer.
  const zeek = recordsOf(await runCapture(corpusFile('pcap', 'zeek_dns-edns-ecs.pcap')), 'dns');
  assert.equal(zeek.filter((r) => r.transport === 'tcp').length, tsharkFields(corpusFile('pcap', 'zeek_dns-edns-ecs.pcap'), ['dns.id'], 'dns && tcp').length);
});

test('answered addresses carry their names: host facts and namesByAddress', async () => {
  const run = await runCapture(corpusFile('pcap', 'arkime_curl-enabled-tls13.pcap'));
  const answered = tsharkFields(corpusFile('pcap', 'arkime_curl-enabled-tls13.pcap'), ['dns.qry.name', 'dns.a'], 'dns.a');
  const names = namesByAddress(run.records);
  for (const [qname, addrs] of answered) {
    for (const a of addrs.split(',')) assert.ok(names.get(a)?.includes(qname), `${a} -> ${qname}`);
  }
  // The TLS flow to the answered address names its destination.
  const tlsEdge = run.obs.edges.find((e) => e.protocol === 'tls');
  const dst = run.obs.hosts.find((h) => h.address === tlsEdge?.dst);
  assert.ok(dst?.hostnames.includes('enabled.tls13.com'));
  const resolver = run.obs.hosts.find((h) => h.roles.includes('dns-server'));
  assert.ok(resolver?.listeningPorts.some((p) => p.transport === 'udp' && p.port === 53 && p.protocol === 'dns'));

  // CNAME chains: the address answers to the queried name as well as the canonical one.
  const gh = namesByAddress(recordsOf(await runCapture(corpusFile('pcap', 'arkime_dns-udp.pcap')), 'dns'));
  assert.deepEqual(gh.get('192.30.252.128'), ['github.com', 'www.github.com']);
  assert.equal(reverseName('10.10.100.10.in-addr.arpa'), '10.100.10.10');
  assert.equal(reverseName('b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa'), '4321:0:1:2:3:4:567:89ab');
});

test('DNS over TCP: length-prefixed messages split anywhere decode like the UDP ones', () => {
  const dgs = udpDatagrams(corpusFile('pcap', 'zeek_dns-edns-ecs.pcap'));
  const udp = [...runDatagrams(dnsAnalyzer, dgs).values()].flatMap((s) => s.records);
  const byConn = new Map<string, typeof dgs>();
  for (const d of dgs) byConn.set(d.conn.id, [...(byConn.get(d.conn.id) ?? []), d]);
  const tcp: ProtocolRecord[] = [];
  for (const [, list] of byConn) {
    const conn = { ...list[0].conn, transport: 'tcp' as const };
    const chunks = list.map((d) => {
      const framed = new Uint8Array(d.payload.length + 2);
      framed[0] = d.payload.length >> 8;
      framed[1] = d.payload.length & 0xff;
      framed.set(d.payload, 2);
      return { dir: d.dir, data: framed };
    });
    // Queries come first on a TCP connection; captures that miss them start with a response.
    const first = parseDns(list[0].payload);
    if (!first || first.response !== (list[0].dir === 1)) continue;
    for (const split of [0, 1, 3]) {
      const recs = runStream(dnsTcpAnalyzer, { conn, ts: list[0].ts, chunks }, split).records;
      assert.equal(recs.length, list.length, `${conn.id} split ${split}`);
      if (split === 0) tcp.push(...recs);
    }
  }
  assert.ok(tcp.length > 0);
  const strip = (r: ProtocolRecord) => ({ ...r, ts: 0, conn: '', transport: '' });
  const udpById = new Map(udp.map((r) => [`${r.id}/${r.qr}/${r.query}`, strip(r)]));
  for (const r of tcp) assert.deepEqual(strip(r), udpById.get(`${r.id}/${r.qr}/${r.query}`));
});

test('dnsmasq answering dig in a private namespace (UDP and TCP): records equal tshark\'s decode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-web-dns-'));
  const ns = new WebNamespace('dns');
  try {
    ns.spawn('dnsmasq', ['-k', '-u', 'root', '--pid-file=', '--no-resolv', '--no-hosts', '--listen-address=127.0.0.1', '--bind-interfaces',
      '--local=/hospital.test/', '--address=/pacs.hospital.test/10.77.0.10', '--host-record=ris.hospital.test,10.77.0.20,fd00::20',
      '--cname=fhir.hospital.test,ris.hospital.test', '--txt-record=hospital.test,wardline-dns-test',
      '--srv-host=_dicom._tcp.hospital.test,pacs.hospital.test,4242', '--ptr-record=10.0.77.10.in-addr.arpa,pacs.hospital.test']);
    await ns.waitForPort(53);
    const pcap = join(dir, 'dns.pcap');
    // warmPort: under load dumpcap can report "Capturing on" before its filter
    // sees packets (the first query was missed once); a bare TCP connect to
    // dnsmasq's port 53 proves it is capturing and carries no DNS message.
    const stop = await ns.capture(pcap, 'port 53', { warmPort: 53 });
    const dig = (...args: string[]) => ns.exec('dig', ['@127.0.0.1', '+tries=1', '+time=3', ...args]);
    dig('pacs.hospital.test', 'A');
    dig('fhir.hospital.test', 'A');
    dig('ris.hospital.test', 'AAAA', '+tcp');
    dig('-x', '10.77.0.10');
    dig('hospital.test', 'TXT');
    dig('_dicom._tcp.hospital.test', 'SRV', '+tcp');
    dig('nothere.hospital.test', 'A');
    await stop();

    const want = tsharkDns(pcap);
    assert.equal(want.length, 14, 'seven queries, seven responses');
    const run = await runCapture(pcap);
    const recs = recordsOf(run, 'dns');
    assert.deepEqual(ours(recs).sort(), want.sort());
    assert.equal(recs.filter((r) => r.transport === 'tcp').length, 4);
    assert.ok(recs.some((r) => r.rcode === 'NXDOMAIN' && r.query === 'nothere.hospital.test'));
    assert.ok(recs.some((r) => (r.answers as Array<{ data?: string }> | undefined)?.some((a) => a.data === 'wardline-dns-test')));

    const names = namesByAddress(recs);
    assert.deepEqual(names.get('10.77.0.10'), ['pacs.hospital.test']);
    assert.deepEqual(names.get('10.77.0.20'), ['ris.hospital.test', 'fhir.hospital.test']);
    assert.deepEqual(names.get('fd00::20'), ['ris.hospital.test']);
    const edges = run.obs.edges.filter((e) => e.protocol === 'dns');
    assert.deepEqual(new Set(edges.map((e) => e.transport)), new Set(['udp', 'tcp']));
    const allNames = new Set(edges.flatMap((e) => e.facts.dns?.names ?? []));
    for (const n of ['pacs.hospital.test', 'fhir.hospital.test', '_dicom._tcp.hospital.test', '10.0.77.10.in-addr.arpa']) assert.ok(allNames.has(n), n);
  } finally {
    await ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
