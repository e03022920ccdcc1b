/**
 * Export captures that are not what they seem at first sight (issue #3):
 * ndpi_netflow-fritz.pcap holds one valid IPFIX datagram with templates
 * only, so zero flow records is right and discover says why; export
 * datagrams that arrive in IP fragments (IPv4 and IPv6) decode to the same
 * records as whole ones, and as tshark reads them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dstAddress, readNetflow, srcAddress, type FlowRecord } from '../../src/sources/netflow/index.ts';
import { fragmentPcap } from '../capture/fraggen.ts';
import { readPcap, writePcap } from '../capture/pcapgen.ts';
import { wardline } from '../helpers/cli.ts';
import { corpusFile } from '../helpers/corpus.ts';
import { tsharkFlows } from './tshark.ts';

const FRITZ = corpusFile('netflow', 'ndpi_netflow-fritz.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'wl-flows-frag-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tsharkCflow(file: string, port: number, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-d', `udp.port==${port},cflow`, '-T', 'fields', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length).map((l) => l.split('\t'));
}

function tuples(records: FlowRecord[]): string[] {
  return records.filter((r) => r.family !== 0)
    .map((r) => `${srcAddress(r)} ${dstAddress(r)} ${r.srcPort} ${r.dstPort} ${r.protocol} ${r.bytes} ${r.packets}`).sort();
}

describe('ndpi_netflow-fritz.pcap: IPFIX templates and nothing else', () => {
  test('tshark finds one IPFIX datagram whose sets are all template sets', () => {
    const [row, ...rest] = tsharkCflow(FRITZ, 2055, ['cflow.version', 'cflow.flowset_id', 'cflow.template_id']);
    assert.equal(rest.length, 0, 'one export datagram');
    const [version, setIds, templateIds] = row;
    assert.equal(version, '10');
    // Set id 2 is a template set, 3 an options template set (here with two); data sets have ids of 256 and up.
    assert.deepEqual(setIds.split(',').map(Number).sort(), [2, 3]);
    assert.deepEqual(templateIds.split(',').map(Number).sort(), [461, 466, 467]);
  });

  test('we read the same: three templates, no records, no anomaly, and a warning that says why', async () => {
    const r = await readNetflow(FRITZ, { keepRecords: true });
    assert.equal(r.inputs[0].format, 'netflow-pcap');
    assert.equal(r.inputs[0].packets, 1);
    assert.equal(r.records!.length, 0);
    assert.deepEqual(r.anomalies, []);
    assert.deepEqual(r.inputs[0].warnings, ['1 export datagram held only templates (3 defined) and no flow records: no flows from this input']);
  });

  test('wardline discover says so on stderr and in --json', () => {
    const text = wardline(['discover', FRITZ, '--no-store']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /held only templates \(3 defined\) and no flow records/);
    assert.match(text.stderr, /netflow-pcap, 1 packets/);
    const json = wardline(['discover', FRITZ, '--no-store', '--json', '--quiet']);
    const out = JSON.parse(json.stdout) as { edges: unknown[]; inputs: Array<{ records: number; warnings: string[] }> };
    assert.deepEqual(out.edges, []);
    assert.equal(out.inputs[0].records, 0);
    assert.match(out.inputs[0].warnings.join('\n'), /only templates/);
  });
});

describe('export datagrams in IP fragments', () => {
  const cases = [
    { file: 'pmacct_101-NFv9-CISCO.pcap', port: 9991, family: 'IPv4' },
    { file: 'pmacct_104-IPFIXv10-IPv6-CISCO.pcap', port: 9992, family: 'IPv6' },
  ];
  for (const c of cases) {
    test(`${c.file} (${c.family}), every datagram fragmented and shuffled: the same records, as tshark reads them`, async () => {
      const whole = corpusFile('netflow', c.file);
      const p = readPcap(whole);
      // 16 payload bytes a fragment: even the smallest export datagram is split.
      const { pcap, fragmented } = fragmentPcap(p, { size: 16, order: 'shuffle', seed: 5 });
      assert.equal(fragmented, p.records.length, 'every export datagram was split');
      const split = join(tmp, c.file);
      writePcap(split, pcap);
      const a = await readNetflow(whole, { keepRecords: true });
      const b = await readNetflow(split, { keepRecords: true });
      assert.ok(a.records!.length > 0);
      assert.deepEqual(tuples(b.records!), tuples(a.records!));
      assert.deepEqual(b.anomalies, []);
      assert.equal(b.inputs[0].packets, p.records.length, 'one export datagram per rebuilt datagram');
      // tshark reassembles the fragments and finds the same flows.
      const theirs = tsharkFlows(split, [c.port]).filter((f) => f.src !== undefined)
        .map((f) => `${f.src} ${f.dst} ${f.sport} ${f.dport} ${f.proto}`).sort();
      assert.deepEqual(tuples(b.records!).map((t) => t.split(' ').slice(0, 5).join(' ')), theirs);
      // discover recognises the capture as export traffic although its first datagram comes in pieces.
      const out = JSON.parse(wardline(['discover', split, '--no-store', '--json', '--quiet']).stdout) as { inputs: Array<{ format: string; records: number }> };
      assert.deepEqual(out.inputs.map((i) => [i.format, i.records]), [['netflow-pcap', a.records!.length]]);
    });
  }

  test('a datagram whose last fragment is missing is reported at the end of the capture, and the rest decode', async () => {
    const whole = corpusFile('netflow', 'pmacct_101-NFv9-CISCO.pcap');
    const p = readPcap(whole);
    const { pcap } = fragmentPcap(p, { size: 64 });
    // Without the last fragment of the last datagram.
    const cut = { ...pcap, records: pcap.records.slice(0, -1) };
    const f = join(tmp, 'cut.pcap');
    writePcap(f, cut);
    const r = await readNetflow(f, { keepRecords: true });
    assert.equal(r.inputs[0].packets, p.records.length - 1);
    const timeout = r.anomalies.find((a) => a.kind === 'ip-fragment-timeout');
    assert.ok(timeout, 'the incomplete datagram is reported');
    assert.equal(timeout.count, 1);
    assert.equal(timeout.where, `cut.pcap:frame ${cut.records.length}`);
  });
});
