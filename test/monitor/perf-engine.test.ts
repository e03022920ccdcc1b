/**
 * What the engine's fast paths must keep: the edge totals of windows (keys
 * handed over by the window, one multi-row upsert per chunk) and of sensor
 * batches that repeat an edge; the number of distinct findings of a steady
 * window (findings counted by a mark on their slot, alerts the memo would
 * skip never reach the store); an alert resolved while unseen opens again
 * when its edge comes back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { openModel } from '../../src/model/open.ts';
import { runCheck } from '../../src/analyses/check/run.ts';
import { NetflowDecoder } from '../../src/sources/netflow/index.ts';
import type { FlowEdge } from '../../src/observations/types.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';
import { v5Datagrams } from './harness.ts';

const { model } = openModel(join(REPO, 'examples', 'hospital'));
const T0 = 1_800_000_000_000;

function edge(src: string, bytes: number): FlowEdge {
  return {
    src, dst: '10.20.20.10', transport: 'tcp', dport: 104, protocol: 'dicom', protocolFrom: 'port', bytes, packets: 1, sessions: 1, firstSeen: 1.5, lastSeen: 2.5,
    encrypted: false, phi: true, facts: {}, sources: ['test'],
  };
}

test('edge totals: windows of 2,500 flows add up; a batch repeating an edge counts both', async () => {
  const db = await openStore(':memory:');
  const eng = new MonitorEngine({ db, model });
  const dec = new NetflowDecoder({ onRecord: (r) => eng.window.record(r) });
  const datagrams = v5Datagrams(250, 30, 2500, T0);
  for (let w = 0; w < 3; w++) {
    for (const d of datagrams) dec.decode(d, '192.0.2.1');
    const r = await eng.evaluateWindow(T0 + w * 1000);
    assert.equal(r.edges, 2500);
  }
  const [tot] = await db.all<{ n: number; p: number; b: number }>("SELECT COUNT(*) AS n, SUM(packets) AS p, SUM(bytes) AS b FROM monitor_edges WHERE site = ''");
  assert.deepEqual([Number(tot.n), Number(tot.p), Number(tot.b)], [2500, 3 * 250 * 30, 3 * 250 * 30 * 100]);

  const r = await eng.processBatch([edge('10.40.9.1', 1000), edge('10.40.9.1', 500), edge('10.40.9.2', 7)], [], { id: 'south:1:1', site: 'south', seq: 1, records: 3 });
  assert.equal(r.fresh, true);
  const rows = await db.all<{ edge_key: string; bytes: number; packets: number }>("SELECT edge_key, bytes, packets FROM monitor_edges WHERE site = 'south' ORDER BY edge_key");
  assert.deepEqual(rows.map((x) => [x.edge_key, Number(x.bytes), Number(x.packets)]), [
    ['10.40.9.1>10.20.20.10/tcp/104/dicom', 1500, 2],
    ['10.40.9.2>10.20.20.10/tcp/104/dicom', 7, 1],
  ]);
  await db.close();
});

test('a steady window counts each distinct finding once, like the check does, and writes no alert rows', async () => {
  const db = await openStore(':memory:');
  const eng = new MonitorEngine({ db, model, learnFirstWindow: false });
  const edges = () => Array.from({ length: 300 }, (_, i) => edge(`10.40.${i >> 8}.${i & 255}`, 100));
  // What the check itself finds for these edges, less the rules a window leaves to `check`, plus the monitor's cleartext-PHI rule per edge.
  const check = runCheck(model, edges(), { now: T0 }).findings.filter((f) => f.rule !== 'check.conduit-unused' && f.rule !== 'check.conduit-broad');
  const expected = new Set(check.map((f) => f.id)).size;
  // Findings about neither an edge nor one of its addresses (an expired conduit) are not remembered with edges.
  const subjects = new Set(edges().flatMap((e) => [`${e.src}>${e.dst}/${e.transport}/${e.dport}/${e.protocol}`, e.src, e.dst]));
  const unattached = new Set(check.filter((f) => !subjects.has(f.subject)).map((f) => f.id)).size;
  eng.window.add(edges(), []);
  const first = await eng.evaluateWindow(T0);
  assert.ok(first.findings >= expected, `${first.findings} findings, the check alone has ${expected}`);
  const sightings = async () => Number((await db.all<{ s: number }>('SELECT SUM(sightings) AS s FROM monitor_alerts'))[0].s);
  const before = await sightings();
  for (let w = 1; w <= 3; w++) {
    eng.window.add(edges(), []);
    const r = await eng.evaluateWindow(T0 + w * 1000);
    // Edges evaluated before reuse their findings: the same distinct count, window after window.
    assert.equal(r.findings, first.findings - unattached, `window ${w}`);
    assert.equal(r.events.length, 0);
  }
  assert.equal(await sightings(), before, 'alerts touched within the touch interval are not written again');
  await db.close();
});

test('an alert resolved while its edge was away opens again when the edge returns', async () => {
  const db = await openStore(':memory:');
  const eng = new MonitorEngine({ db, model, learnFirstWindow: false, resolveAfterMs: 3000 });
  const bad = () => edge('172.16.10.30', 100);
  eng.window.add([bad()], []);
  const w1 = await eng.evaluateWindow(T0);
  const opened = w1.events.filter((e) => e.kind === 'alert.open' && e.rule === 'check.no-conduit');
  assert.equal(opened.length, 1);
  eng.window.add([bad()], []);
  assert.equal((await eng.evaluateWindow(T0 + 500)).events.length, 0, 'seen again within the touch interval: nothing');
  const w3 = await eng.evaluateWindow(T0 + 4000);
  assert.ok(w3.events.some((e) => e.kind === 'alert.resolved' && e.rule === 'check.no-conduit'));
  // Resolved since its last sighting: the engine's copy of the alert memo must not hide it.
  eng.window.add([bad()], []);
  const w4 = await eng.evaluateWindow(T0 + 4200);
  assert.equal(w4.events.filter((e) => e.kind === 'alert.open' && e.rule === 'check.no-conduit').length, 1);
  await db.close();
});
