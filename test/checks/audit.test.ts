import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allRules, auditFile, auditText, expandConfigPaths } from '../../src/checks/audit/audit.ts';
import { CORPUS, REPO } from '../helpers/corpus.ts';

const FIX = join(REPO, 'test', 'fixtures', 'audit');
const fixtures = readdirSync(FIX);

function markerLines(file: string): number[] {
  return readFileSync(file, 'utf8').split('\n').flatMap((l, i) => (/(\/\/|#) expect\s*$/.test(l) ? [i + 1] : []));
}

test('every rule has a failing and a passing fixture', () => {
  for (const { kind, rule } of allRules()) {
    const stem = rule.id.replace(/^audit\./, '');
    assert.ok(fixtures.some((f) => f.startsWith(`${stem}.fail.`)), `${rule.id}: no failing fixture`);
    assert.ok(fixtures.some((f) => f.startsWith(`${stem}.pass.`)), `${rule.id}: no passing fixture`);
    assert.ok(stem.startsWith(`${kind}.`), `${rule.id} is listed under ${kind}`);
    assert.ok(rule.title && rule.rationale && rule.fix, `${rule.id}: title, rationale and fix`);
  }
});

for (const { rule } of allRules()) {
  const stem = rule.id.replace(/^audit\./, '');
  test(`${rule.id}: fires on the failing fixture at the marked line, not on the passing one`, () => {
    const fail = fixtures.find((f) => f.startsWith(`${stem}.fail.`))!;
    const pass = fixtures.find((f) => f.startsWith(`${stem}.pass.`))!;
    const failPath = join(FIX, fail);
    const hits = auditFile(failPath).findings.filter((f) => f.rule === rule.id);
    assert.ok(hits.length > 0, `${rule.id} did not fire on ${fail}`);
    const lines = markerLines(failPath);
    assert.equal(lines.length, 1, `${fail} has one "expect" marker`);
    assert.ok(hits.some((h) => h.location?.line === lines[0]), `${rule.id} points at line ${lines[0]}, got ${hits.map((h) => h.location?.line).join(',')}`);
    for (const h of hits) {
      assert.equal(h.location?.file, failPath);
      assert.equal(h.source, 'audit');
      assert.ok(h.references.length > 0 || rule.id.endsWith('.syntax'));
    }
    const passHits = auditFile(join(FIX, pass)).findings.filter((f) => f.rule === rule.id);
    assert.deepEqual(passHits.map((h) => h.location), [], `${rule.id} fired on ${pass}`);
  });
}

test('a hardened Orthanc configuration has no findings at all', () => {
  assert.deepEqual(auditFile(join(FIX, 'orthanc.hardened.pass.json')).findings.map((f) => f.rule), []);
});

test('passwords never appear in findings or settings', () => {
  const r = auditFile(join(FIX, 'orthanc.remote-access-without-auth.fail.json'));
  const text = JSON.stringify(r);
  assert.ok(!text.includes('k9!Tq-2v#Lm8'), 'the password leaked');
  assert.match(r.settings['RegisteredUsers.radiology'], /^sha256:[0-9a-f]{12}$/);
});

test('every configuration of the shared corpus is audited with located findings', () => {
  const dir = join(CORPUS, 'config');
  const files = readdirSync(dir);
  assert.ok(files.length >= 8);
  const byFile = new Map<string, string[]>();
  for (const f of files) {
    const r = auditFile(join(dir, f));
    for (const x of r.findings) {
      assert.ok(x.location?.line && x.location.line >= 1, `${x.rule} has a line`);
      assert.ok(!x.rule.endsWith('.syntax'), `${f}: ${JSON.stringify(x.evidence)}`);
    }
    byFile.set(f, r.findings.map((x) => x.rule));
  }
  // The documented defaults: echo/store open, called AE unchecked, no DICOM TLS.
  const dflt = byFile.get('orthanc_default_Configuration.json')!;
  for (const id of ['always-allow-echo', 'always-allow-store', 'called-aet-unchecked', 'dicom-tls-disabled', 'modality-host-unchecked']) assert.ok(dflt.includes(`audit.orthanc.${id}`), id);
  assert.ok(!dflt.includes('audit.orthanc.remote-access-without-auth'));
  // The prefetching samples turn remote access on with authentication off.
  assert.ok(byFile.get('orthanc-setup_prefetching_configPACS.json')!.includes('audit.orthanc.remote-access-without-auth'));
  assert.ok(byFile.get('orthanc-setup_full-tls_orthanc-a.json')!.includes('audit.orthanc.default-credentials'));
  // The DCMTK sample ships COMMON ... ANY.
  const dcm = auditFile(join(dir, 'dcmtk_dcmqrscp.cfg'));
  const any = dcm.findings.find((x) => x.rule === 'audit.dcmqrscp.peers-any-read')!;
  assert.equal(any.evidence.aeTitle, 'COMMON');
  assert.match(readFileSync(join(dir, 'dcmtk_dcmqrscp.cfg'), 'utf8').split('\n')[any.location!.line! - 1], /^COMMON\s.*ANY/);
  // A modalities-only fragment gets no default-based findings.
  assert.ok(!byFile.get('orthanc-setup_dicom-tls_modalities.json')!.includes('audit.orthanc.always-allow-store'));
});

test('the sample hospital configs, when present, are audited', () => {
  const dir = join(REPO, 'examples', 'hospital', 'configs');
  let files: string[] = [];
  try { files = expandConfigPaths([dir]); } catch { /* not written yet by the lab engineer */ }
  for (const f of files) {
    const r = auditFile(f);
    for (const x of r.findings) assert.ok(x.location?.line, `${f}: ${x.rule} has a line`);
    assert.ok(['orthanc', 'dcmqrscp', 'nginx'].includes(r.kind));
  }
});

test('nginx: auth_basic off in a location undoes the server-level authentication', () => {
  const conf = 'server {\n  listen 443 ssl;\n  auth_basic "portal";\n  location /public/ {\n    auth_basic off;\n    proxy_pass http://10.0.0.5;\n  }\n  location / {\n    proxy_pass http://10.0.0.5;\n  }\n}\n';
  const hits = auditText('p.conf', conf, 'nginx').findings.filter((f) => f.rule === 'audit.nginx.no-authentication');
  assert.deepEqual(hits.map((h) => [h.location?.line, h.evidence.location]), [[4, '/public/']]);
});

test('Orthanc: peer passwords in the short array form are found too', () => {
  const r = auditText('o.json', '{\n  "OrthancPeers": {\n    "b": [ "https://b/", "u", "secret-pw" ]\n  }\n}\n', 'orthanc');
  const hits = r.findings.filter((f) => f.rule === 'audit.orthanc.plaintext-passwords');
  assert.deepEqual(hits.map((h) => h.location?.line), [3]);
  assert.ok(!JSON.stringify(r).includes('secret-pw'));
});

test('broken input gives a located syntax finding and partial results, never a throw', () => {
  const r = auditText('x.json', '{\n  "RemoteAccessAllowed": true,\n  "AuthenticationEnabled": false,\n  "Name": ');
  assert.ok(r.findings.some((f) => f.rule === 'audit.orthanc.syntax' && f.location?.line === 4));
  assert.ok(r.findings.some((f) => f.rule === 'audit.orthanc.remote-access-without-auth' && f.location?.line === 3));
  assert.throws(() => auditText('notes.txt', 'hello'), /not a recognised configuration/);
});
