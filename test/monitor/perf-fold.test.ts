/**
 * The monitor's window keeps the flow folder's lookup state from one window
 * to the next (a performance measure); what each window reports must be
 * exactly what a fresh folder reports for the same records. Checked on real
 * exports (softflowd's IPFIX of the sample hospital, the lab capture's
 * export) and on v5 with flows that come, go and come back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { EdgeWindow } from '../../src/monitor/window.ts';
import { FlowFolder, NetflowDecoder, TemplateCache, createConnSample, dstAddress, foldRecord, srcAddress } from '../../src/sources/netflow/index.ts';
import { edgeKey, type FlowEdge, type HostFacts } from '../../src/observations/types.ts';
import { REPO, corpusFile } from '../helpers/corpus.ts';
import { exportDatagrams, v5Datagrams } from './harness.ts';

type Folded = { edges: FlowEdge[]; hosts: HostFacts[] };

/**
 * Each round's datagrams through one long-lived window, through a fresh
 * folder, and through a fresh folder given the addresses as text (IPv4 hosts
 * are otherwise found by number).
 */
function rounds(rs: Buffer[][]): Array<{ window: Folded & { keys?: string[] }; fresh: Folded; text: Folded }> {
  const w = new EdgeWindow();
  const sample = createConnSample();
  let folder = new FlowFolder('netflow');
  let byText = new FlowFolder('netflow');
  const dec = new NetflowDecoder({
    onRecord(r) {
      w.record(r);
      if (r.family === 0) return;
      foldRecord(folder, sample, r);
      byText.add({ ...sample, v4: false, src: srcAddress(r), dst: dstAddress(r) });
    },
  }, { cache: new TemplateCache() });
  const out = [];
  for (const datagrams of rs) {
    folder = new FlowFolder('netflow');
    byText = new FlowFolder('netflow');
    for (const d of datagrams) dec.decode(d, '192.0.2.1', 1_800_000_000_000);
    const t = w.take();
    out.push({ window: { edges: t.edges, hosts: t.hosts, keys: t.keys }, fresh: folder.result(), text: byText.result() });
  }
  return out;
}

function same(rs: ReturnType<typeof rounds>): void {
  rs.forEach((r, i) => {
    assert.ok(r.fresh.edges.length > 0 || i > 0, 'the round has edges');
    assert.deepEqual(r.window.edges, r.fresh.edges, `round ${i + 1}: edges`);
    assert.deepEqual(r.text, r.fresh, `round ${i + 1}: addresses as text or as numbers fold alike`);
    assert.deepEqual(r.window.hosts, r.fresh.hosts, `round ${i + 1}: hosts`);
    assert.deepEqual(r.window.keys, r.fresh.edges.map((e) => edgeKey(e)), `round ${i + 1}: the keys handed with the edges are theirs`);
  });
}

test('window rounds over softflowd IPFIX of the sample hospital equal fresh folders', () => {
  const d = exportDatagrams(join(REPO, 'examples', 'hospital', 'captures', 'hospital-netflow.pcap'));
  const third = Math.ceil(d.length / 3);
  // Round 3 repeats round 1: the same flows after a window without some of them.
  const rs = rounds([d.slice(0, third), d.slice(third, 2 * third), d.slice(0, third), d.slice(2 * third), []]);
  same(rs);
  assert.equal(rs[4].window.edges.length, 0, 'an empty window reports nothing left over');
  assert.deepEqual(rs[2].window.edges.map((e) => e.bytes), rs[0].window.edges.map((e) => e.bytes), 'counts start afresh each round');
});

test('window rounds over the lab export equal fresh folders (listening ports, replies folded by port)', () => {
  const d = exportDatagrams(corpusFile('lab', 'lab_hospital_flow-export.pcap'));
  const half = Math.ceil(d.length / 2);
  const rs = rounds([d.slice(0, half), d.slice(half), d, d.slice(half)]);
  same(rs);
  assert.ok(rs[2].window.hosts.some((h) => h.listeningPorts.length > 0), 'answered services become listening ports');
});

test('v5 flows that come, go and come back: each round equals a fresh folder', () => {
  const start = 1_800_000_000_000;
  const a = v5Datagrams(40, 30, 600, start);
  const b = v5Datagrams(40, 30, 1200, start + 300_000);
  const rs = rounds([a, b, a.slice(0, 5), [...b, ...a]]);
  same(rs);
  assert.equal(rs[1].window.edges.length, 1200);
  assert.equal(rs[2].window.edges.length, 150);
  assert.equal(rs[3].window.edges.reduce((n, e) => n + e.packets, 0), (40 + 40) * 30, 'every record counted once');
});
