/**
 * Zeek conn.log, TSV and JSON: the corpus logs load completely (counts and
 * byte totals checked with jq and awk), the line parser survives chunking,
 * rotation and garbage, and connections fold into edges.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { LineSplitter, ZeekConnParser, readZeek, sniff, type ZeekConn } from '../../src/sources/zeek/index.ts';
import { CORPUS } from '../helpers/corpus.ts';

const DIR = join(CORPUS, 'zeek');
const files = readdirSync(DIR).filter((f) => f.endsWith('.log')).sort();
const isJson = (f: string): boolean => readFileSync(join(DIR, f), 'utf8').trimStart().startsWith('{');

/** Record count and orig+resp byte total by an independent tool: jq for JSON, awk over the #fields header for TSV. */
function reference(f: string): { records: number; bytes: number } {
  const path = join(DIR, f);
  if (isJson(f)) {
    const out = execFileSync('jq', ['-s', '[length, (map((.orig_bytes // 0) + (.resp_bytes // 0)) | add)] | @tsv', '-r', path], { encoding: 'utf8' });
    const [records, bytes] = out.trim().split('\t').map(Number);
    return { records, bytes };
  }
  const prog = String.raw`
    { sub(/^[ \t]+#/, "#") }
    /^#fields/ { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
    /^#/ { next }
    NF > 1 { n++; ob = $col["orig_bytes"]; rb = $col["resp_bytes"]; if (ob != "-") b += ob; if (rb != "-") b += rb }
    END { printf "%d\t%d\n", n, b }`;
  const out = execFileSync('awk', ['-F', '\t', prog, path], { encoding: 'utf8' });
  const [records, bytes] = out.trim().split('\t').map(Number);
  return { records, bytes };
}

describe('corpus conn.logs', () => {
  test('there are TSV and JSON logs', () => {
    assert.ok(files.some(isJson));
    assert.ok(files.some((f) => !isJson(f)));
  });
  for (const f of files) {
    test(f, async () => {
      assert.ok(sniff(readFileSync(join(DIR, f)).subarray(0, 2048)), 'sniffed as conn.log');
      const r = await readZeek(join(DIR, f));
      const ref = reference(f);
      assert.equal(r.inputs[0].records, ref.records);
      assert.equal(r.inputs[0].format, isJson(f) ? 'zeek-json' : 'zeek-tsv');
      assert.equal(r.edges.reduce((s, e) => s + e.bytes, 0), ref.bytes);
      assert.equal(r.edges.reduce((s, e) => s + e.sessions, 0), ref.records, 'one session per connection');
      assert.deepEqual(r.anomalies, []);
      for (const e of r.edges) assert.deepEqual(e.sources, ['zeek']);
    });
  }

  test("Zeek's service is a content decision: ssl -> tls, dns -> dns", async () => {
    const r = await readZeek(join(DIR, 'slips_test9_mixed_conn.json.log'), { keepConns: true });
    const tls = r.edges.filter((e) => e.protocol === 'tls');
    assert.ok(tls.length > 0);
    const fromContent = r.conns!.filter((c) => c.service === 'ssl').length;
    assert.equal(tls.filter((e) => e.protocolFrom === 'content').reduce((s, e) => s + e.sessions, 0), fromContent);
    assert.ok(tls.every((e) => e.encrypted));
    assert.ok(r.edges.some((e) => e.protocol === 'dns' && e.protocolFrom === 'content'));
  });

  test('masked btest timestamps load as untimed connections with a warning', async () => {
    const r = await readZeek(join(DIR, 'zeek_baseline_opt.basic_conn.log'));
    assert.ok(r.inputs[0].warnings.some((w) => w.includes('no usable timestamp')));
    assert.ok(r.edges.every((e) => e.firstSeen === 0));
  });
});

describe('line parser', () => {
  const tsv = readFileSync(join(DIR, 'slips_test10_mixed_conn.tsv.log'));
  const json = readFileSync(join(DIR, 'slips_test9_mixed_conn.json.log'));

  function parseAll(chunks: Uint8Array[]): { conns: ZeekConn[]; parser: ZeekConnParser } {
    const conns: ZeekConn[] = [];
    const parser = new ZeekConnParser((c) => conns.push({ ...c }), { file: 'conn.log' });
    const split = new LineSplitter((l) => parser.line(l));
    for (const c of chunks) split.push(c);
    split.end();
    return { conns, parser };
  }

  test('chunk boundaries anywhere give the same connections', () => {
    for (const whole of [tsv, json]) {
      const ref = parseAll([whole]).conns;
      let seed = 7;
      for (let round = 0; round < 20; round++) {
        const parts: Uint8Array[] = [];
        for (let off = 0; off < whole.length;) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const n = 1 + (seed % 700);
          parts.push(whole.subarray(off, off + n));
          off += n;
        }
        assert.deepEqual(parseAll(parts).conns, ref);
      }
    }
  });

  test('a partial line survives the caller reusing its read buffer (as a tailing reader does)', () => {
    const lines: string[] = [];
    const split = new LineSplitter((l) => lines.push(l));
    const buf = Buffer.alloc(8);
    buf.write('abc\ndefg');
    split.push(buf);
    buf.write('XYZ\nQRST');
    split.push(buf);
    split.end();
    assert.deepEqual(lines, ['abc', 'defgXYZ', 'QRST']);
  });

  test('rotation: a closed log followed by a new header (other column order) keeps going', () => {
    const text = tsv.toString('utf8');
    const lines = text.split('\n');
    const fieldsLine = lines.find((l) => l.startsWith('#fields'))!.split('\t');
    const order = [0, ...fieldsLine.slice(1).map((_, i) => i + 1).reverse()];
    const rotated = lines.map((l) => {
      if (l.trimStart().startsWith('#') && !l.startsWith('#fields')) return l.trimStart();
      if (l.trim() === '') return l;
      const cols = l.split('\t');
      return l.startsWith('#fields') ? order.map((i) => cols[i]).join('\t') : order.slice(1).map((i) => cols[i - 1]).join('\t');
    }).join('\n');
    const { conns, parser } = parseAll([tsv, Buffer.from(rotated)]);
    const single = parseAll([tsv]).conns;
    assert.equal(conns.length, single.length * 2);
    assert.deepEqual(conns.slice(single.length), single);
    assert.deepEqual(parser.anomalies.list(), []);
  });

  test('garbled lines are anomalies with file:line; the rest loads', () => {
    const lines = tsv.toString('utf8').split('\n');
    const dataIdx = lines.findIndex((l) => /^\d/.test(l));
    lines.splice(dataIdx + 2, 0, 'garbage\twith\tthree columns');
    lines.splice(dataIdx + 5, 0, '{"not": "closed"');
    const { conns, parser } = parseAll([Buffer.from(lines.join('\n'))]);
    assert.equal(conns.length, parseAll([tsv]).conns.length);
    const kinds = parser.anomalies.list();
    assert.deepEqual(kinds.map((a) => a.kind).sort(), ['zeek.fields', 'zeek.json']);
    assert.equal(kinds.find((a) => a.kind === 'zeek.fields')!.where, `conn.log:${dataIdx + 3}`);
  });

  test('unset (-) and empty ((empty)) values', () => {
    const header = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts'];
    const rows = ['1700000000.5\tCx\t10.0.0.1\t50000\t10.0.0.2\t104\ttcp\t-\t-\t-\t-\tS0\t1\t0',
      '1700000001.0\tCy\t10.0.0.1\t50001\t10.0.0.2\t104\ttcp\t(empty)\t2.5\t100\t(empty)\tSF\t3\t2'];
    const { conns } = parseAll([Buffer.from([...header, ...rows, '#close\t2023'].join('\n'))]);
    assert.equal(conns.length, 2);
    assert.equal(conns[0].service, undefined);
    assert.ok(Number.isNaN(conns[0].duration));
    assert.equal(conns[0].origBytes, 0);
    assert.equal(conns[1].service, undefined);
    assert.equal(conns[1].origBytes, 100);
    assert.equal(conns[1].respBytes, 0);
    assert.equal(conns[1].duration, 2.5);
  });

  test('JSON with ISO 8601 timestamps (LogAscii::json_timestamps)', () => {
    const { conns } = parseAll([Buffer.from('{"ts":"2026-11-28T11:46:55.123456Z","uid":"C1","id.orig_h":"10.77.0.30","id.orig_p":40000,"id.resp_h":"10.77.0.10","id.resp_p":4242,"proto":"tcp","orig_bytes":10,"resp_bytes":20,"orig_pkts":1,"resp_pkts":1}\n')]);
    assert.equal(conns[0].ts * 1000, Date.parse('2026-11-28T11:46:55.123Z'), 'millisecond precision');
  });
});

describe('folding into edges', () => {
  test('port guesses when Zeek names no service, one edge per initiator -> service port', async () => {
    const header = '#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts\n';
    const rows = [
      '1700000000\tC1\t10.77.0.30\t50000\t10.77.0.10\t4242\ttcp\t-\t1\t100\t200\tSF\t3\t3',
      '1700000010\tC2\t10.77.0.30\t50001\t10.77.0.10\t4242\ttcp\t-\t1\t100\t200\tSF\t3\t3',
      '1700000020\tC3\t10.77.0.40\t50002\t10.77.0.20\t2575\ttcp\t-\t1\t50\t10\tSF\t2\t2',
      '1700000030\tC4\t10.77.0.30\t50003\t10.77.0.20\t23\ttcp\t-\t0\t0\t0\tREJ\t1\t1',
    ].join('\n');
    const r = await readZeek(Readable.from([Buffer.from(header + rows + '\n')]), { name: 'lab-conn.log' });
    const dicom = r.edges.find((e) => e.dport === 4242)!;
    assert.deepEqual([dicom.src, dicom.dst, dicom.protocol, dicom.protocolFrom, dicom.sessions, dicom.bytes, dicom.packets, dicom.phi],
      ['10.77.0.30', '10.77.0.10', 'dicom', 'port', 2, 600, 12, true]);
    assert.equal(dicom.firstSeen, 1700000000000);
    assert.equal(dicom.lastSeen, 1700000011000);
    assert.equal(r.edges.find((e) => e.dport === 2575)!.protocol, 'hl7');
    const refused = r.hosts.find((h) => h.address === '10.77.0.20')!;
    assert.deepEqual(refused.listeningPorts.map((l) => l.port), [2575], 'REJ is not a listening port');
    assert.equal(r.inputs[0].path, 'lab-conn.log');
  });
});
