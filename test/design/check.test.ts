import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCheck } from '../../src/analyses/check/run.ts';
import { saveFindings } from '../../src/analyses/check/store.ts';
import { openStore } from '../../src/store/open.ts';
import { InputError } from '../../src/core/errors.ts';
import { hospitalEdges, hospitalModel } from './hospital.ts';

const NOW = Date.UTC(2026, 10, 28);

function rulesFor(r: ReturnType<typeof runCheck>, src: string, dst: string): string[] {
  const v = r.verdicts.find((x) => x.edge.startsWith(`${src}>${dst}/`));
  assert.ok(v, `${src}->${dst}`);
  return v.rules;
}

test('every edge gets a verdict naming the conduit or the violated rules', () => {
  const r = runCheck(hospitalModel(), hospitalEdges(), { now: NOW });
  const ct = r.verdicts.find((v) => v.edge.startsWith('10.20.10.11>10.20.20.10/'))!;
  assert.deepEqual([ct.verdict, ct.conduit], ['allowed', 'modalities-to-pacs']);
  assert.deepEqual(rulesFor(r, '10.30.30.10', '198.51.100.20'), ['check.cleartext-phi']);
  assert.deepEqual(rulesFor(r, '10.30.20.10', '172.16.10.30'), ['check.data-minimisation']);
  assert.deepEqual(rulesFor(r, '172.16.10.30', '10.20.20.10'), ['check.no-conduit', 'check.phi-exposed']);
  assert.deepEqual(rulesFor(r, '203.0.113.77', '172.16.10.20'), ['check.no-conduit', 'check.phi-exposed']);
  assert.deepEqual(rulesFor(r, '203.0.113.77', '172.16.10.40'), []);
  assert.deepEqual(rulesFor(r, '172.16.10.40', '10.30.10.10'), ['check.data-minimisation']);
  assert.deepEqual(rulesFor(r, '10.20.10.99', '10.20.20.10'), ['check.identity']);
  assert.deepEqual(rulesFor(r, '10.80.2.66', '10.20.20.5'), ['check.scan']);
});

test('findings carry severity, evidence without PHI, rule and references', () => {
  const r = runCheck(hospitalModel(), hospitalEdges(), { now: NOW });
  const kiosk = r.findings.find((f) => f.rule === 'check.data-minimisation' && f.title.startsWith('kiosk-lobby-01'))!;
  assert.equal(kiosk.severity, 'high');
  assert.deepEqual(kiosk.evidence.excessSegments, ['NK1', 'IN1']);
  assert.deepEqual(kiosk.evidence.excessFields, ['PID-7', 'PID-11', 'NK1-2', 'IN1-36']);
  const clear = r.findings.find((f) => f.rule === 'check.cleartext-phi')!;
  assert.equal(clear.severity, 'critical');
  assert.ok(clear.references.some((x) => x.includes('164.312(e)(1)')));
  assert.equal(clear.evidence.firstSeen, '2026-11-20T08:00:00.000Z');
  const nc = r.findings.find((f) => f.rule === 'check.no-conduit' && f.subject.startsWith('172.16.10.30>'))!;
  assert.ok(nc.references.some((x) => x.includes('SR 5.1')));
  const scan = r.findings.filter((f) => f.rule === 'check.scan');
  assert.equal(scan.length, 1);
  assert.equal(scan[0].evidence.destinations, 12);
  assert.deepEqual(scan[0].evidence.ports, [104, 2575, 4242, 8042, 11112]);
  const unknown = r.findings.filter((f) => f.rule === 'check.unknown-asset').map((f) => f.subject);
  assert.deepEqual(unknown, ['10.20.10.99', '10.80.2.66']);
  const rev = r.findings.filter((f) => f.subject === 'legacy-any').map((f) => f.rule).sort();
  assert.deepEqual(rev, ['check.conduit-broad', 'check.conduit-expired', 'check.conduit-unused']);
  const text = JSON.stringify(r.findings);
  for (const phi of ['DOE^JOHN', 'MRN0001', 'ZZCANARY']) assert.ok(!text.includes(phi));
});

test('expiry follows --now; an expired conduit still in use is high', () => {
  const m = hospitalModel();
  m.conduits.find((c) => c.id === 'pacs-to-vna')!.expires = '2026-06-30';
  const before = runCheck(m, hospitalEdges(), { now: Date.UTC(2026, 5, 1) });
  assert.equal(before.findings.filter((f) => f.rule === 'check.conduit-expired' && f.subject === 'pacs-to-vna').length, 0);
  const after = runCheck(m, hospitalEdges(), { now: NOW });
  const f = after.findings.find((x) => x.rule === 'check.conduit-expired' && x.subject === 'pacs-to-vna')!;
  assert.equal(f.severity, 'high');
  assert.equal(f.evidence.flowsAllowed, 1);
});

test('wrong port and wrong service are told apart from missing conduits', () => {
  const edges = hospitalEdges().filter((e) => e.src === '10.20.10.11');
  edges[0].dport = 4242;
  const r = runCheck(hospitalModel(), edges, { now: NOW });
  assert.deepEqual(r.verdicts[0].rules, ['check.wrong-service']);
  const f = r.findings.find((x) => x.rule === 'check.wrong-service')!;
  assert.equal(f.evidence.conduit, 'modalities-to-pacs');
});

test('bad models: overlapping zones, unknown references and contradictions are input errors with locations', () => {
  const m = hospitalModel();
  m.zones.push({ name: 'shadow', cidrs: ['10.20.20.0/25'], kind: 'server', securityLevel: 2, processes: [], internetFacing: false, loc: { file: 'zones.yaml', line: 40, column: 3 } });
  m.conduits.push({ ...m.conduits[0], id: 'ghost', to: { asset: 'nope' }, loc: { file: 'conduits.yaml', line: 90, column: 5 } });
  m.conduits.push({ ...m.conduits[1], id: 'pacs-to-vna-tls', tlsRequired: true, loc: { file: 'conduits.yaml', line: 99, column: 5 } });
  assert.throws(() => runCheck(m, []), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.deepEqual(err.location, { file: 'zones.yaml', line: 40, column: 3 });
    assert.match(err.message, /zone 'shadow' \(10\.20\.20\.0\/25\) overlaps zone 'imaging-servers'/);
    assert.match(err.message, /conduits\.yaml:90:5: conduit 'ghost' names unknown asset 'nope'/);
    assert.match(err.message, /conduits\.yaml:99:5: conduit 'pacs-to-vna-tls' contradicts 'pacs-to-vna'/);
    return true;
  });
});

test('findings are stored and re-runs update them in place', async () => {
  const db = await openStore(':memory:');
  try {
    const r = runCheck(hospitalModel(), hospitalEdges(), { now: NOW });
    await saveFindings(db, r.findings);
    await saveFindings(db, r.findings);
    const n = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM findings WHERE source = 'check'");
    assert.equal(Number(n!.n), r.findings.length);
  } finally {
    await db.close();
  }
});

test('an external zone without CIDRs stands for everything else', () => {
  const m = hospitalModel();
  m.zones.find((z) => z.name === 'internet')!.cidrs = [];
  const r = runCheck(m, hospitalEdges(), { now: NOW });
  assert.deepEqual(rulesFor(r, '203.0.113.77', '172.16.10.20'), ['check.no-conduit', 'check.phi-exposed']);
  assert.deepEqual(rulesFor(r, '203.0.113.77', '172.16.10.40'), []);
});

test('the summary counts every edge exactly once', () => {
  const r = runCheck(hospitalModel(), hospitalEdges(), { now: NOW });
  const s = r.summary;
  assert.equal(s.allowed + s.intraZone + s.violations, s.edges);
  assert.equal(s.violations, r.verdicts.filter((v) => v.verdict === 'violation').length);
});

test('a zone-wide conduit used by few of the zone\'s assets is reported as broader than observed', () => {
  const m = hospitalModel();
  for (let i = 20; i < 25; i++) {
    m.assets.push({ ...m.assets[0], name: `cr-room-${i}`, addresses: [`10.20.10.${i}`], aeTitles: [`CR_${i}`] });
  }
  const r = runCheck(m, hospitalEdges(), { now: NOW });
  const f = r.findings.find((x) => x.subject === 'modalities-to-pacs:zone')!;
  assert.equal(f.rule, 'check.conduit-broad');
  assert.deepEqual(f.evidence.usedBy, ['ct-scanner-01', 'mr-scanner-01', 'us-cart-03']);
  assert.equal(f.evidence.zoneAssets, 8);
  assert.ok(!runCheck(hospitalModel(), hospitalEdges(), { now: NOW }).findings.some((x) => x.subject === 'modalities-to-pacs:zone'));
});
