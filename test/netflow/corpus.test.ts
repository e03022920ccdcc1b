/**
 * Every NetFlow/IPFIX file of the shared corpus decodes, and decodes to the
 * same records tshark's CFLOW dissector finds in the same bytes: the raw
 * payload files are wrapped into a pcap for tshark, the pcaps are read as is.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dstAddress, readNetflow, readNetflowFiles, srcAddress, type FlowRecord } from '../../src/sources/netflow/index.ts';
import { CORPUS } from '../helpers/corpus.ts';
import { udpPcap } from './pcap-writer.ts';
import { tsharkFlows, type TsharkFlow } from './tshark.ts';

const DIR = join(CORPUS, 'netflow');
const tmp = mkdtempSync(join(tmpdir(), 'wl-flows-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Template and data payloads of one exporter, in export order (PROVENANCE.md pairs them by name). */
const GROUPS: string[][] = [
  ['logstash_ipfix.dat'],
  ['logstash_ipfix_test_mikrotik_tpl.dat', 'logstash_ipfix_test_mikrotik_data258.dat'],
  ['logstash_ipfix_test_netscaler_tpl.dat', 'logstash_ipfix_test_netscaler_data.dat'],
  ['logstash_ipfix_test_yaf_tpl45841.dat', 'logstash_ipfix_test_yaf_data45841.dat'],
  ['logstash_netflow5_test_microtik.dat'],
  ['logstash_netflow9_test_cisco_asa_1_tpl.dat', 'logstash_netflow9_test_cisco_asa_1_data.dat'],
  ['logstash_netflow9_test_fortigate_fortios_521_tpl.dat', 'logstash_netflow9_test_fortigate_fortios_521_data256.dat'],
  ['logstash_netflow9_test_softflowd_tpl_data.dat'],
  ['logstash_netflow9_test_valid01.dat'],
];

function tuple(src?: string, dst?: string, sport?: number, dport?: number, proto?: number): string {
  return `${src} ${dst} ${sport} ${dport} ${proto}`;
}

function mine(records: FlowRecord[]): string[] {
  return records.filter((r) => r.family !== 0).map((r) => tuple(srcAddress(r), dstAddress(r), r.srcPort, r.dstPort, r.protocol)).sort();
}

function theirs(flows: TsharkFlow[]): string[] {
  return flows.filter((f) => f.src !== undefined).map((f) => tuple(f.src, f.dst, f.sport, f.dport, f.proto)).sort();
}

/** Byte and packet counts per tuple, where tshark decoded the standard counters. */
function assertCounters(records: FlowRecord[], flows: TsharkFlow[]): void {
  const want = flows.filter((f) => f.src !== undefined && f.bytes !== undefined && f.packets !== undefined)
    .map((f) => `${tuple(f.src, f.dst, f.sport, f.dport, f.proto)} ${f.bytes} ${f.packets}`).sort();
  const keys = new Set(want.map((w) => w.split(' ').slice(0, 5).join(' ')));
  const got = records.filter((r) => r.family !== 0)
    .map((r) => `${tuple(srcAddress(r), dstAddress(r), r.srcPort, r.dstPort, r.protocol)} ${r.bytes} ${r.packets}`)
    .filter((g) => keys.has(g.split(' ').slice(0, 5).join(' '))).sort();
  assert.deepEqual(got, want);
}

/**
 * A payload file may hold several IPFIX messages or v5 datagrams back to back
 * (their headers give the length); tshark reads one per UDP datagram.
 */
function messages(b: Buffer): Buffer[] {
  const version = b.readUInt16BE(0);
  if (version !== 10 && version !== 5) return [b];
  const out: Buffer[] = [];
  for (let off = 0; off + 4 <= b.length;) {
    const len = version === 10 ? b.readUInt16BE(off + 2) : 24 + b.readUInt16BE(off + 2) * 48;
    if (len <= 0) break;
    out.push(b.subarray(off, Math.min(b.length, off + len)));
    off += len;
  }
  return out;
}

describe('corpus payload files against tshark', () => {
  for (const group of GROUPS) {
    test(group.join(' + '), async () => {
      const r = await readNetflowFiles(group.map((f) => join(DIR, f)), { keepRecords: true });
      const pcap = join(tmp, `${group[0]}.pcap`);
      const payloads = group.flatMap((f) => messages(readFileSync(join(DIR, f))));
      writeFileSync(pcap, udpPcap(payloads.map((payload) => ({ src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 2055, payload }))));
      const flows = tsharkFlows(pcap, [2055]);
      const optionsRecords = flows.filter((f) => f.src === undefined).length;
      assert.ok(r.records!.length > 0 || optionsRecords > 0, 'something decodes');
      assert.deepEqual(mine(r.records!), theirs(flows));
      assertCounters(r.records!, flows);
      // Reading the same bytes as an export pcap gives the same records.
      const viaPcap = await readNetflow(pcap, { keepRecords: true });
      assert.deepEqual(mine(viaPcap.records!), mine(r.records!));
      assert.equal(viaPcap.inputs[0].format, 'netflow-pcap');
    });
  }
});

describe('corpus export pcaps against tshark', () => {
  const pcaps = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();
  test('there are export pcaps', () => assert.ok(pcaps.length >= 8));
  for (const f of pcaps) {
    test(f, async () => {
      const r = await readNetflow(join(DIR, f), { keepRecords: true });
      const flows = tsharkFlows(join(DIR, f), [2055, 9991, 9992, 9995, 4739]);
      assert.equal(r.inputs[0].format, 'netflow-pcap');
      assert.deepEqual(mine(r.records!), theirs(flows));
      assertCounters(r.records!, flows);
      assert.deepEqual(r.anomalies, []);
    });
  }
});

describe('corpus files that are broken on purpose or need their template', () => {
  test('NetFlow v5 with a header count of 55582: partial records and an anomaly with its location', async () => {
    const r = await readNetflow(join(DIR, 'logstash_netflow5_test_invalid01.dat'), { keepRecords: true });
    const a = r.anomalies.find((x) => x.kind === 'netflow.v5-count');
    assert.ok(a, 'count mismatch reported');
    assert.match(a.where ?? '', /logstash_netflow5_test_invalid01\.dat:datagram 1/);
    const size = readFileSync(join(DIR, 'logstash_netflow5_test_invalid01.dat')).length;
    assert.equal(r.records!.length, Math.floor((size - 24) / 48));
  });

  test('NetFlow v5 file of concatenated datagrams: the first announces 2 records (PROVENANCE), all decode', async () => {
    const bytes = readFileSync(join(DIR, 'logstash_netflow5.dat'));
    const r = await readNetflow(join(DIR, 'logstash_netflow5.dat'), { keepRecords: true });
    assert.deepEqual(r.anomalies, []);
    assert.equal(bytes.readUInt16BE(2), 2);
    let total = 0;
    for (let off = 0; off < bytes.length; off += 24 + bytes.readUInt16BE(off + 2) * 48) total += bytes.readUInt16BE(off + 2);
    assert.equal(r.records!.length, total);
    assert.ok(r.inputs[0].packets! > 1);
  });

  test('invalid NetFlow v9 sample decodes what is valid without throwing', async () => {
    const r = await readNetflow(join(DIR, 'logstash_netflow9_test_invalid01.dat'), { keepRecords: true });
    assert.equal(r.inputs[0].format, 'netflow');
    assert.ok(r.inputs[0].packets === 1);
  });

  test('data files alone: no template yet, an anomaly naming the file and datagram, no records', async () => {
    for (const f of ['logstash_ipfix_test_mikrotik_data258.dat', 'logstash_netflow9_test_cisco_asa_1_data.dat']) {
      const r = await readNetflow(join(DIR, f), { keepRecords: true });
      assert.equal(r.records!.length, 0);
      const a = r.anomalies.find((x) => x.kind === 'netflow.no-template');
      assert.ok(a);
      assert.equal(a.where, `${f}:datagram 1`);
    }
  });

  test('NetScaler data set 280 has no template in the template file and is reported', async () => {
    const r = await readNetflowFiles(['logstash_ipfix_test_netscaler_tpl.dat', 'logstash_ipfix_test_netscaler_data.dat'].map((f) => join(DIR, f)), { keepRecords: true });
    assert.ok(r.anomalies.some((a) => a.kind === 'netflow.no-template' && a.message.includes('data set 280')));
    assert.ok(r.records!.length > 0);
  });
});
