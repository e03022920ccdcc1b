// The sample hospital's captures hold what examples/hospital/captures/MANIFEST.md
// says, according to tshark: both the committed capture and a fresh run of
// the lab (lab/hospital.sh), so the lab keeps reproducing the fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { committedCaptures, labCapture } from '../helpers/lab.ts';

const DECODE = ['-d', 'tcp.port==104,dicom', '-d', 'tcp.port==11112,dicom', '-d', 'tcp.port==4242,dicom', '-d', 'tcp.port==11114,dicom'];

function tshark(pcap: string, args: string[]): string[] {
  const out = execFileSync('tshark', ['-r', pcap, ...DECODE, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return out.split('\n').filter((l) => l.length > 0);
}

// Every field the checks look at, decoded in one tshark pass per file
// (a pass per question would take most of the test's time).
const FIELDS = [
  'frame.len', 'ip.src', 'ip.dst', 'ipv6.src', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.len', 'tcp.payload',
  'ip.checksum.status', 'tcp.checksum.status', 'udp.dstport',
  'dicom.pdu.type', 'dicom.assoc.ae.calling', 'dicom.assoc.ae.called', 'dicom.userinfo.uid', 'dicom.userinfo.version',
  'hl7.message.type', 'hl7.event.type', 'http.request.method', 'http.request.uri', 'http.response.code',
  'tls.handshake.type', 'tls.handshake.extensions_server_name', 'dns.flags.response', 'dns.qry.name', 'dns.flags.rcode', 'dns.a',
  'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'cflow.version', 'cflow.srcaddr', 'cflow.dstaddr', 'cflow.dstport',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string>;
const passes = new Map<string, Row[]>();

function rows(pcap: string): Row[] {
  let r = passes.get(pcap);
  if (!r) {
    const lines = tshark(pcap, [
      '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
      '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ]);
    r = lines.map((l) => {
      const v = l.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, (v[i] ?? '').trim()])) as Row;
    });
    passes.set(pcap, r);
  }
  return r;
}

function fields(pcap: string, keep: (r: Row) => boolean, names: Field[]): string[][] {
  return rows(pcap)
    .filter(keep)
    .map((r) => names.map((n) => r[n]));
}

function count<T>(xs: T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

const pdu = (r: Row, type: string): boolean => r['dicom.pdu.type'].split(',').includes(type);
const isSet = (v: string): boolean => v === '1' || v === 'True';

function checkCapture(pcap: string): void {
  // Ethernet, classic pcap, small, real frames
  const head = readFileSync(pcap).subarray(0, 24);
  assert.equal(head.readUInt32LE(0), 0xa1b2c3d4, 'classic pcap, microseconds');
  assert.equal(head.readUInt32LE(20), 1, 'link type Ethernet');
  assert.ok(statSync(pcap).size < 600_000, 'capture stays a few hundred kB');
  assert.equal(fields(pcap, (r) => Number(r['frame.len']) > 1514, ['frame.len']).length, 0, 'no offload super-frames');
  const bad = fields(pcap, (r) => r['tcp.checksum.status'] === '0' || r['ip.checksum.status'].split(',').includes('0'), ['ip.src']);
  assert.equal(bad.length, 0, 'no bad checksums');
  assert.ok(fields(pcap, (r) => r['tcp.checksum.status'] === '1', ['ip.src']).length > 500, 'checksums were verified');
  assert.equal(fields(pcap, (r) => r['ipv6.src'] !== '', ['ipv6.src']).length, 0, 'no IPv6 noise');

  // DICOM associations: who called whom
  const rq = fields(pcap, (r) => pdu(r, '0x01'), ['ip.src', 'ip.dst', 'tcp.dstport', 'dicom.assoc.ae.calling', 'dicom.assoc.ae.called']);
  const pairs = count(rq.map((r) => r.join(' ')));
  const expectPairs: [string, number][] = [
    ['10.20.10.11 10.20.20.10 104 CT_SCANNER01 PACS_MAIN', 2],
    ['10.20.10.12 10.20.20.10 104 MR_SCANNER01 PACS_MAIN', 1],
    ['10.20.10.13 10.20.20.10 104 US_CART03 PACS_MAIN', 1],
    ['10.20.20.10 10.20.20.11 11112 PACS_MAIN VNA_ARCHIVE', 2],
    ['10.20.20.10 172.16.10.20 4242 PACS_MAIN PACS_WEB', 1],
    ['10.20.20.10 10.80.1.17 11114 PACS_MAIN RAD_WS07', 1],
    ['10.20.20.11 10.80.1.17 11114 VNA_ARCHIVE RAD_WS07', 1],
    ['10.80.1.17 10.20.20.10 104 RAD_WS07 PACS_MAIN', 2],
    ['10.80.1.17 10.20.20.11 11112 RAD_WS07 VNA_ARCHIVE', 2],
    ['10.80.1.17 10.20.20.11 11112 RAD_WS07 VNA', 1],
    ['172.16.10.30 10.20.20.10 104 KIOSK_LOBBY01 PACS_MAIN', 1],
    ['10.80.2.66 10.20.20.10 104 SCANNER PACS_MAIN', 1],
    ['10.80.2.66 10.20.20.10 104 ECHOSCU ANY-SCP', 1],
    ['10.80.2.66 10.20.20.11 11112 ECHOSCU ANY-SCP', 1],
  ];
  assert.deepEqual([...pairs].sort(), expectPairs.sort(), 'A-ASSOCIATE-RQ by address pair and AE titles');

  const pdus = count(fields(pcap, (r) => r['dicom.pdu.type'] !== '', ['dicom.pdu.type']).flatMap((r) => r[0].split(',')));
  assert.equal(pdus.get('0x01'), 18, 'A-ASSOCIATE-RQ');
  assert.equal(pdus.get('0x02'), 16, 'A-ASSOCIATE-AC');
  assert.equal(pdus.get('0x03'), 2, 'A-ASSOCIATE-RJ');
  assert.equal(pdus.get('0x07'), 1, 'A-ABORT');
  assert.equal(pdus.get('0x05'), 14, 'A-RELEASE-RQ');

  // both rejections come from the VNA, which checks the called AE title
  const rj = fields(pcap, (r) => pdu(r, '0x03'), ['ip.src', 'ip.dst']).map((r) => r.join(' ')).sort();
  assert.deepEqual(rj, ['10.20.20.11 10.80.1.17', '10.20.20.11 10.80.2.66']);

  // the ultrasound cart's outdated stack
  const versions = fields(pcap, (r) => pdu(r, '0x01') && r['dicom.assoc.ae.calling'] === 'US_CART03', ['dicom.userinfo.uid', 'dicom.userinfo.version']);
  assert.deepEqual(versions, [['1.2.276.0.7230010.3.0.3.5.4', 'OFFIS_DCMTK_354']]);

  // DIMSE operations, counted from the decoded Command Field of every PDV
  // (the Info column under-counts when PDVs share a frame)
  const verbose = tshark(pcap, ['-Y', 'dicom.pdu.type == 4', '-V']);
  const ops = count(verbose.filter((l) => l.includes('(0000,0100)')).map((l) => l.trim().split(/\s+/).pop() ?? ''));
  assert.equal(ops.get('C-ECHO-RQ'), 1);
  assert.equal(ops.get('C-FIND-RQ'), 4);
  assert.equal(ops.get('C-MOVE-RQ'), 2);
  assert.equal(ops.get('C-STORE-RQ'), 14);
  assert.equal(ops.get('C-STORE-RSP'), 14);

  // HL7 over MLLP: every message and its ACK
  const hl7 = fields(pcap, (r) => r['hl7.message.type'] !== '', ['ip.src', 'ip.dst', 'hl7.message.type', 'hl7.event.type']).map((r) => r.join(' '));
  const expectHl7 = [
    '10.30.10.10 10.30.20.10 ADT A01',
    '10.30.10.10 10.30.20.10 ORM O01',
    '10.30.10.10 10.30.20.10 RDE O11',
    '10.50.10.10 10.30.20.10 ORU R01',
    '10.70.10.10 10.30.20.10 ORU R01',
    '10.30.20.10 10.20.20.12 ORM O01',
    '10.30.20.10 10.40.10.10 RDE O11',
    '10.30.20.10 172.16.10.30 ADT A04',
    '10.30.30.10 198.51.100.20 DFT P03',
    '10.30.30.10 198.51.100.20 BAR P01',
  ];
  assert.deepEqual(hl7.filter((l) => !l.includes(' ACK ')).sort(), [...expectHl7].sort());
  assert.equal(hl7.filter((l) => l.includes(' ACK ')).length, 10);
  // the kiosk's ADT^A04 carries NK1 and IN1 (over-sharing) and the PHI canary
  const kiosk = fields(pcap, (r) => r['ip.dst'] === '172.16.10.30' && r['tcp.dstport'] === '2575' && Number(r['tcp.len']) > 0, ['tcp.payload']).join('');
  const text = Buffer.from(kiosk, 'hex').toString('latin1');
  assert.match(text, /\rNK1\|/);
  assert.match(text, /\rIN1\|/);
  assert.match(text, /ZZCANARY\^PHINEAS/);

  // HTTP
  const http = fields(pcap, (r) => r['http.request.method'] !== '', ['ip.src', 'ip.dst', 'tcp.dstport', 'http.request.method', 'http.request.uri']).map((r) => r.join(' '));
  assert.deepEqual(http.sort(), [
    '10.80.1.17 10.20.20.10 8042 GET /studies?expand',
    '10.80.1.17 10.20.20.10 8042 GET /system',
    '172.16.10.40 10.30.10.10 8080 GET /fhir/Appointment?date=ge2026-03-20',
    '172.16.10.40 10.30.10.10 8080 GET /fhir/Patient/CANARY-7731',
    '172.16.10.40 10.30.10.10 8080 GET /fhir/Patient/MRN0001',
    '203.0.113.77 172.16.10.20 8042 GET /app/explorer.html',
    '203.0.113.77 172.16.10.20 8042 GET /patients?expand',
    '203.0.113.77 172.16.10.20 8042 GET /system',
  ]);
  const codes = fields(pcap, (r) => r['http.response.code'] !== '', ['ip.src', 'http.response.code']).map((r) => r.join(' '));
  assert.ok(codes.includes('10.20.20.10 401'), 'pacs-main refuses the request without credentials');
  assert.equal(codes.filter((c) => c.startsWith('172.16.10.20 ')).every((c) => c.endsWith(' 200')), true, 'web viewer answers the internet');

  // TLS: two handshakes to the portal from the internet, one portal -> insurer
  const hellos = fields(pcap, (r) => r['tls.handshake.type'].split(',').includes('1'), ['ip.src', 'ip.dst', 'tls.handshake.extensions_server_name']).map((r) => r.join(' '));
  assert.deepEqual(hellos.sort(), [
    '172.16.10.40 203.0.113.10 api.insurer.example',
    '203.0.113.77 172.16.10.40 portal.stbrigid.example',
    '203.0.113.77 172.16.10.40 portal.stbrigid.example',
  ]);
  assert.equal(fields(pcap, (r) => r['tls.handshake.type'].split(',').includes('2'), ['ip.src']).length, 3, 'three ServerHellos');

  // DNS
  const dns = fields(pcap, (r) => r['dns.flags.response'] === '1' || r['dns.flags.response'] === 'True', ['ip.dst', 'dns.qry.name', 'dns.flags.rcode', 'dns.a']).map((r) => r.join(' ').trim());
  assert.deepEqual(dns.sort(), [
    '10.30.30.10 edi.clearinghouse.example 0 198.51.100.20',
    '172.16.10.30 updates.kiosk-vendor.example 3',
    '172.16.10.40 api.insurer.example 0 203.0.113.10',
  ]);

  // the scan: SYNs from compromised-ws to the five ports on pacs-main and the VNA,
  // after an ARP sweep of 10.20.20.0/24
  const syns = fields(pcap, (r) => r['ip.src'] === '10.80.2.66' && isSet(r['tcp.flags.syn']) && !isSet(r['tcp.flags.ack']), ['ip.dst', 'tcp.dstport']).map((r) => r.join(':'));
  for (const dst of ['10.20.20.10', '10.20.20.11', '10.20.20.12']) {
    for (const port of ['104', '4242', '8042', '11112', '2575']) assert.ok(syns.includes(`${dst}:${port}`), `SYN to ${dst}:${port}`);
  }
  const sweep = new Set(fields(pcap, (r) => r['arp.opcode'] === '1' && r['arp.src.proto_ipv4'] === '10.80.2.66', ['arp.dst.proto_ipv4']).map((r) => r[0]));
  assert.ok(sweep.size >= 250, `ARP sweep of the /24 (${sweep.size} targets)`);
}

function checkNetflow(pcap: string, source: string): void {
  // IPFIX flow start times are the capture's own times (softflowd -A milli),
  // not shifted by 2^32 ms as without it
  const first = Number(execFileSync('capinfos', ['-T', '-r', '-S', '-a', source], { encoding: 'utf8' }).split('\t')[1]) * 1000;
  const starts = tshark(pcap, ['-Y', 'cflow.version == 10', '-T', 'fields', '-E', 'aggregator=;', '-e', 'cflow.abstimestart'])
    .flatMap((l) => l.split(';'))
    .map((t) => Date.parse(t.replace(/(\.\d{3})\d+/, '$1').replace(/ UTC$/, 'Z').replace(/^(\w+) +(\d+), (\d+) /, '$1 $2 $3 ')));
  assert.ok(starts.length > 100 && starts.every((t) => Number.isFinite(t)), 'IPFIX start times decode');
  assert.ok(Math.abs(Math.min(...starts) - first) < 1000, `first IPFIX flow starts with the capture (${Math.min(...starts) - first} ms)`);

  const dg = fields(pcap, (r) => r['cflow.version'] !== '', ['udp.dstport', 'cflow.version']).map((r) => r.join(' '));
  const byPort = count(dg);
  assert.ok((byPort.get('2055 9') ?? 0) >= 1, 'NetFlow v9 datagrams on udp/2055');
  assert.ok((byPort.get('4739 10') ?? 0) >= 1, 'IPFIX datagrams on udp/4739');
  const flows9 = fields(pcap, (r) => r['cflow.version'] === '9', ['cflow.srcaddr']).flatMap((r) => r[0].split(',').filter(Boolean));
  const flows10 = fields(pcap, (r) => r['cflow.version'] === '10', ['cflow.srcaddr']).flatMap((r) => r[0].split(',').filter(Boolean));
  assert.equal(flows9.length, flows10.length, 'v9 and IPFIX carry the same flows');
  assert.ok(flows9.length > 100, `${flows9.length} flows`);
  // flows of the planted cleartext HL7 to the clearinghouse are among them
  const pairs = fields(pcap, (r) => r['cflow.version'] === '10', ['cflow.srcaddr', 'cflow.dstaddr', 'cflow.dstport']);
  const all: string[] = [];
  for (const [s, d, p] of pairs) {
    const ss = s.split(','), dd = d.split(','), pp = p.split(',');
    for (let i = 0; i < ss.length; i++) all.push(`${ss[i]} ${dd[i]} ${pp[i]}`);
  }
  assert.ok(all.includes('10.30.30.10 198.51.100.20 2575'));
  assert.ok(all.includes('203.0.113.77 172.16.10.20 8042'));
}

// Build the fresh lab in the background while the committed files are checked.
const fresh = labCapture();
fresh.catch(() => undefined); // reported by the test that awaits it

test('committed capture matches the manifest', () => {
  const c = committedCaptures();
  checkCapture(c.pcap);
  checkNetflow(c.netflowPcap, c.pcap);
});

test('a fresh lab run reproduces the manifest', { timeout: 300_000 }, async () => {
  const lab = await fresh;
  checkCapture(lab.pcap);
  checkNetflow(lab.netflowPcap, lab.pcap);

  // torn down: no namespace, no run state left
  const prefix = 'wl-lab-' + createHash('md5').update(lab.dir).digest('hex').slice(0, 6) + '-';
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(prefix));
  assert.deepEqual(left, []);
  assert.equal(existsSync(join(lab.dir, 'run')), false);
  // the peers' own logs hold metadata, never the synthetic patients
  const logs = readdirSync(lab.logsDir);
  assert.ok(logs.includes('mllp-kiosk-lobby-01-messages.log') && logs.includes('pacs-main.log'));
  for (const f of logs) {
    const text = readFileSync(join(lab.logsDir, f), 'latin1');
    assert.doesNotMatch(text, /ZZCANARY|CANARY-7731|DOE\^JOHN|MRN000/, f);
  }
  assert.match(readFileSync(join(lab.logsDir, 'mllp-kiosk-lobby-01-messages.log'), 'utf8'), /type=ADT\^A04\^ADT_A01 ctrl=IE000601 from=RHAPSODY\^STBRIGID/);
});
