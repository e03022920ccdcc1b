/**
 * The HL7 v2/MLLP analyzer against tshark's HL7 dissector (captures) and
 * python-hl7's parser (the corpus message files): message types, sending and
 * receiving applications, versions, segments and which patient fields are
 * populated. Values of patient fields must never come out.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, corpusFile } from '../helpers/corpus.ts';
import { Collector, connectionInfo, mllp, rechunk, rng, runStream, runStreams, tcpStreams, tshark, type Chunk } from './helpers.ts';
import { hl7Analyzer } from '../../src/analyzers/hl7/analyzer.ts';
import { classifyHl7 } from '../../src/analyzers/hl7/process.ts';
import type { ProtocolRecord } from '../../src/observations/types.ts';

const TRACKED = ['PID', 'NK1', 'IN1', 'IN2', 'GT1', 'PV1', 'PD1', 'MRG'];

interface Summary {
  src: string;
  type: string;
  apps: string;
  version: string;
  segments: string[];
  fields: string[];
}

function significant(v: string): boolean {
  return /[^^~&" ]/.test(v);
}

/** tshark's decode of every HL7 message in a capture. */
function tsharkHl7(pcap: string, decodeAs: string[]): Summary[] {
  const text = tshark(['-r', pcap, ...decodeAs, '-Y', 'hl7', '-O', 'hl7']);
  const out: Summary[] = [];
  let ip = '';
  let src = '';
  let cur: (Summary & { msh: Record<number, string> }) | undefined;
  let seg = '';
  const finish = () => {
    if (!cur) return;
    const m = cur.msh;
    cur.type = (m[9] ?? '').split('^').slice(0, 2).filter(Boolean).join('^');
    cur.apps = [m[3], m[4], m[5], m[6]].map((x) => x ?? '').join('|');
    cur.version = (m[12] ?? '').split('^')[0];
    const { msh: _msh, ...s } = cur;
    out.push(s);
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    let m = /^Internet Protocol Version \d, Src: (\S+), Dst/.exec(line);
    if (m) ip = m[1];
    m = /^Transmission Control Protocol, Src Port: (\d+)/.exec(line);
    if (m) src = `${ip}:${m[1]}`;
    if (line.startsWith('Frame ')) finish();
    if (line.startsWith('Health Level Seven')) {
      finish();
      cur = { src, type: '', apps: '', version: '', segments: [], fields: [], msh: {} };
      continue;
    }
    if (!cur) continue;
    m = /^ {4}([A-Z][A-Z0-9]{2})\b/.exec(line);
    if (m) {
      seg = m[1];
      if (!cur.segments.includes(seg)) cur.segments.push(seg);
      continue;
    }
    m = /^ {8}field (\d+): (.*)$/.exec(line);
    if (m) {
      const n = Number(m[1]);
      if (seg === 'MSH') cur.msh[n] = m[2];
      // tshark counts the segment id as field 1: its field n is HL7's field n-1.
      else if (TRACKED.includes(seg) && n > 1 && significant(m[2])) {
        const name = `${seg}-${n - 1}`;
        if (!cur.fields.includes(name)) cur.fields.push(name);
      }
    }
  }
  finish();
  return out;
}

function ours(records: ProtocolRecord[]): Summary[] {
  return records.map((r) => {
    const [client, server] = r.conn.replace(/\/tcp$/, '').split('>');
    return {
      src: r.from === 'client' ? client : server,
      type: String(r.messageType),
      apps: [r.sendingApplication, r.sendingFacility, r.receivingApplication, r.receivingFacility].join('|'),
      version: String(r.version),
      segments: r.segments as string[],
      fields: r.fields as string[],
    };
  });
}

const sortKey = (s: Summary) => JSON.stringify(s);
function sameMessages(actual: Summary[], expected: Summary[], what: string): void {
  assert.ok(expected.length > 0, `${what}: tshark decoded messages`);
  assert.deepEqual(actual.map(sortKey).sort(), expected.map(sortKey).sort(), what);
}

/** Splits a message file into messages at every MSH segment, segments ending in CR. */
function splitMessages(text: string): string[] {
  const segs = text.replace(/\r\n|\n/g, '\r').split('\r').filter((s) => s.trim() !== '');
  const out: string[][] = [];
  for (const s of segs) {
    if (s.startsWith('MSH') || out.length === 0) out.push([]);
    out[out.length - 1].push(s);
  }
  return out.map((m) => m.join('\r') + '\r');
}

const PY = `
import hl7, json, sys
TRACKED = ${JSON.stringify(TRACKED)}
out = []
for text in json.load(sys.stdin):
    m = hl7.parse(text.replace('\\ufeff', ''))
    msh = m.segment('MSH')
    def f(i):
        return str(msh[i]) if len(msh) > i else ''
    comp = f(2)[0] if f(2) else '^'
    seps = set([comp, f(2)[1:2] or '~', f(2)[3:4] or '&', '"', ' '])
    segs, fields = [], []
    for seg in m:
        sid = str(seg[0])
        if sid not in segs:
            segs.append(sid)
        if sid in TRACKED:
            for i in range(1, len(seg)):
                v = str(seg[i])
                if set(v) - seps and ('%s-%d' % (sid, i)) not in fields:
                    fields.append('%s-%d' % (sid, i))
    out.append({'type': '^'.join([x for x in f(9).split(comp)[:2] if x]), 'apps': '|'.join([f(3), f(4), f(5), f(6)]),
                'version': f(12).split(comp)[0], 'segments': segs, 'fields': fields})
print(json.dumps(out))
`;

describe('hl7 analyzer vs tshark', () => {
  test('tapirx MLLP captures on port 6661 (detected by content)', () => {
    for (const f of ['tapirx_HL7-ADT.pcap', 'tapirx_HL7-ADT-UDI-OBX.pcap', 'tapirx_HL7-ORM.pcap']) {
      const pcap = corpusFile('pcap', f);
      const c = runStreams([hl7Analyzer], tcpStreams(pcap));
      sameMessages(ours(c.recordsOf('hl7')), tsharkHl7(pcap, ['-d', 'tcp.port==6661,hl7']), f);
      assert.deepEqual(c.anomalies, [], f);
    }
  });

  test('lab hospital capture: ADT, ORM, RDE, ORU and their ACKs', () => {
    const pcap = corpusFile('lab', 'lab_hospital.pcap');
    const c = runStreams([hl7Analyzer], tcpStreams(pcap));
    const records = c.recordsOf('hl7');
    // tshark 4.0 drops a last segment that ends at the MLLP end block without its own CR (as
    // mllp_send and socat sent them here), so segments and fields are checked against
    // python-hl7 on the same frames, and tshark's must be a prefix of ours.
    const header = (s: Summary) => ({ src: s.src, type: s.type, apps: s.apps, version: s.version });
    const expected = tsharkHl7(pcap, ['-d', 'tcp.port==2575,hl7']);
    sameMessages(ours(records).map(header) as Summary[], expected.map(header) as Summary[], 'lab headers');
    const frames = tcpStreams(pcap).flatMap((st) => rechunk(st.chunks, () => 1 << 30))
      .flatMap((ch) => Buffer.from(ch.bytes).toString('latin1').split('\x1c').filter((x) => x.includes('\x0bMSH')).map((x) => x.slice(x.indexOf('\x0b') + 1)));
    const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(frames), encoding: 'latin1' })) as Array<Omit<Summary, 'src'>>;
    sameMessages(ours(records).map(({ src: _s, ...x }) => x) as Summary[], py as Summary[], 'lab segments and fields vs python-hl7');
    for (const t of expected) {
      const mine = ours(records).find((o) => o.src === t.src && o.type === t.type)!;
      assert.deepEqual(mine.segments.slice(0, t.segments.length), t.segments);
      assert.ok(t.fields.every((f) => mine.fields.includes(f)));
    }
    const processes = Object.fromEntries(records.map((r) => [r.messageCode, r.process]));
    assert.deepEqual(processes, { ADT: 'emr', ORM: 'orders', RDE: 'medication-management', ORU: 'results', ACK: 'control' });
    const edge = c.edges.get('10.77.0.40>10.77.0.20/tcp/2575')!;
    assert.equal(edge.protocol, 'hl7');
    assert.equal(edge.phi, true);
    assert.deepEqual(edge.facts.hl7!.acks, { AA: 3 });
    assert.ok(c.hosts.get('10.77.0.40')!.roles.includes('hl7-sender'));
    assert.ok(c.hosts.get('10.77.0.20')!.roles.includes('hl7-receiver'));
    assert.ok(c.hosts.get('10.77.0.20')!.listeningPorts.some((p) => p.port === 2575 && p.protocol === 'hl7'));
    // The lab's synthetic patients are PHI canaries.
    const dump = c.dump();
    for (const phi of ['DOE', 'JOHN', 'MRN0001', 'SMITH', 'JANE', 'MRN0002', 'GARCIA', 'MARIA', 'MRN0003']) assert.ok(!dump.includes(phi), phi);
  });
});

describe('hl7 analyzer vs python-hl7 on the corpus message files', () => {
  const files = readdirSync(join(CORPUS, 'hl7')).filter((f) => !f.endsWith('.bin')).sort();

  test('every message file, one MLLP frame per message, randomly chunked', () => {
    const r = rng(11);
    for (const f of files) {
      const messages = splitMessages(readFileSync(join(CORPUS, 'hl7', f), 'latin1'));
      const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(messages), encoding: 'latin1' })) as Array<Omit<Summary, 'src'>>;
      const stream: Chunk[] = rechunk([{ dir: 0, bytes: Buffer.concat(messages.map((m) => mllp(m))) }], () => 1 + Math.floor(r() * 700));
      const c = new Collector();
      const owner = runStream([hl7Analyzer], { conn: connectionInfo('10.0.0.1', 40000, '10.0.0.2', 7777), chunks: stream }, c);
      assert.equal(owner, hl7Analyzer, f);
      const got = ours(c.recordsOf('hl7')).map(({ src: _src, ...s }) => s);
      assert.deepEqual(got, expected, f);
    }
  });

  test('nhapi fuzz crashers: no throw, bounded header values, anomalies counted', () => {
    for (const f of ['nhapi_fuzz_HL7Exception_id_000092.bin', 'nhapi_fuzz_HL7Exception_so5.bin']) {
      const bytes = readFileSync(corpusFile('hl7', f));
      for (const chunking of [() => 1, () => 1 << 20]) {
        const c = new Collector();
        runStream([hl7Analyzer], { conn: connectionInfo('10.0.0.1', 40000, '10.0.0.2', 2575), chunks: rechunk([{ dir: 0, bytes: mllp(bytes) }], chunking) }, c);
        for (const rec of c.recordsOf('hl7')) {
          assert.ok(String(rec.version).length <= 16);
          assert.ok((rec.segments as string[]).every((s) => /^[A-Z][A-Z0-9]{2}$/.test(s)));
        }
        assert.ok(c.recordsOf('hl7').length + c.anomalies.length > 0, f);
      }
    }
  });
});

describe('hl7 framing and classification', () => {
  const conn = connectionInfo('10.0.0.1', 40000, '10.0.0.2', 2575);
  const adt = readFileSync(corpusFile('hl7', 'fhirconv_ADT04-251.hl7'), 'latin1');

  test('batch (FHS/BHS) with two messages in one frame', () => {
    const body = `FHS|^~\\&|SRC\rBHS|^~\\&|SRC\r${splitMessages(adt)[0]}${splitMessages(adt)[0]}BTS|2\rFTS|1\r`;
    const c = new Collector();
    runStream([hl7Analyzer], { conn, chunks: [{ dir: 0, bytes: mllp(body) }] }, c);
    const recs = c.recordsOf('hl7');
    assert.equal(recs.length, 2);
    assert.ok(recs.every((r) => r.batch === true && r.messageType === 'ADT^A04'));
  });

  test('bad framing: stray bytes, restarts, missing CR, truncation: anomalies, no throw', () => {
    const frame = mllp(splitMessages(adt)[0]);
    const cases: Uint8Array[] = [
      Buffer.concat([Buffer.from('garbage'), frame]),
      Buffer.concat([frame.subarray(0, 40), frame]),
      Buffer.concat([frame.subarray(0, frame.length - 1), Buffer.from('x'), frame]),
      frame.subarray(0, frame.length - 10),
      mllp('PID|1||123\r'),
    ];
    for (const bytes of cases) {
      const c = new Collector();
      const p = hl7Analyzer.create(conn, c.sinkFor(conn, 'hl7'));
      p.data(0, bytes, 1);
      p.end(2);
      assert.ok(c.anomalies.length > 0);
    }
  });

  test('MLLP release 2 commit ACK/NAK frames are transport, not malformed messages', () => {
    const c = new Collector();
    const frame = mllp(splitMessages(adt)[0]);
    runStream([hl7Analyzer], { conn, chunks: [{ dir: 0, bytes: frame }, { dir: 1, bytes: Buffer.from([0x0b, 0x06, 0x1c, 0x0d]) },
      { dir: 0, bytes: frame }, { dir: 1, bytes: Buffer.from([0x0b, 0x15, 0x1c, 0x0d]) }] }, c);
    assert.equal(c.recordsOf('hl7').length, 2);
    assert.deepEqual(c.anomalies, []);
  });

  test('a message resent with the same MSH-10 is flagged, the id itself never kept', () => {
    const [first] = splitMessages(adt);
    const c = new Collector();
    runStream([hl7Analyzer], { conn, chunks: [{ dir: 0, bytes: Buffer.concat([mllp(first), mllp(first)]) }] }, c);
    assert.deepEqual(c.recordsOf('hl7').map((r) => r.resent), [undefined, true]);
    assert.ok(!c.dump().includes('1270326314'));
  });

  test('separators come from MSH-1 and MSH-2, not assumed', () => {
    const msg = 'MSH#$~\\&#LIS#LAB#EMR#HOSP#2024##ORU$R01$ORU_R01#C1#P#2.4\rPID#1##X$$$H$MR##ZZCANARY$PHINEAS###F\rNK1#1#$$$#SPO\r';
    const c = new Collector();
    runStream([hl7Analyzer], { conn, chunks: rechunk([{ dir: 0, bytes: mllp(msg) }], () => 3) }, c);
    const [rec] = c.recordsOf('hl7');
    assert.deepEqual([rec.fieldSeparator, rec.messageType, rec.sendingApplication, rec.version], ['#', 'ORU^R01', 'LIS', '2.4']);
    // NK1-2 holds only component separators: not populated.
    assert.deepEqual(rec.fields, ['PID-1', 'PID-3', 'PID-5', 'PID-8', 'NK1-1', 'NK1-3']);
    assert.ok(!c.dump().includes('ZZCANARY'));
  });

  test('message types to processes', () => {
    assert.equal(classifyHl7('ADT').process, 'emr');
    assert.equal(classifyHl7('OML').department, 'laboratory');
    assert.equal(classifyHl7('ORM', { receivingApplication: 'HLAB_RIS', receivingFacility: 'HLAB_RAD' }).department, 'radiology');
    assert.equal(classifyHl7('RDS').process, 'medication-management');
    assert.equal(classifyHl7('DFT').process, 'billing');
    assert.equal(classifyHl7('BAR').process, 'billing');
    assert.equal(classifyHl7('SIU').process, 'scheduling');
    assert.equal(classifyHl7('MDM').process, 'documents');
    assert.equal(classifyHl7('ZZZ').process, 'other');
  });
});
