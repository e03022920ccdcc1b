import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkSbom } from '../../src/analyses/vulns/sbom-check.ts';
import { runVulns, type VulnReport } from '../../src/analyses/vulns/run.ts';
import { importFeeds } from '../../src/feeds/import.ts';
import { readSbom } from '../../src/feeds/sbom.ts';
import { openModel } from '../../src/model/open.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore } from '../../src/store/open.ts';
import { corpusFile, REPO } from '../helpers/corpus.ts';

const FIX = join(REPO, 'test', 'fixtures', 'vulns');

/** The sample hospital plus a few assets and SBOM attachments the tests need. */
function hospitalCopy(dir: string): string {
  const m = join(dir, 'hospital');
  cpSync(join(REPO, 'examples', 'hospital'), m, { recursive: true });
  const file = join(m, 'assets.yaml');
  let text = readFileSync(file, 'utf8');
  text = text.replace(/( {2}- name: pacs-main\b[^\n]*\n)/, '$1    sbom: sboms/pacs-main.cdx.json\n');
  text = text.replace(/( {2}- name: vna-archive\b[^\n]*\n)/, '$1    sbom: sboms/vna-archive.spdx\n');
  text += [
    '',
    '  - name: meddream-old',
    '    kind: viewer',
    '    address: 10.20.20.77',
    '    vendor: Softneta',
    '    product: MedDream PACS',
    '    version: 7.2.8.810',
    '  - name: meddream-new',
    '    kind: viewer',
    '    address: 10.20.20.78',
    '    vendor: Softneta',
    '    product: MedDream PACS',
    '    version: 7.2.9.820',
    '  - name: orthanc-research',
    '    kind: pacs',
    '    address: 10.20.20.79',
    '    vendor: Orthanc',
    '    product: Orthanc',
    '  - name: def-box',
    '    kind: other',
    '    address: 10.99.0.77',
    '    vendor: Example Company',
    '    product: DEF',
    '    version: "1.1"',
    '',
  ].join('\n');
  writeFileSync(file, text);
  return m;
}

describe('matching the sample hospital against real advisories', () => {
  let dir: string;
  let db: Db;
  let report: VulnReport;
  const rows = (asset: string) => report.vulns.filter((v) => v.asset === asset).map((v) => v.vuln).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-vulns-'));
    db = await openStore(join(dir, 's.db'));
    // Corpus first, then the fixtures: the configured CVE-2024-28130 supersedes the unanalysed corpus copy.
    const r = await importFeeds(db, [corpusFile('feeds'), FIX]);
    assert.equal(r.skipped.length, 2);
    const modelPath = hospitalCopy(dir);
    const { model } = openModel(modelPath);
    // What the probe stores after reading Orthanc's /system (see src/checks/probe/findings.ts).
    const probeFindings = [{
      id: 'probe:orthanc-research:8042:probe.http.unauthenticated-api', rule: 'probe.http.unauthenticated-api', title: 'REST API answers without authentication',
      severity: 'high' as const, source: 'probe', subject: 'orthanc-research', evidence: { address: '10.20.20.79', port: 8042, route: '/system', orthanc: { version: '1.5.7', apiVersion: 4 } }, references: [],
    }];
    report = await runVulns({ model, modelPath, db, probeFindings });
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Orthanc 1.10.1 matches CVE-2023-33466 (< 1.12.0) but not CVE-2025-0896 (< 1.5.8)', () => {
    assert.ok(rows('pacs-main').includes('CVE-2023-33466'));
    assert.ok(!rows('pacs-main').includes('CVE-2025-0896'));
    assert.deepEqual(report.vulns.filter((v) => v.vuln === 'CVE-2025-0896').map((v) => v.asset), ['orthanc-research'], 'only the 1.5.7 one');
    const v = report.vulns.find((x) => x.asset === 'pacs-main' && x.vuln === 'CVE-2023-33466')!;
    assert.equal(v.fixed, '1.12.0');
    assert.ok(v.why.some((w) => w.includes('< 1.12.0') && w.includes('model-cpe') && w.includes('assets.yaml')));
    assert.ok(v.why.some((w) => w.includes('sbom') && w.includes('pacs-main.cdx.json')), 'the SBOM identity backs it too');
  });

  it('DCMTK 3.6.7 matches CVE-2024-28130, from the model and from both SBOM formats', () => {
    const vna = report.vulns.find((x) => x.asset === 'vna-archive' && x.vuln === 'CVE-2024-28130')!;
    assert.ok(vna);
    assert.ok(vna.why.some((w) => w.includes('<= 3.6.8')));
    assert.ok(vna.why.some((w) => w.includes('vna-archive.spdx')), 'SPDX tag-value identity');
    const pacs = report.vulns.find((x) => x.asset === 'pacs-main' && x.vuln === 'CVE-2024-28130')!;
    assert.ok(pacs.identities.some((i) => i.startsWith('dcmtk 3.6.7 [sbom')), 'CycloneDX component of pacs-main');
    assert.ok(!rows('vna-archive').some((c) => /^CVE-2022-21(19|20|21)$/.test(c)), '3.6.7 has the 2022 fixes');
    assert.deepEqual(rows('us-cart-03'), ['CVE-2022-2119', 'CVE-2022-2120', 'CVE-2022-2121', 'CVE-2024-28130']);
  });

  it('KEV flags land on the right CVE and put it first', () => {
    const z = report.vulns.filter((v) => v.vuln === 'CVE-2020-1472');
    assert.deepEqual(z.map((v) => v.asset).sort(), ['domain-controller-01', 'domain-controller-02']);
    assert.ok(z.every((v) => v.kev?.dateAdded === '2021-11-03' && v.kev.ransomware === 'Known' && v.severity === 'critical'));
    assert.equal(report.vulns[0].vuln, 'CVE-2020-1472');
    assert.ok(report.vulns.filter((v) => v.vuln !== 'CVE-2020-1472').every((v) => !v.kev));
  });

  it('exposure orders the same CVE: the internet-facing viewer before the internal PACS', () => {
    const viewer = report.vulns.findIndex((v) => v.asset === 'pacs-web-viewer' && v.vuln === 'CVE-2023-33466');
    const pacs = report.vulns.findIndex((v) => v.asset === 'pacs-main' && v.vuln === 'CVE-2023-33466');
    assert.ok(viewer >= 0 && pacs > viewer);
    assert.ok(report.vulns[viewer].factors.some((f) => f.startsWith('internet-facing zone dmz')));
  });

  it('CSAF product names and versions: MedDream 7.2.8.810 affected, 7.2.9.820 not', () => {
    assert.deepEqual(rows('meddream-old'), ['CVE-2023-39227', 'CVE-2023-40150']);
    assert.deepEqual(rows('meddream-new'), []);
    const v = report.vulns.find((x) => x.asset === 'meddream-old' && x.vuln === 'CVE-2023-40150')!;
    assert.equal(v.cvss, 9.8);
    assert.ok(v.remediation.some((r) => r.startsWith('vendor_fix') && r.includes('7.2.9.820')));
    assert.ok(v.advisories.some((a) => a.document === 'ICSMA-23-248-01'));
  });

  it('a probe-reported Orthanc version backs a match the version-less model entry cannot', () => {
    assert.deepEqual(rows('orthanc-research'), ['CVE-2023-33466', 'CVE-2025-0896']);
    const v = report.vulns.find((x) => x.asset === 'orthanc-research' && x.vuln === 'CVE-2025-0896')!;
    assert.deepEqual(v.identities, ['Orthanc 1.5.7 [probe, high]']);
    assert.match(v.why[0], /Orthanc \/system on 10\.20\.20\.79 .* < 1\.5\.8/);
    // CVSS 9.8 is critical; no conduit reaches this unlisted server from a foothold, so one level lower.
    assert.equal(v.cvss, 9.8);
    assert.ok(v.factors.includes('not reachable from any user/DMZ/partner foothold in the model'));
    assert.equal(v.severity, 'high');
  });

  it('a CSAF VEX "fixed" status suppresses its CVE for that product version', () => {
    assert.deepEqual(rows('def-box'), []);
    const s = report.suppressed.find((x) => x.asset === 'def-box')!;
    assert.equal(s.vuln, 'CVE-2021-44228');
    assert.match(s.suppressed!, /fixed per csaf:2022-EVD-UC-01-F-001:CVE-2021-44228/);
  });

  it('every match has an identity behind it and findings are source vulns', () => {
    assert.ok(report.vulns.every((v) => v.identities.length > 0 && v.why.length > 0));
    assert.ok(report.findings.every((f) => f.source === 'vulns'));
    const life = report.lifecycle.map((l) => `${l.asset}:${l.rule.status}`).sort();
    assert.ok(life.includes('us-cart-03:end-of-life'));
    assert.ok(life.includes('pacs-main:outdated'));
    assert.ok(!life.some((l) => l.startsWith('vna-archive')));
  });
});

describe('SBOM and VEX', () => {
  let dir: string;
  let db: Db;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-vulns-'));
    db = await openStore(join(dir, 's.db'));
    await importFeeds(db, [join(FIX, 'osv-GHSA-288c-cq4h-88gq.json')]);
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a CycloneDX VEX not_affected suppresses its CVE (corpus bom + vex)', async () => {
    const bom = readSbom(corpusFile('sbom', 'cdx_vex-example_bom.cdx.json'));
    assert.equal(bom.components.length, 4);
    const plain = await checkSbom(db, bom);
    assert.deepEqual(plain.map((r) => [r.component, r.vuln, r.suppressed]), [['com.fasterxml.jackson.core:jackson-databind 2.10.0', 'CVE-2020-25649', undefined]]);
    const vex = readSbom(corpusFile('sbom', 'cdx_vex-example_vex.cdx.json'));
    assert.equal(vex.vex[0].refs[0], 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar');
    const withVex = await checkSbom(db, bom, vex.vex);
    assert.equal(withVex.length, 1);
    assert.match(withVex[0].suppressed!, /^VEX not_affected \(code_not_reachable\) in .*cdx_vex-example_vex\.cdx\.json$/);
  });

  it('SPDX tag-value and JSON parse into components with CPEs and purls', () => {
    const tag = readSbom(corpusFile('sbom', 'spdx_example1.tagvalue.spdx'));
    assert.equal(tag.format, 'spdx-tag');
    assert.deepEqual(tag.components.map((c) => c.name), ['hello']);
    const acme = readSbom(corpusFile('sbom', 'spdx_ACME-v2.3.spdx.json'));
    assert.equal(acme.format, 'spdx-json');
    assert.equal(acme.specVersion, 'SPDX-2.3');
    assert.deepEqual(acme.components.map((c) => [c.name, c.version, c.purl]), [
      ['Acme Applcation', '2.3', undefined], ['elliptic', '6.5.2', 'pkg:npm/elliptic@6.5.2'], ['alpine', 'latest', undefined], ['OpenSSL', '3.0.4', 'pkg:alpine/openssl@3.0.4'],
    ]);
    const ours = readSbom(join(REPO, 'examples/hospital/sboms/vna-archive.spdx'));
    assert.equal(ours.components[0].cpe, 'cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*');
    for (const f of ['cdx_laravel-7.12.0.bom.1.4.cdx.json', 'cdx_dropwizard-1.3.15.cdx.json', 'cdx_proton-bridge-v1.8.0.cdx.json']) {
      const s = readSbom(corpusFile('sbom', f));
      assert.ok(s.components.length > 40, f);
      assert.ok(s.components.filter((c) => c.purl).length > 40, f);
    }
  });
});
