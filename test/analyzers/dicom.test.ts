/**
 * The DICOM analyzer against tshark's DICOM dissector on the same captures:
 * associations, AE pairs, outcomes, DIMSE commands (counted from decoded
 * command sets, not the Info column), move destinations, query levels and
 * implementation versions, per TCP stream.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusFile } from '../helpers/corpus.ts';
import { Collector, rechunk, rng, runStream, runStreams, tcpStreams, tshark, type TcpStream } from './helpers.ts';
import { dicomAnalyzer } from '../../src/analyzers/dicom/analyzer.ts';
import { fingerprint } from '../../src/analyzers/dicom/fingerprint.ts';
import type { ProtocolRecord } from '../../src/observations/types.ts';

interface TsharkAssoc {
  calling?: string;
  called?: string;
  rq: number;
  ac: number;
  rj: number;
  abort: number;
  /** Request counts by command ("C-STORE"), response counts by command. */
  requests: Record<string, number>;
  responses: Record<string, number>;
  moveDestinations: string[];
  levels: string[];
  versions: string[];
}

function endpointKey(a: string, b: string): string {
  return [a, b].sort().join('|');
}

/** tshark's view, per TCP stream keyed by its two endpoints. */
function tsharkDicom(pcap: string): Map<string, TsharkAssoc> {
  const out = new Map<string, TsharkAssoc>();
  const get = (k: string) => {
    let v = out.get(k);
    if (!v) {
      v = { rq: 0, ac: 0, rj: 0, abort: 0, requests: {}, responses: {}, moveDestinations: [], levels: [], versions: [] };
      out.set(k, v);
    }
    return v;
  };
  const fields = tshark(['-r', pcap, '-Y', 'dicom', '-T', 'fields', '-E', 'separator=/t', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport',
    '-e', 'dicom.pdu.type', '-e', 'dicom.assoc.ae.calling', '-e', 'dicom.assoc.ae.called', '-e', 'dicom.userinfo.version']);
  for (const line of fields.split('\n').filter(Boolean)) {
    const [src, sport, dst, dport, types, calling, called, versions] = line.split('\t');
    const a = get(endpointKey(`${src}:${sport}`, `${dst}:${dport}`));
    for (const t of types.split(',').map(Number)) {
      if (t === 1) {
        a.rq++;
        a.calling = calling.split(',')[0].trim();
        a.called = called.split(',')[0].trim();
      } else if (t === 2) a.ac++;
      else if (t === 3) a.rj++;
      else if (t === 7) a.abort++;
    }
    for (const v of (versions ?? '').split(',')) if (v && !a.versions.includes(v)) a.versions.push(v);
  }
  // Decoded command sets, one block per frame: the frame's endpoints, then its DICOM tree.
  const text = tshark(['-r', pcap, '-o', 'dicom.tag_tree:TRUE', '-Y', 'dicom', '-O', 'dicom']);
  let ip = '';
  let key = '';
  for (const line of text.split('\n')) {
    let m = /^Internet Protocol Version \d, Src: (\S+), Dst: (\S+)/.exec(line);
    if (m) ip = `${m[1]} ${m[2]}`;
    m = /^Transmission Control Protocol, Src Port: (\d+), Dst Port: (\d+)/.exec(line);
    if (m) {
      const [s, d] = ip.split(' ');
      key = endpointKey(`${s}:${m[1]}`, `${d}:${m[2]}`);
    }
    m = /^\s+\(0000,0100\)\s+\d+\s+Command Field\s+(\S+)-(RQ|RSP)/.exec(line);
    if (m) {
      const a = get(key);
      const bucket = m[2] === 'RQ' ? a.requests : a.responses;
      bucket[m[1]] = (bucket[m[1]] ?? 0) + 1;
    }
    m = /^\s+\(0000,0600\)\s+\d+\s+Move Destination\s+(.+)$/.exec(line);
    if (m) get(key).moveDestinations.push(m[1].trim());
    m = /^\s+\(0008,0052\)\s+\d+\s+Query\/Retrieve Level\s+\[CS\]\s+(.+)$/.exec(line);
    if (m && !get(key).levels.includes(m[1].trim())) get(key).levels.push(m[1].trim());
  }
  return out;
}

interface Op { command: string; pending: number; status?: string; queryLevel?: string; moveDestination?: string }

function oursByStream(streams: TcpStream[]): { c: Collector; byKey: Map<string, ProtocolRecord> } {
  const c = runStreams([dicomAnalyzer], streams);
  const byKey = new Map<string, ProtocolRecord>();
  for (const r of c.recordsOf('dicom')) {
    const m = /^(.+:\d+)>(.+:\d+)\/tcp$/.exec(r.conn)!;
    byKey.set(endpointKey(m[1], m[2]), r);
  }
  return { c, byKey };
}

function compareWithTshark(pcap: string): { c: Collector; records: ProtocolRecord[] } {
  const expected = tsharkDicom(pcap);
  const streams = tcpStreams(pcap);
  const { c, byKey } = oursByStream(streams);
  const withRq = [...expected.entries()].filter(([, a]) => a.rq > 0);
  assert.ok(withRq.length > 0, 'tshark found associations');
  assert.equal(byKey.size, withRq.length, 'association count equals tshark A-ASSOCIATE-RQ count');
  for (const [key, a] of withRq) {
    const r = byKey.get(key);
    assert.ok(r, `association on ${key}`);
    assert.equal(r.callingAe, a.calling, `${key} calling AE`);
    assert.equal(r.calledAe, a.called, `${key} called AE`);
    const outcome = a.abort > 0 ? 'aborted' : a.rj > 0 ? 'rejected' : a.ac > 0 ? 'accepted' : 'unknown';
    assert.equal(r.outcome, outcome, `${key} outcome`);
    assert.deepEqual(r.commands, a.requests, `${key} DIMSE requests`);
    const ops = r.operations as Op[];
    const responses: Record<string, number> = {};
    for (const op of ops) {
      const n = op.pending + (op.status ? 1 : 0);
      if (n > 0) responses[op.command] = (responses[op.command] ?? 0) + n;
    }
    assert.deepEqual(responses, a.responses, `${key} DIMSE responses (pending + final)`);
    assert.deepEqual(ops.filter((o) => o.moveDestination).map((o) => o.moveDestination), a.moveDestinations, `${key} move destinations`);
    const levels = [...new Set(ops.filter((o) => o.queryLevel).map((o) => o.queryLevel))];
    assert.deepEqual(levels, a.levels, `${key} query levels`);
    const versions = [(r.requestor as { versionName?: string }).versionName, (r.acceptor as { versionName?: string }).versionName].filter(Boolean);
    assert.deepEqual([...new Set(versions)].sort(), [...a.versions].sort(), `${key} implementation versions`);
  }
  return { c, records: c.recordsOf('dicom') };
}

describe('dicom analyzer vs tshark', () => {
  test('lab hospital capture: associations, outcomes, DIMSE, levels, versions', () => {
    const { c, records } = compareWithTshark(corpusFile('lab', 'lab_hospital.pcap'));
    assert.deepEqual(c.anomalies, []);
    const outcomes = records.map((r) => r.outcome);
    // The lab's security negatives are visible as such.
    assert.ok(outcomes.includes('rejected') && outcomes.includes('aborted'));
    const rogue = records.find((r) => r.callingAe === 'ROGUE' && r.outcome === 'aborted');
    assert.equal((rogue?.abort as { from: string }).from, 'acceptor');
    const nosuch = records.find((r) => r.calledAe === 'NOSUCHAE');
    assert.match((nosuch?.reject as { text: string }).text, /called AE title not recognized/);
    // Edge facts: the modality stored CT/MR/US/CR to Orthanc, fingerprinted as DCMTK 3.6.7.
    const pacs = c.hosts.get('10.77.0.10')!;
    assert.ok(pacs.roles.includes('dicom-scp') && pacs.aeTitles.includes('ORTHANC'));
    assert.ok(pacs.software.some((s) => s.product === 'DCMTK' && s.version === '3.6.7'));
    assert.ok(pacs.listeningPorts.some((p) => p.port === 4242 && p.protocol === 'dicom'));
    const mod = c.hosts.get('10.77.0.30')!;
    assert.deepEqual([...mod.modalities].sort(), ['CR', 'CT', 'MR', 'US']);
    const edge = c.edges.get('10.77.0.30>10.77.0.10/tcp/4242')!;
    assert.equal(edge.protocol, 'dicom');
    assert.equal(edge.phi, true);
    assert.ok(edge.facts.dicom!.sopClasses.includes('1.2.840.10008.5.1.4.1.1.2'));
    assert.deepEqual(edge.facts.dicom!.moveDestinations, ['MODWS']);
  });

  test('tapirx A-ASSOCIATE-RQ captures (DLT_NULL, RQ split across segments)', () => {
    for (const f of ['tapirx_dicom_arq_1_find_testclient.pcap', 'tapirx_dicom_arq_4_get_bogus_local.pcap']) {
      const pcap = corpusFile('pcap', f);
      const { records } = compareWithTshark(pcap);
      // tshark prints "Name (uid)"; its names also cross-check the SOP class table.
      const contexts = tshark(['-r', pcap, '-Y', 'dicom', '-T', 'fields', '-E', 'aggregator=|', '-e', 'dicom.pctx.abss.syntax'])
        .trim().split(/[|\n]/).filter(Boolean).map((x) => /^(.*) \(([\d.]+)\)$/.exec(x)!);
      assert.equal(records.length, 1);
      assert.equal(records[0].proposedContexts, contexts.length, `${f} presentation contexts`);
      const syntaxes = records[0].abstractSyntaxes as Array<{ uid: string; name?: string }>;
      assert.deepEqual(syntaxes.map((p) => p.uid), [...new Set(contexts.map((m) => m[2]))], `${f} abstract syntaxes`);
      for (const p of syntaxes) {
        const theirs = contexts.find((m) => m[2] === p.uid)![1].replace(/ \(Retired\)$/, '');
        if (p.name) assert.equal(p.name, theirs, `name of ${p.uid}`);
      }
      const sw = (records[0].requestor as { software: { product: string } }).software;
      assert.equal(sw.product, 'go-dicom');
    }
  });

  test('tapirxl CT to PACS scenario: C-STORE of CT Image Storage', () => {
    const { c, records } = compareWithTshark(corpusFile('pcap', 'tapirxl_ct_to_pacs_scenario.pcap'));
    const ops = records[0].operations as Array<{ command: string; sopClassName: string; result: string }>;
    assert.deepEqual(ops.map((o) => [o.command, o.sopClassName, o.result]), [['C-STORE', 'CT Image Storage', 'success']]);
    const scu = [...c.hosts.values()].find((h) => h.roles.includes('dicom-scu'))!;
    assert.deepEqual(scu.modalities, ['CT']);
  });
});

describe('dicom analyzer robustness', () => {
  const streams = tcpStreams(corpusFile('lab', 'lab_hospital.pcap')).filter((s) => dicomAnalyzer.detect(s.chunks[0].dir, s.chunks[0].bytes, s.conn));

  test('detection is by content: DICOM streams on 104, 4242, 11112 and 11114 all claimed', () => {
    assert.deepEqual([...new Set(streams.map((s) => s.conn.serverPort))].sort((a, b) => a - b), [104, 4242, 11112, 11114]);
    const hl7 = tcpStreams(corpusFile('pcap', 'tapirx_HL7-ADT.pcap'));
    assert.equal(hl7.some((s) => dicomAnalyzer.detect(s.chunks[0].dir, s.chunks[0].bytes, s.conn)), false);
  });

  test('same records whatever the chunking (1 byte, random, whole)', () => {
    const natural = runStreams([dicomAnalyzer], streams).recordsOf('dicom');
    const r = rng(7);
    const variants = [() => 1, () => 1 + Math.floor(r() * 3000), () => 1 << 30];
    for (const size of variants) {
      const c = new Collector();
      for (const s of streams) runStream([dicomAnalyzer], { conn: s.conn, chunks: rechunk(s.chunks, size) }, c);
      assert.deepEqual(c.recordsOf('dicom').map((x) => ({ ...x, ts: 0, durationMs: 0 })), natural.map((x) => ({ ...x, ts: 0, durationMs: 0 })));
      assert.deepEqual(c.anomalies, []);
    }
  });

  test('a command set fragmented over several PDVs and PDUs parses the same', () => {
    // Rewrites each single-PDV command P-DATA of a real association into three P-DATA-TFs, one
    // fragment each, the last with the last-fragment flag: what a sender with a tiny PDU does.
    const echo = streams.find((s) => JSON.stringify(runStreams([dicomAnalyzer], [s]).recordsOf('dicom')[0].operations).includes('"queryLevel":"PATIENT"'))!;
    const split = (bytes: Uint8Array): Uint8Array => {
      const out: Buffer[] = [];
      let p = 0;
      const b = Buffer.from(bytes);
      while (p + 6 <= b.length) {
        const len = b.readUInt32BE(p + 2);
        const pdu = b.subarray(p, p + 6 + len);
        p += 6 + len;
        if (pdu[0] !== 4 || pdu.readUInt32BE(6) + 4 !== len || (pdu[11] & 1) === 0) {
          out.push(pdu);
          continue;
        }
        const ctx = pdu[10];
        const value = pdu.subarray(12);
        const cuts = [0, Math.floor(value.length / 3), Math.floor((2 * value.length) / 3), value.length];
        for (let k = 0; k < 3; k++) {
          const frag = value.subarray(cuts[k], cuts[k + 1]);
          const h = Buffer.alloc(12);
          h[0] = 4;
          h.writeUInt32BE(6 + frag.length, 2);
          h.writeUInt32BE(2 + frag.length, 6);
          h[10] = ctx;
          h[11] = k === 2 ? 3 : 1;
          out.push(h, frag);
        }
      }
      out.push(b.subarray(p));
      return Buffer.concat(out);
    };
    const joined = rechunk(echo.chunks, () => 1 << 30).map((c) => ({ dir: c.dir, bytes: split(c.bytes) }));
    assert.ok(joined.reduce((a, c) => a + c.bytes.length, 0) > echo.chunks.reduce((a, c) => a + c.bytes.length, 0), 'fragments were made');
    const original = runStreams([dicomAnalyzer], [echo]).recordsOf('dicom')[0];
    const c = new Collector();
    runStream([dicomAnalyzer], { conn: echo.conn, chunks: joined }, c);
    const [rec] = c.recordsOf('dicom');
    assert.deepEqual(rec.operations, original.operations);
    assert.deepEqual(rec.commands, original.commands);
    assert.deepEqual(c.anomalies, []);
  });

  test('truncated association: partial record and a truncation anomaly', () => {
    const big = streams.reduce((a, b) => (b.chunks.length > a.chunks.length ? b : a));
    const c = new Collector();
    runStream([dicomAnalyzer], { conn: big.conn, chunks: big.chunks.slice(0, Math.floor(big.chunks.length / 2)) }, c);
    const [rec] = c.recordsOf('dicom');
    assert.equal(rec.outcome, 'accepted');
    assert.ok(c.anomalies.some((a) => a.kind === 'dicom.truncated'));
  });

  test('capture gaps: lost data-set bytes keep the PDU framing, others resynchronise', () => {
    const big = streams.reduce((a, b) => (b.chunks.length > a.chunks.length ? b : a));
    const expected = runStreams([dicomAnalyzer], [big]).recordsOf('dicom')[0].commands as Record<string, number>;
    let intact = 0;
    for (let i = 1; i < big.chunks.length; i++) {
      const c = new Collector();
      const parser = dicomAnalyzer.create(big.conn, c.sinkFor(big.conn, 'dicom'));
      big.chunks.forEach((ch, j) => (j === i ? parser.gap(ch.dir, ch.bytes.length) : parser.data(ch.dir, ch.bytes, j)));
      parser.end(big.chunks.length);
      const [rec] = c.recordsOf('dicom');
      assert.ok(rec, `record despite a gap at chunk ${i}`);
      if (c.anomalies.length === 0) {
        intact++;
        assert.deepEqual(rec.commands, expected);
      } else {
        // At most the one operation whose command was lost goes missing.
        const got = rec.commands as Record<string, number>;
        for (const [k, v] of Object.entries(expected)) assert.ok((got[k] ?? 0) >= v - 1, `chunk ${i}: ${k} ${got[k]} of ${v}`);
      }
    }
    assert.ok(intact > 0, 'some gaps fell inside data sets and cost nothing');
  });

  test('garbage never throws: anomalies instead', () => {
    const r = rng(99);
    const rq = streams[0].chunks[0].bytes;
    for (let k = 0; k < 200; k++) {
      const junk = new Uint8Array(1 + Math.floor(r() * 400));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
      const c = new Collector();
      runStream([dicomAnalyzer], { conn: streams[0].conn, chunks: [{ dir: 0, bytes: rq }, { dir: 1, bytes: junk }, { dir: 0, bytes: junk }] }, c);
      assert.equal(c.recordsOf('dicom').length, 1);
    }
  });
});

describe('implementation fingerprints', () => {
  test('known toolkits by class UID and version name', () => {
    assert.deepEqual(fingerprint('1.2.276.0.7230010.3.0.3.6.7', 'OFFIS_DCMTK_367'),
      { vendor: 'OFFIS', product: 'DCMTK', version: '3.6.7', source: 'dicom-implementation', confidence: 'high' });
    assert.equal(fingerprint('1.2.276.0.7230010.3.0.3.6.10', undefined)?.version, '3.6.10');
    assert.equal(fingerprint('1.2.40.0.13.1.3', 'dcm4che-5.31.0')?.product, 'dcm4che');
    assert.equal(fingerprint('1.2.40.0.13.1.3', 'dcm4che-5.31.0')?.version, '5.31.0');
    assert.equal(fingerprint('1.3.6.1.4.1.30071.8', 'fo-dicom 4.0.7')?.version, '4.0.7');
    assert.equal(fingerprint('1.2.826.0.1.3680043.9.3811.2.0.2', 'PYNETDICOM_202')?.version, '2.0.2');
    assert.equal(fingerprint('1.2.840.113619.6.1', 'CENTRICITY5.0')?.vendor, 'GE Healthcare');
    assert.equal(fingerprint(undefined, undefined), undefined);
  });
});
