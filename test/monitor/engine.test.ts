/** The engine in-process over a real SQLite store: alert lifecycle, redelivered batches, rate limiting, planned vs unplanned new flows. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { savePlan } from '../../src/analyses/change/plan.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { decodeBatch, encodeBatch } from '../../src/monitor/scale/batch.ts';
import { openModel } from '../../src/model/open.ts';
import type { FlowEdge } from '../../src/observations/types.ts';
import type { SiemEvent, Sink } from '../../src/outputs/siem/event.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-engine-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const { model } = openModel(join(REPO, 'examples', 'hospital'));

function edge(src: string, dst: string, dport: number, protocol: FlowEdge['protocol'] = 'dicom', extra: Partial<FlowEdge> = {}): FlowEdge {
  return {
    src, dst, transport: 'tcp', dport, protocol, protocolFrom: 'port', bytes: 1000, packets: 10, sessions: 1, firstSeen: 1, lastSeen: 2,
    encrypted: false, phi: protocol === 'dicom' || protocol === 'hl7', facts: {}, sources: ['test'], ...extra,
  };
}

class MemorySink implements Sink {
  readonly name = 'memory';
  readonly stats = { sent: 0, failed: 0, dropped: 0, queued: 0 };
  readonly got: SiemEvent[] = [];
  send(ev: SiemEvent): void { this.got.push(ev); this.stats.sent++; }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

// DMZ kiosk -> PACS on 104: no conduit, PHI exposed (the sample hospital's planted problem).
const BAD = () => edge('172.16.10.30', '10.20.20.10', 104);

test('alert lifecycle: open once, active while seen, resolved when unseen, re-opened as a new episode', async () => {
  const db = await openStore(join(TMP, 'life.db'));
  const sink = new MemorySink();
  const eng = new MonitorEngine({ db, model, sinks: [sink], resolveAfterMs: 3000, learnFirstWindow: false });
  const t0 = 1_800_000_000_000;
  eng.window.add([BAD()], []);
  const w1 = await eng.evaluateWindow(t0);
  const opened = w1.events.filter((e) => e.kind === 'alert.open' && e.rule === 'check.no-conduit');
  assert.equal(opened.length, 1);
  eng.window.add([BAD()], []);
  const w2 = await eng.evaluateWindow(t0 + 1000);
  assert.equal(w2.events.filter((e) => e.rule.startsWith('check.')).length, 0, 'still active: no new event');
  const w3 = await eng.evaluateWindow(t0 + 6000);
  const resolved = w3.events.filter((e) => e.kind === 'alert.resolved');
  assert.ok(resolved.some((e) => e.rule === 'check.no-conduit'));
  eng.window.add([BAD()], []);
  const w4 = await eng.evaluateWindow(t0 + 7000);
  const again = w4.events.filter((e) => e.kind === 'alert.open' && e.rule === 'check.no-conduit');
  assert.equal(again.length, 1);
  assert.notEqual(again[0].id, opened[0].id, 'a new episode has a new idempotency key');
  const rows = await db.all<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE kind LIKE 'alert.%'");
  assert.equal(Number(rows[0].n), sink.got.length, 'every forwarded event was stored');
  await db.close();
});

test('a redelivered batch commits nothing twice', async () => {
  const db = await openStore(join(TMP, 'batch.db'));
  const eng = new MonitorEngine({ db, model, learnFirstWindow: false });
  const data = encodeBatch('south', '1', 7, 3, [BAD(), edge('10.40.0.5', '10.20.20.10', 104)], []);
  const a = decodeBatch(data);
  const r1 = await eng.processBatch(a.edges, a.hosts, { id: 'south:1:7', site: 'south', seq: 7, records: 3 });
  const b = decodeBatch(data);
  const r2 = await eng.processBatch(b.edges, b.hosts, { id: 'south:1:7', site: 'south', seq: 7, records: 3 });
  assert.equal(r1.fresh, true);
  assert.ok(r1.events.length > 0);
  assert.equal(r2.fresh, false);
  assert.equal(r2.events.length, 0);
  const [tot] = await db.all<{ b: number }>("SELECT SUM(bytes) AS b FROM monitor_edges WHERE site = 'south'");
  assert.equal(Number(tot.b), 2000);
  assert.throws(() => decodeBatch(Buffer.from('{"v":1,"site":"../x","sensor":"1","seq":1,"edges":[],"hosts":[]}')), /bad site/);
  assert.throws(() => decodeBatch(Buffer.from('not json')));
  await db.close();
});

test('rate limiting: a burst of one rule is stored in full, forwarded up to the burst, with one summary', async () => {
  const db = await openStore(join(TMP, 'rate.db'));
  const sink = new MemorySink();
  const eng = new MonitorEngine({ db, model, sinks: [sink], learnFirstWindow: false, rateLimit: { burst: 5, perMinute: 1 } });
  const many = Array.from({ length: 40 }, (_, i) => edge(`172.16.10.${100 + i}`, '10.20.20.10', 104));
  eng.window.add(many, []);
  const r = await eng.evaluateWindow(1_800_000_000_000);
  const noConduit = r.events.filter((e) => e.rule === 'check.no-conduit');
  assert.equal(noConduit.length, 40, 'all stored');
  assert.equal(sink.got.filter((e) => e.rule === 'check.no-conduit' && e.kind === 'alert.open').length, 5, 'forwarded up to the burst');
  const summary = sink.got.find((e) => e.kind === 'alert.suppressed' && e.rule === 'check.no-conduit');
  assert.ok(summary && summary.evidence.count === 35);
  assert.ok(eng.metrics.eventsSuppressed >= 35);
  await db.close();
});

test('new flows: unplanned ones alert as drift, ones inside an approved change window do not', async () => {
  const db = await openStore(join(TMP, 'drift.db'));
  const now = Date.UTC(2026, 11, 1, 23, 0);
  await savePlan(db, { ticket: 'CHG-1', createdAt: now - 1000, windowStart: now - 3600_000, windowEnd: now + 3600_000, scope: { cidrs: ['10.20.20.0/24'], assets: [], files: [] } });
  const eng = new MonitorEngine({ db, model });
  // First window over an empty store: the baseline, nothing "new" alerts.
  eng.window.add([edge('10.10.10.21', '10.20.20.10', 104)], []);
  const base = await eng.evaluateWindow(now);
  assert.equal(base.events.filter((e) => e.rule.startsWith('drift.') || e.rule.startsWith('monitor.new')).length, 0);
  eng.window.add([edge('10.10.10.21', '10.20.20.11', 11112), edge('10.10.10.21', '10.30.10.10', 2575, 'hl7')], []);
  const r = await eng.evaluateWindow(now + 1000);
  const drift = r.events.filter((e) => e.rule === 'drift.unplanned.flow');
  assert.deepEqual(drift.map((e) => e.subject), ['10.10.10.21>10.30.10.10/tcp/2575/hl7'], 'only the flow outside the change scope');
  await db.close();
});
