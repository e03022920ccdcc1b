/**
 * End to end on the sample hospital's real captures (made by the lab with
 * Orthanc, DCMTK, MLLP, openssl and nmap): discover, then check, segment,
 * simulate and blast must find the planted problems from real packets, and
 * never print the PHI canary that travels in cleartext in those captures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/corpus.ts';
import { wardline as runCli } from '../helpers/cli.ts';

const MODEL = join(REPO, 'examples', 'hospital');
const PCAP = join(MODEL, 'captures', 'hospital.pcap');
const CANARY = ['ZZCANARY', 'PHINEAS', 'CANARY-7731', 'DOE^JOHN', 'MRN0001'];
let dir = '';
let db = '';

function wardline(...args: string[]) {
  const r = runCli(args, { cwd: dir });
  for (const c of CANARY) assert.ok(!r.stdout.includes(c) && !r.stderr.includes(c), `${args[0]} printed ${c}`);
  return r;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wl-design-cap-'));
  db = join(dir, 'w.db');
  const d = wardline('discover', PCAP, '--model', MODEL, '--db', db, '-q');
  assert.equal(d.code, 0, d.stderr);
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface F { rule: string; subject: string; severity: string; evidence: Record<string, unknown> }

test('check finds every planted problem in the real captures', () => {
  const r = wardline('check', '--model', MODEL, '--db', db, '--json', '--now', '2026-11-28', '--fail-on', 'critical');
  assert.equal(r.code, 1, r.stderr);
  const { findings } = JSON.parse(r.stdout) as { findings: F[] };
  const find = (rule: string, subject: string) => findings.find((f) => f.rule === rule && f.subject.startsWith(subject));
  assert.equal(find('check.phi-exposed', '172.16.10.30>10.20.20.10/tcp/104/dicom')?.severity, 'critical', 'kiosk opens DICOM to the PACS');
  assert.ok(find('check.no-conduit', '203.0.113.77>172.16.10.20/tcp/8042'), 'internet reaches the PACS web viewer');
  assert.equal(find('check.cleartext-phi', '10.30.30.10>198.51.100.20/tcp/2575/hl7')?.severity, 'critical', 'cleartext HL7 to the clearinghouse');
  const kiosk = find('check.data-minimisation', '10.30.20.10>172.16.10.30/tcp/2575/hl7');
  assert.ok(kiosk, 'kiosk over-sharing');
  assert.ok((kiosk.evidence.excessSegments as string[]).includes('IN1'));
  assert.ok((kiosk.evidence.excessSegments as string[]).includes('NK1'));
  assert.ok(!(kiosk.evidence.excessSegments as string[]).includes('MSA'), "the kiosk's own ACK is not data it was given");
  assert.ok(find('check.scan', '10.80.2.66'), 'the nmap scan');
  assert.ok(find('check.conduit-expired', 'vendor-support-ct'));
  const dbText = readFileSync(db).toString('latin1');
  for (const c of CANARY) assert.ok(!dbText.includes(c), `store holds ${c}`);
});

test('segment, simulate and blast on the real captures', () => {
  const out = join(dir, 'proposed');
  const p = wardline('segment', 'propose', '--model', MODEL, '--db', db, '--json', '--out', join(dir, 'proposed.yaml'));
  assert.equal(p.code, 0, p.stderr);
  const proposal = JSON.parse(p.stdout) as { conduits: Array<{ id: string; from: Record<string, string>; to: Record<string, string> }>; review: Array<{ reason: string }> };
  assert.ok(!proposal.conduits.some((c) => c.from.asset === 'kiosk-lobby-01' && c.to.asset === 'pacs-main'));
  assert.ok(!proposal.conduits.some((c) => c.from.asset === 'compromised-ws'));
  assert.ok(proposal.review.some((r) => /kiosk opening DICOM to pacs-main/.test(r.reason)));
  spawnSync('mkdir', ['-p', out]);
  spawnSync('cp', [join(dir, 'proposed.yaml'), join(out, 'model.yaml')]);
  const sim = wardline('simulate', '--model', out, '--baseline-model', MODEL, '--db', db, '--json', '--now', '2026-11-28');
  assert.equal(sim.code, 0, sim.stderr);
  const s = JSON.parse(sim.stdout) as { breaks: unknown[] };
  assert.deepEqual(s.breaks, []);
  const b = wardline('blast', 'kiosk-lobby-01', '--model', out, '--baseline-model', MODEL, '--db', db, '--now', '2026-11-28', '--json');
  assert.equal(b.code, 0, b.stderr);
  const blast = JSON.parse(b.stdout) as { before: { phiAssets: number; paths: Array<{ path: string[] }> }; after: { phiAssets: number } };
  assert.ok(blast.before.phiAssets > 0);
  assert.deepEqual(blast.before.paths[0].path, ['kiosk-lobby-01', 'pacs-main']);
  assert.equal(blast.after.phiAssets, 0);
});
