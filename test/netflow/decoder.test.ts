/**
 * Template life cycle, scoping, variable-length fields, sampling and bad input,
 * on the corpus samples (and messages derived from them).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  NetflowDecoder, TemplateCache, looksLikeExport, readNetflow, sniff, sniffExportPcap, type FlowRecord, type TemplateEvent,
} from '../../src/sources/netflow/index.ts';
import { CORPUS } from '../helpers/corpus.ts';

const DIR = join(CORPUS, 'netflow');
const load = (f: string): Buffer => readFileSync(join(DIR, f));
const YAF_TPL = load('logstash_ipfix_test_yaf_tpl45841.dat');
const YAF_DATA = load('logstash_ipfix_test_yaf_data45841.dat');

function decoder(cache = new TemplateCache()): { d: NetflowDecoder; records: FlowRecord[]; events: Array<TemplateEvent & { withdrawn: boolean }> } {
  const records: FlowRecord[] = [];
  const events: Array<TemplateEvent & { withdrawn: boolean }> = [];
  const d = new NetflowDecoder({
    onRecord: (r) => records.push({ ...r, srcV6: r.srcV6.slice(), dstV6: r.dstV6.slice() }),
    onTemplate: (e) => events.push(e),
  }, { cache });
  return { d, records, events };
}

/** An IPFIX message around `sets`, header fields copied from a real message. */
function ipfix(like: Buffer, sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  const h = Buffer.from(like.subarray(0, 16));
  h.writeUInt16BE(16 + body.length, 2);
  return Buffer.concat([h, body]);
}

function set(id: number, content: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(4 + content.length, 2);
  return Buffer.concat([h, content]);
}

function u16s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

describe('templates', () => {
  test('a template file then its data file share one cache (YAF)', () => {
    const { d, records, events } = decoder();
    d.decode(YAF_TPL, 'yaf');
    assert.equal(events.length, 1);
    assert.equal(events[0].templateId, 45841);
    d.decode(YAF_DATA, 'yaf');
    assert.equal(records.length, 1);
    assert.equal(records[0].templateId, 45841);
  });

  test('templates are scoped by exporter: another exporter cannot use them', () => {
    const { d, records } = decoder();
    d.decode(YAF_TPL, '192.0.2.1');
    d.decode(YAF_DATA, '192.0.2.99');
    assert.equal(records.length, 0);
    assert.equal(d.stats.missingTemplate, 1);
    assert.equal(d.anomalies.list()[0].where, 'input:datagram 2');
  });

  test('templates are scoped by observation domain', () => {
    const { d, records } = decoder();
    d.decode(YAF_TPL, 'yaf');
    const other = Buffer.from(YAF_DATA);
    other.writeUInt32BE(other.readUInt32BE(12) + 1, 12);
    d.decode(other, 'yaf');
    assert.equal(records.length, 0);
  });

  test('IPFIX withdrawal of one template, then of all templates (RFC 7011 §8.1)', () => {
    const { d, records, events } = decoder();
    d.decode(YAF_TPL, 'yaf');
    d.decode(ipfix(YAF_TPL, [set(2, u16s(45841, 0))]), 'yaf');
    assert.deepEqual(events.map((e) => [e.templateId, e.withdrawn]), [[45841, false], [45841, true]]);
    d.decode(YAF_DATA, 'yaf');
    assert.equal(records.length, 0);
    d.decode(YAF_TPL, 'yaf');
    d.decode(ipfix(YAF_TPL, [set(2, u16s(2, 0))]), 'yaf');
    assert.equal(d.cache.size, 0);
    assert.equal(d.stats.withdrawals, 2);
  });

  test('expiry drops stale templates and calls the hook', () => {
    const cache = new TemplateCache();
    const expired: TemplateEvent[] = [];
    cache.onExpire = (e) => expired.push(e);
    const { d, records } = decoder(cache);
    d.decode(YAF_TPL, 'yaf', 1_000);
    assert.equal(cache.expire(2_000, 5_000), 0);
    assert.equal(cache.expire(10_000, 5_000), 1);
    assert.deepEqual(expired, [{ exporter: 'yaf', version: 10, domain: YAF_TPL.readUInt32BE(12), templateId: 45841 }]);
    d.decode(YAF_DATA, 'yaf');
    assert.equal(records.length, 0);
  });

  test('variable-length fields in the short and the long (255 + u16) form are skipped exactly', () => {
    // Template 300: IE 8 src, IE 82 interfaceName (variable), IE 12 dst, IE 7 sport.
    const tpl = set(2, u16s(300, 4, 8, 4, 82, 0xffff, 12, 4, 7, 2));
    const rec = (name: Buffer, long: boolean): Buffer => Buffer.concat([
      Buffer.from([10, 0, 0, 1]),
      long ? Buffer.from([255, name.length >> 8, name.length & 255]) : Buffer.from([name.length]),
      name,
      Buffer.from([10, 0, 0, 2]),
      u16s(4242),
    ]);
    const data = set(300, Buffer.concat([rec(Buffer.from('eth0'), false), rec(Buffer.alloc(300, 0x41), true)]));
    const { d, records } = decoder();
    d.decode(ipfix(YAF_TPL, [tpl, data]), 'x');
    assert.equal(records.length, 2);
    for (const r of records) {
      assert.equal(r.srcV4, 0x0a000001);
      assert.equal(r.dstV4, 0x0a000002);
      assert.equal(r.srcPort, 4242);
    }
    assert.deepEqual(d.anomalies.list(), []);
  });

  test('enterprise-specific fields (NetScaler, PEN 5951) are skipped, standard ones decode', async () => {
    const { d, records } = decoder();
    d.decode(load('logstash_ipfix_test_netscaler_tpl.dat'), 'ns');
    const t = [...d.cache.templates()].find((x) => x.templateId === 258);
    assert.ok(t && t.template.fields.some((f) => f.startsWith('5951:')));
    d.decode(load('logstash_ipfix_test_netscaler_data.dat'), 'ns');
    assert.ok(records.length >= 1);
    assert.ok(records.every((r) => r.family === 4 && r.protocol >= 0));
  });
});

describe('limits', () => {
  test('exporter states and templates per exporter are bounded', () => {
    const { d, events } = decoder(new TemplateCache({ maxStates: 2, maxTemplatesPerState: 1 }));
    d.decode(YAF_TPL, 'a');
    d.decode(YAF_TPL, 'b');
    d.decode(YAF_TPL, 'c');
    assert.equal(events.length, 2);
    d.decode(ipfix(YAF_TPL, [set(2, u16s(999, 1, 8, 4))]), 'a');
    assert.equal(d.cache.size, 2);
    assert.deepEqual(d.anomalies.list().map((a) => a.kind), ['netflow.limit', 'netflow.limit']);
  });
});

describe('sampling', () => {
  test('IPFIX options data (selector, size/population) give the sampling rate tshark decodes', async () => {
    const f = join(DIR, 'pmacct_104-IPFIXv10-IPv6-CISCO.pcap');
    const r = await readNetflow(f, { keepRecords: true });
    const out = execFileSync('tshark', ['-r', f, '-d', 'udp.port==9992,cflow', '-T', 'fields', '-e', 'cflow.sampling_size', '-e', 'cflow.sampling_population'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [size, pop] = out.split('\n').map((l) => l.trim()).find((l) => /^\d+\s+\d+$/.test(l))!.split(/\s+/).map(Number);
    const want = Math.round(pop / size);
    assert.ok(want > 1);
    assert.ok(r.records!.length > 0);
    for (const rec of r.records!) assert.equal(rec.samplingInterval, want);
    assert.ok(r.inputs[0].warnings.some((w) => w.includes(`1 in ${want}`)));
  });

  test('NetFlow v5 header sampling interval', () => {
    const b = Buffer.from(load('logstash_netflow5_test_microtik.dat'));
    b.writeUInt16BE(0x4000 | 100, 22);
    const { d, records } = decoder();
    d.decode(b, 'v5');
    assert.ok(records.length > 0 && records.every((r) => r.samplingInterval === 100));
  });
});

describe('bad input never throws', () => {
  const samples = ['logstash_ipfix.dat', 'logstash_netflow9_test_softflowd_tpl_data.dat', 'logstash_netflow5_test_microtik.dat',
    'logstash_ipfix_test_netscaler_tpl.dat', 'logstash_netflow9_test_cisco_asa_1_tpl.dat'];
  for (const f of samples) {
    test(`${f} truncated at every length`, () => {
      const full = load(f);
      const { d: ref, records: all } = decoder();
      ref.decode(full, 'x');
      for (let n = 0; n < full.length; n++) {
        const { d, records } = decoder();
        d.decode(full.subarray(0, n), 'x');
        assert.ok(records.length <= all.length);
        if (n < 16) assert.ok(d.anomalies.total > 0, `anomaly at ${n} bytes`);
      }
    });
  }

  test('a truncated IPFIX message is reported with its datagram number', () => {
    const { d } = decoder();
    d.file = 'x.dat';
    d.decode(YAF_TPL, 'a');
    d.decode(YAF_DATA.subarray(0, YAF_DATA.length - 10), 'a');
    const a = d.anomalies.list().find((x) => x.kind === 'netflow.truncated');
    assert.ok(a);
    assert.equal(a.where, 'x.dat:datagram 2');
  });

  test('unknown versions and short datagrams are anomalies', () => {
    const { d } = decoder();
    d.decode(Buffer.from([0, 7, 0, 0, 1, 2, 3, 4]), 'a');
    d.decode(Buffer.from([0, 9]), 'a');
    assert.deepEqual(d.anomalies.list().map((a) => a.kind).sort(), ['netflow.truncated', 'netflow.version']);
  });

  test('templates with zero-length records or reserved ids are refused', () => {
    const { d } = decoder();
    d.decode(ipfix(YAF_TPL, [set(2, u16s(400, 1, 8, 0))]), 'a');
    d.decode(ipfix(YAF_TPL, [set(2, u16s(17, 1, 8, 4))]), 'a');
    assert.equal(d.cache.size, 0);
    assert.equal(d.anomalies.total, 2);
  });
});

describe('sniffing', () => {
  test('every raw payload file is recognised, from its first bytes', () => {
    for (const f of ['logstash_ipfix.dat', 'logstash_netflow5.dat', 'logstash_netflow9_test_valid01.dat', 'logstash_ipfix_test_yaf_data45841.dat']) {
      assert.ok(sniff(load(f).subarray(0, 64)), f);
      assert.ok(looksLikeExport(load(f)), f);
    }
  });

  test('other files are not', () => {
    assert.equal(sniff(Buffer.from('#separator \\x09\n#fields\tts\n')), false);
    assert.equal(sniff(readFileSync(join(CORPUS, 'lab', 'lab_hospital.pcap')).subarray(0, 256)), false);
    assert.equal(sniff(Buffer.alloc(64)), false);
  });

  test('export pcaps are told from other pcaps', () => {
    assert.ok(sniffExportPcap(load('pmacct_101-NFv9-CISCO.pcap').subarray(0, 4096)));
    assert.ok(sniffExportPcap(readFileSync(join(CORPUS, 'lab', 'lab_hospital_flow-export.pcap')).subarray(0, 4096)));
    assert.equal(sniffExportPcap(readFileSync(join(CORPUS, 'lab', 'lab_hospital.pcap')).subarray(0, 4096)), false);
  });
});
