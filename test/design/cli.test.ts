import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveObservations } from '../../src/observations/persist.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';
import { wardline as runCli } from '../helpers/cli.ts';
import { hospitalEdges } from './hospital.ts';

const MODEL = join(REPO, 'examples', 'hospital');
let dir = '';
let db = '';

const wardline = (...args: string[]) => runCli(args, { cwd: dir });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wl-design-cli-'));
  db = join(dir, 'w.db');
  const store = await openStore(db);
  await saveObservations(store, { edges: hospitalEdges(), hosts: [], anomalies: [], inputs: [] });
  await store.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('check --json reports the planted problems of the sample hospital and gates on --fail-on', () => {
  const r = wardline('check', '--model', MODEL, '--db', db, '--json', '--now', '2026-11-28', '--fail-on', 'high');
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { summary: { edges: number }; findings: Array<{ rule: string; subject: string; severity: string }> };
  assert.equal(out.summary.edges, hospitalEdges().length);
  const has = (rule: string, subject: string) => out.findings.some((f) => f.rule === rule && f.subject.startsWith(subject));
  assert.ok(has('check.phi-exposed', '172.16.10.30>10.20.20.10'), 'kiosk reaches PACS');
  assert.ok(has('check.no-conduit', '203.0.113.77>172.16.10.20'), 'internet reaches the PACS web viewer');
  assert.ok(has('check.cleartext-phi', '10.30.30.10>198.51.100.20'), 'cleartext HL7 to the clearinghouse');
  assert.ok(has('check.data-minimisation', '10.30.20.10>172.16.10.30'), 'kiosk over-sharing');
  assert.ok(has('check.scan', '10.80.2.66'), 'scan');
  assert.ok(has('check.conduit-expired', 'vendor-support-ct'));
  // Without --fail-on the exit code is 0; the findings are in the store.
  assert.equal(wardline('check', '--model', MODEL, '--db', db, '--now', '2026-11-28', '-q').code, 0);
});

test('check and compile: bad input exits 2 with a location', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  cpSync(MODEL, bad, { recursive: true });
  const conduits = readFileSync(join(bad, 'conduits.yaml'), 'utf8').replace('to: asset:vna-archive', 'to: asset:vna-archvie');
  writeFileSync(join(bad, 'conduits.yaml'), conduits);
  for (const verb of [['check', '--db', db], ['compile', '--target', 'nftables']]) {
    const r = wardline(verb[0], '--model', bad, ...verb.slice(1));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /conduits\.yaml:\d+:\d+/);
    assert.match(r.stderr, /vna-archvie/);
  }
  assert.equal(wardline('check', '--model', MODEL, '--db', db, '--now', 'yesterday-ish').code, 2);
  assert.equal(wardline('compile', '--model', MODEL, '--target', 'checkpoint').code, 2);
  assert.equal(wardline('compile', '--model', MODEL).code, 2);
});

test('compile --out writes the same text every time', () => {
  const a = join(dir, 'a.nft');
  const b = join(dir, 'b.nft');
  assert.equal(wardline('compile', '--model', MODEL, '--target', 'nftables', '--out', a, '--now', '2026-11-28').code, 0);
  assert.equal(wardline('compile', '--model', MODEL, '--target', 'nftables', '--out', b, '--now', '2026-11-28').code, 0);
  assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
  assert.match(readFileSync(a, 'utf8'), /comment "modalities-to-pacs: Modalities send acquired images/);
  assert.match(wardline('compile', '--help').stdout, /Examples:/);
});

test('segment propose --out, then simulate and blast before/after on the proposal', () => {
  const out = join(dir, 'proposed');
  mkdirSync(out, { recursive: true });
  const p = wardline('segment', 'propose', '--model', MODEL, '--db', db, '--out', join(out, 'model.yaml'));
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /review: 172\.16\.10\.30 -> 10\.20\.20\.10 tcp\/104 dicom: kiosk opening DICOM/);
  const sim = wardline('simulate', '--model', out, '--baseline-model', MODEL, '--db', db, '--now', '2026-11-28', '--json', '--fail-on', 'high');
  assert.equal(sim.code, 0, sim.stderr);
  const s = JSON.parse(sim.stdout) as { breaks: unknown[]; intendedBlocks: Array<{ suspicious: string }> };
  assert.deepEqual(s.breaks, []);
  assert.ok(s.intendedBlocks.length > 0);
  const blast = wardline('blast', 'kiosk-lobby-01', '--model', out, '--baseline-model', MODEL, '--db', db, '--now', '2026-11-28');
  assert.equal(blast.code, 0, blast.stderr);
  assert.match(blast.stdout, /^kiosk-lobby-01 reaches \d+ PHI asset\(s\) today, 0 after/);
  const rank = wardline('blast', '--rank', '--model', MODEL, '--db', db, '--json', '--limit', '5');
  assert.equal(rank.code, 0, rank.stderr);
  assert.equal((JSON.parse(rank.stdout) as { ranking: unknown[] }).ranking.length, 5);
  assert.equal(wardline('blast', 'no-such-thing', '--model', MODEL, '--db', db).code, 2);
  assert.equal(wardline('segment', 'propose', '--db', join(dir, 'empty.db')).code, 2);
});
