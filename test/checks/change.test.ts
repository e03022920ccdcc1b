import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { loadBaseline, saveBaseline } from '../../src/analyses/drift/baseline-store.ts';
import { collectSnapshot } from '../../src/analyses/drift/collect.ts';
import { classifyDrift, diffSnapshots, driftFindings, type ClassifiedDrift } from '../../src/analyses/drift/drift.ts';
import { listPlans, parseWindow, savePlan } from '../../src/analyses/change/plan.ts';
import { Output } from '../../src/cli/output.ts';
import { command as baselineCmd } from '../../src/cli/commands/baseline.ts';
import { command as driftCmd } from '../../src/cli/commands/drift.ts';
import { command as changeCmd } from '../../src/cli/commands/change.ts';
import type { Command } from '../../src/cli/command.ts';
import { saveObservations } from '../../src/observations/persist.ts';
import type { FlowEdge } from '../../src/observations/types.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';

const FIX = join(REPO, 'test', 'fixtures', 'audit');
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 8, 0);
const T1 = T0 + 24 * H;  // inside the approved window
const T2 = T0 + 48 * H;  // outside every window

function edge(src: string, dst: string, calling: string, called: string, firstSeen: number): FlowEdge {
  return {
    src, dst, transport: 'tcp', dport: 104, protocol: 'dicom', protocolFrom: 'content', bytes: 1000, packets: 10, sessions: 1,
    firstSeen, lastSeen: firstSeen + 1000, encrypted: false, phi: true, sources: ['pcap'],
    facts: { dicom: { aePairs: [{ calling, called, outcome: 'accepted', count: 1 }], sopClasses: [], commands: { 'C-STORE': 1 }, moveDestinations: [], implementationClassUids: [], implementationVersions: [] } },
  };
}

async function observe(db: Db, edges: FlowEdge[]): Promise<void> {
  await saveObservations(db, { edges, hosts: [], anomalies: [], inputs: [] });
}

function setMtime(path: string, t: number): void {
  utimesSync(path, t / 1000, t / 1000);
}

/** The scenario on one store: baseline, then one planned and several unplanned changes. */
async function scenario(db: Db, dir: string): Promise<ClassifiedDrift[]> {
  const orthanc = join(dir, 'orthanc.json');
  const nginx = join(dir, 'portal.conf');
  copyFileSync(join(FIX, 'orthanc.hardened.pass.json'), orthanc);
  copyFileSync(join(FIX, 'nginx.weak-tls-protocols.pass.conf'), nginx);
  setMtime(orthanc, T0);
  setMtime(nginx, T0);
  await observe(db, [edge('10.20.1.15', '10.20.3.10', 'CT1', 'PACS', T0)]);
  const configs = [`pacs=${orthanc}`, nginx];
  const base = await collectSnapshot(db, { configs, observations: true });
  await saveBaseline(db, 'go-live', { configs, observations: true }, base.items, { now: T0 });

  // Planned: CHG-1 lets the PACS config change on day 2; CHG-2 lets the CT subnet add a scanner.
  await savePlan(db, { ticket: 'CHG-1', createdAt: T0, windowStart: T1 - H, windowEnd: T1 + H, scope: { assets: ['pacs'], cidrs: [], files: [] } });
  await savePlan(db, { ticket: 'CHG-2', createdAt: T0, windowStart: T1 - H, windowEnd: T1 + H, scope: { assets: [], cidrs: ['10.20.1.0/24'], files: [] } });
  writeFileSync(orthanc, readFileSync(orthanc, 'utf8').replace('"DicomAlwaysAllowStore": false', '"DicomAlwaysAllowStore": true'));
  setMtime(orthanc, T1);
  await observe(db, [edge('10.20.1.16', '10.20.3.10', 'CT2', 'PACS', T1)]);
  // Unplanned: TLS 1.0 on the portal, and a rogue AE from elsewhere, both on day 3.
  writeFileSync(nginx, readFileSync(nginx, 'utf8').replace('ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_protocols TLSv1 TLSv1.2 TLSv1.3;'));
  setMtime(nginx, T2);
  await observe(db, [edge('10.66.6.6', '10.20.3.10', 'ROGUE', 'PACS', T2)]);

  const baseline = await loadBaseline(db);
  assert.equal(baseline.name, 'go-live');
  const cur = await collectSnapshot(db, { configs: baseline.sources.configs, observations: true });
  return classifyDrift(diffSnapshots(baseline.items, cur.items, { kinds: cur.kinds, now: T2 }), await listPlans(db), { now: T2 });
}

function summary(items: ClassifiedDrift[]): string[] {
  return items.map((d) => `${d.classification} ${d.kind} ${d.change} ${d.key}${d.ticket ? ` ${d.ticket}` : ''}`).sort();
}

const EXPECTED = [
  'planned ae-pair added CT2->PACS CHG-2',
  'planned config changed DicomAlwaysAllowStore CHG-1',
  'planned flow added seen CHG-2',
  'unplanned ae-pair added ROGUE->PACS',
  'unplanned config changed http > server portal.example.org:443 ssl > ssl_protocols',
  'unplanned flow added seen',
];

let dir: string;
let pg: PostgresHandle | undefined;

before(() => { dir = mkdtempSync(join(tmpdir(), 'wl-checks-cc-')); });
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('drift on SQLite: setting by setting, new flows and AE pairs, planned vs unplanned', async () => {
  const db = await openStore(join(dir, 'a.db'));
  try {
    const items = await scenario(db, join(dir));
    assert.deepEqual(summary(items), EXPECTED);
    const cfg = items.find((d) => d.key === 'DicomAlwaysAllowStore')!;
    assert.equal(cfg.before, 'false');
    assert.equal(cfg.after, 'true');
    assert.equal(cfg.asset, 'pacs');
    const f = driftFindings(items);
    assert.deepEqual(f.map((x) => x.rule).sort(), ['drift.unplanned.ae-pair', 'drift.unplanned.config', 'drift.unplanned.flow']);
    assert.ok(f.every((x) => x.source === 'drift' && x.severity === 'medium'));
  } finally {
    await db.close();
  }
});

test('drift on PostgreSQL gives the same answer', async () => {
  pg = await startPostgres();
  const db = await openStore(pg.url);
  try {
    const sub = join(dir, 'pg');
    (await import('node:fs')).mkdirSync(sub);
    assert.deepEqual(summary(await scenario(db, sub)), EXPECTED);
  } finally {
    await db.close();
  }
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void { this.text += chunk.toString(); cb(); }
}

async function run(cmd: Command, args: string[], opts: Record<string, string | boolean | string[] | undefined>): Promise<{ code: number; stdout: string }> {
  const stdout = new Capture();
  const out = new Output({ json: true, quiet: true, stdout, stderr: new Capture() });
  const code = await cmd.run!({ args, opts: { json: true, ...opts }, out });
  return { code, stdout: stdout.text };
}

test('the verbs: baseline, change plan/list, drift with --fail-on', async () => {
  const sub = mkdtempSync(join(dir, 'cli-'));
  const db = join(sub, 's.db');
  const cfg = join(sub, 'orthanc.json');
  copyFileSync(join(FIX, 'orthanc.hardened.pass.json'), cfg);
  const b = await run(baselineCmd, [], { db, name: 'b1', configs: [cfg], 'no-flows': true });
  assert.equal(b.code, 0);
  assert.equal(JSON.parse(b.stdout).name, 'b1');
  await assert.rejects(run(baselineCmd, [], { db, name: 'b1', configs: [cfg] }), /exists/);
  const p = await run(changeCmd.subcommands![0], [], { db, ticket: 'CHG-9', scope: [cfg], window: `${new Date(Date.now() - H).toISOString()}/2h` });
  assert.equal(JSON.parse(p.stdout).ticket, 'CHG-9');
  assert.equal(JSON.parse((await run(changeCmd.subcommands![1], [], { db })).stdout).length, 1);
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"ExecuteLuaEnabled": false', '"ExecuteLuaEnabled": true'));
  const d = await run(driftCmd, [], { db, 'fail-on': 'medium' });
  const j = JSON.parse(d.stdout) as { drift: ClassifiedDrift[] };
  assert.deepEqual(j.drift.map((x) => [x.key, x.classification, x.ticket]), [['ExecuteLuaEnabled', 'planned', 'CHG-9']]);
  assert.equal(d.code, 0, 'planned drift does not fail the gate');
  // Same change with no approved window: unplanned, exit 1.
  const db2 = join(sub, 't.db');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"ExecuteLuaEnabled": true', '"ExecuteLuaEnabled": false'));
  await run(baselineCmd, [], { db: db2, name: 'b2', configs: [cfg], 'no-flows': true });
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"ExecuteLuaEnabled": false', '"ExecuteLuaEnabled": true'));
  const d2 = await run(driftCmd, [], { db: db2, 'fail-on': 'medium' });
  assert.equal(d2.code, 1);
  assert.deepEqual((JSON.parse(d2.stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule), ['drift.unplanned.config']);
});

test('window parsing', () => {
  assert.deepEqual(parseWindow('2026-12-01T22:00Z/4h'), { start: Date.UTC(2026, 11, 1, 22), end: Date.UTC(2026, 11, 2, 2) });
  assert.deepEqual(parseWindow('2026-12-01T22:00/2026-12-02T01:30'), { start: Date.UTC(2026, 11, 1, 22), end: Date.UTC(2026, 11, 2, 1, 30) });
  assert.throws(() => parseWindow('yesterday/4h'), /not an ISO date-time/);
  assert.throws(() => parseWindow('2026-12-01T22:00Z/2026-12-01T21:00Z'), /ends before it starts/);
});

test('probe results in a baseline: a service that newly answers is unplanned drift of high severity', async () => {
  const { createServer } = await import('node:net');
  const { runProbe } = await import('../../src/checks/probe/run.ts');
  const sub = mkdtempSync(join(dir, 'probe-'));
  const db = await openStore(join(sub, 's.db'));
  const conns = new Set<import('node:net').Socket>();
  const srv = createServer((s) => { conns.add(s); s.on('error', () => {}); s.end('HTTP/1.0 400 Bad Request\r\n\r\n'); });
  try {
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const opts = { scope: ['127.0.0.1/32'], intrusive: false, ports: [{ protocol: 'dicom' as const, port }], onlyPorts: true, rate: 100, concurrency: 1, timeoutMs: 1000 };
    // Before: nothing listens (the server is paused), after: something answers on a DICOM port.
    await new Promise<void>((r) => srv.close(() => r()));
    const before = join(sub, 'before.json');
    writeFileSync(before, JSON.stringify(await runProbe(['127.0.0.1'], opts)));
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    const afterFile = join(sub, 'after.json');
    writeFileSync(afterFile, JSON.stringify(await runProbe(['127.0.0.1'], opts)));
    const base = await collectSnapshot(db, { configs: [], probeResults: before, observations: false });
    await saveBaseline(db, 'p1', { configs: [], probeResults: before, observations: false }, base.items);
    const cur = await collectSnapshot(db, { configs: [], probeResults: afterFile, observations: false });
    const items = classifyDrift(diffSnapshots((await loadBaseline(db, 'p1')).items, cur.items, { kinds: cur.kinds }), []);
    assert.deepEqual(items.map((d) => [d.kind, d.subject, d.key, d.change, d.after]), [['probe', `127.0.0.1:${port}/dicom`, 'status', 'added', 'not-dicom']]);
    const f = driftFindings(items);
    assert.equal(f[0].severity, 'high');
  } finally {
    for (const c of conns) c.destroy();
    srv.close();
    await db.close();
  }
});
