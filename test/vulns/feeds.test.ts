import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCpe } from '../../src/feeds/cpe.ts';
import { csafProducts } from '../../src/feeds/csaf.ts';
import type { SoftwareIdentity } from '../../src/feeds/identity.ts';
import { explainMatch } from '../../src/feeds/match.ts';
import { importFeeds } from '../../src/feeds/import.ts';
import { parseFeedText } from '../../src/feeds/parse.ts';
import { feedSummary, kevFor, productRows } from '../../src/feeds/store.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore } from '../../src/store/open.ts';
import { corpusFile, REPO } from '../helpers/corpus.ts';

const feed = (name: string) => corpusFile('feeds', name);
const read = (name: string) => JSON.parse(readFileSync(feed(name), 'utf8')) as Record<string, unknown>;

describe('CSAF 2.0 product trees (CISA medical advisories and OASIS examples)', () => {
  const expected: Record<string, Array<[string, string, string]>> = {
    'cisa_csaf_icsma-23-047-01.json': [['Becton, Dickinson and Company (BD)', 'Alaris Infusion Central software', '>= 1.1 | <= 1.3.2']],
    'cisa_csaf_icsma-23-248-01.json': [['Softneta', 'MedDream PACS', '<= 7.2.8.810']],
    'cisa_csaf_icsma-23-285-01.json': [['Santesoft', 'Sante DICOM Viewer Pro', '<=12.2.4']],
    'cisa_csaf_icsma-23-331-01.json': [
      ['Becton, Dickinson and Company (BD)', 'BD FACSChorus (HP Z2 G9 workstation, shipped with FACSDiscover S8 Cell Sorter)', '5.0|5.1'],
      ['Becton, Dickinson and Company (BD)', 'BD FACSChorus (HP Z2 G5 workstation, shipped with FACSMelody Cell Sorter)', '3.0|3.1'],
    ],
    'cisa_csaf_icsma-24-060-01.json': [['MicroDicom', 'MicroDicom DICOM Viewer', '<=2023.3_Build_9342']],
    'cisa_csaf_icsma-24-151-02.json': [['Baxter', 'Welch Allyn Connex Spot Monitor (CSM)', '<=1.52']],
  };
  for (const [file, products] of Object.entries(expected)) {
    it(`${file}: ${products.length} product(s) with vendor, name and range`, () => {
      const tree = csafProducts(read(file).product_tree as Record<string, never>);
      assert.equal(tree.size, products.length);
      assert.deepEqual([...tree.values()].map((p) => [p.vendor, p.product, p.range]), products);
    });
  }
  it('bsi-2022-0001: six versions with CPE helpers; five affected, one fixed', () => {
    const tree = csafProducts(read('oasis_csaf_bsi-2022-0001.json').product_tree as Record<string, never>);
    assert.equal(tree.size, 6);
    assert.deepEqual([...tree.values()].map((p) => p.version), ['1.0.0-alpha', '1.0.0-dev1', '1.0.0-dev2', '1.0.0-dev3', '1.0.0-rc1', '1.0.0-rc2']);
    assert.ok([...tree.values()].every((p) => p.cpe?.startsWith('cpe:/a:csaf-tools:cvrf-csaf-converter:')));
    const parsed = parseFeedText(readFileSync(feed('oasis_csaf_bsi-2022-0001.json'), 'utf8'), 'bsi');
    const a = parsed.advisories[0];
    assert.equal(a.id, 'CVE-2022-27193');
    assert.equal(a.affected.filter((x) => x.status === 'affected').length, 5);
    assert.deepEqual(a.affected.filter((x) => x.status === 'fixed').map((x) => x.range.exact), [['1.0.0-rc2']]);
    assert.equal(a.affected.find((x) => x.status === 'affected')?.fixed, '1.0.0-rc2');
    assert.equal(a.cvss?.score, 6.1);
    assert.ok(a.remediations.some((r) => r.category === 'vendor_fix' && r.url?.includes('1.0.0-rc2')));
  });
  it('CSAF CPE helpers (2.2 URIs) match identities by CPE and version: rc1 affected, rc2 fixed', () => {
    const a = parseFeedText(readFileSync(feed('oasis_csaf_bsi-2022-0001.json'), 'utf8'), 'bsi').advisories[0];
    const id = (v: string): SoftwareIdentity => ({
      asset: 'x', display: `converter ${v}`, vendor: 'csaf_tools', product: 'cvrf_csaf_converter', version: v,
      cpe: parseCpe(`cpe:2.3:a:csaf-tools:cvrf-csaf-converter:${v}:*:*:*:*:*:*:*`), source: 'sbom', detail: 't', confidence: 'high',
    });
    const hits = (v: string) => a.affected.filter((e) => explainMatch(id(v), e)).map((e) => e.status);
    assert.deepEqual(hits('1.0.0-rc1'), ['affected']);
    assert.deepEqual(hits('1.0.0-rc2'), ['fixed']);
    assert.deepEqual(hits('1.0.1'), []);
  });

  it('ICSMA-23-331-01: seven CVEs, each affecting both FACSChorus products, with CVSS and mitigations', () => {
    const parsed = parseFeedText(readFileSync(feed('cisa_csaf_icsma-23-331-01.json'), 'utf8'), 'x');
    assert.equal(parsed.advisories.length, 7);
    for (const a of parsed.advisories) {
      assert.match(a.id, /^CVE-2023-2906\d$/);
      assert.equal(a.affected.length, 2);
      assert.ok(a.cvss && a.cvss.score > 0);
      assert.ok(a.remediations.length > 0);
      assert.equal(a.document, 'ICSMA-23-331-01');
    }
    assert.deepEqual(parsed.advisories[0].affected[0].range, { exact: ['5.0', '5.1'] });
  });
});

describe('NVD, KEV and OSV parsing', () => {
  it('an unanalysed NVD record imports with a note and nothing to match', () => {
    const p = parseFeedText(readFileSync(feed('nvd_cve_CVE-2024-28130_dcmtk.json'), 'utf8'), 'x');
    assert.equal(p.format, 'nvd');
    assert.equal(p.advisories[0].affected.length, 0);
    assert.match(p.advisories[0].notes[0], /no CPE configuration yet \(vulnStatus Received\)/);
    assert.equal(p.advisories[0].cvss?.score, 7.5);
  });
  it('NVD cpeMatch bounds become the range', () => {
    const p = parseFeedText(readFileSync(feed('nvd_cve_CVE-2023-33466_orthanc.json'), 'utf8'), 'x');
    const e = p.advisories[0].affected[0];
    assert.equal(e.vendor, 'orthanc_server');
    assert.equal(e.product, 'orthanc');
    assert.deepEqual(e.range, { endExcluding: '1.12.0' });
    assert.equal(e.fixed, '1.12.0');
    assert.equal(p.advisories[0].cvss?.score, 8.8);
  });
  it('an AND configuration keeps the platform as a note, not as a vulnerable product', () => {
    const rec = {
      id: 'CVE-2099-0002', descriptions: [{ lang: 'en', value: 'x' }], metrics: {},
      configurations: [{ operator: 'AND', nodes: [
        { operator: 'OR', negate: false, cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:acme:viewer:*:*:*:*:*:*:*:*', versionStartIncluding: '2.0', versionEndIncluding: '2.4.1' }] },
        { operator: 'OR', negate: false, cpeMatch: [{ vulnerable: false, criteria: 'cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*' }] },
      ] }],
    };
    const a = parseFeedText(JSON.stringify(rec), 'x').advisories[0];
    assert.equal(a.affected.length, 1);
    assert.equal(a.affected[0].product, 'viewer');
    assert.deepEqual(a.affected[0].range, { startIncluding: '2.0', endIncluding: '2.4.1' });
    assert.match(a.affected[0].note!, /only when running on cpe:2.3:o:microsoft:windows_7/);
  });

  it('a paged NVD response yields every record', () => {
    const p = parseFeedText(readFileSync(join(REPO, 'test/fixtures/vulns/nvd-dcmtk-2022-page.json'), 'utf8'), 'x');
    assert.deepEqual(p.advisories.map((a) => a.id), ['CVE-2022-2119', 'CVE-2022-2120', 'CVE-2022-2121']);
  });
  it('KEV JSON and CSV carry the same 1404 entries', () => {
    const j = parseFeedText(readFileSync(feed('cisa_kev_known_exploited_vulnerabilities.json'), 'utf8'), 'j');
    const c = parseFeedText(readFileSync(feed('cisa_kev_known_exploited_vulnerabilities.csv'), 'utf8'), 'c');
    assert.equal(j.kev.length, 1404);
    assert.equal(c.kev.length, 1404);
    assert.deepEqual(new Set(j.kev.map((k) => k.cve)), new Set(c.kev.map((k) => k.cve)));
    const z = c.kev.find((k) => k.cve === 'CVE-2020-1472')!;
    assert.equal(z.product, 'Netlogon');
    assert.equal(z.ransomware, 'Known');
    assert.equal(j.kev.find((k) => k.cve === 'CVE-2020-1472')!.dateAdded, z.dateAdded);
  });
  it('OSV: ECOSYSTEM and SEMVER ranges become intervals; GIT ranges are noted, not matched', () => {
    const go = parseFeedText(readFileSync(feed('osv_GO-2024-2963.json'), 'utf8'), 'x').advisories[0];
    assert.equal(go.id, 'CVE-2024-24791');
    assert.deepEqual(go.affected.map((a) => [a.range.startIncluding, a.range.endExcluding, a.range.scheme]), [[undefined, '1.21.12', 'semver'], ['1.22.0-0', '1.22.5', 'semver']]);
    const req = parseFeedText(readFileSync(feed('osv_PYSEC-2023-74.json'), 'utf8'), 'x').advisories[0];
    assert.equal(req.id, 'CVE-2023-32681');
    assert.ok(req.affected.some((a) => a.ecosystem === 'pypi' && a.product === 'requests' && a.range.startIncluding === '2.3.0' && a.range.endExcluding === '2.31.0'));
    assert.match(req.notes.join(' '), /GIT range on https:\/\/github.com\/psf\/requests/);
    const git = parseFeedText(readFileSync(feed('osv_CVE-2023-41045.json'), 'utf8'), 'x').advisories[0];
    assert.equal(git.affected.length, 0);
    assert.match(git.notes[0], /GIT range/);
    const alpine = parseFeedText(readFileSync(feed('osv_CVE-2018-5407.json'), 'utf8'), 'x').advisories[0];
    assert.ok(alpine.affected.every((a) => a.ecosystem === 'apk' && a.product === 'openssl'));
  });
});

describe('feeds import into the store', () => {
  let dir: string;
  let db: Db;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-vulns-'));
    db = await openStore(join(dir, 's.db'));
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the corpus feeds directory, skipping the schema file with its path', async () => {
    const r = await importFeeds(db, [corpusFile('feeds')]);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0].path, /cisa_kev_schema\.json$/);
    assert.match(r.skipped[0].error, /none of NVD CVE API 2.0, CISA KEV, CSAF 2.0 or OSV/);
    assert.equal(r.imported.length, 21);
    const s = await feedSummary(db);
    assert.equal(s.advisories.csaf, 18);
    assert.equal(s.advisories.nvd, 2);
    assert.equal(s.advisories.osv, 8);
    assert.equal(s.kev, 1404);
    const kev = await kevFor(db, ['CVE-2021-44228', 'CVE-2023-33466']);
    assert.ok(kev.has('CVE-2021-44228'));
    assert.ok(!kev.has('CVE-2023-33466'));
    const meddream = await productRows(db, 'meddream_pacs');
    assert.equal(meddream.length, 2);
    assert.ok(meddream.every((r) => r.entry.vendor === 'softneta' && r.entry.range.endIncluding === '7.2.8.810'));
  });

  it('re-import is idempotent', async () => {
    const count = async () => (await db.get<{ a: number; p: number; k: number }>('SELECT (SELECT COUNT(*) FROM advisories) AS a, (SELECT COUNT(*) FROM advisory_products) AS p, (SELECT COUNT(*) FROM kev) AS k'))!;
    const before = await count();
    await importFeeds(db, [corpusFile('feeds')]);
    assert.deepEqual(await count(), before);
  });

  it('a malformed file is reported with its path and line; the others still import', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "id": "CVE-2099-1",\n  "descriptions": [ { "lang": "en", "value": "cut off');
    const r = await importFeeds(db, [bad, join(REPO, 'test/fixtures/vulns/nvd-CVE-2025-0896.json')]);
    assert.equal(r.imported.length, 1);
    assert.equal(r.skipped[0].path, bad);
    assert.match(r.skipped[0].error, /^line 2: invalid JSON/);
    assert.equal((await productRows(db, 'orthanc')).filter((x) => x.advKey === 'nvd:CVE-2025-0896').length, 1);
  });

  it('an older record does not replace a newer one', async () => {
    await importFeeds(db, [join(REPO, 'test/fixtures/vulns/nvd-CVE-2024-28130-configured.json')]);
    const r = await importFeeds(db, [feed('nvd_cve_CVE-2024-28130_dcmtk.json')]);
    assert.match(r.warnings.join('\n'), /1 record\(s\) not applied: the store holds newer versions/);
    assert.equal((await productRows(db, 'dcmtk')).filter((x) => x.advKey === 'nvd:CVE-2024-28130').length, 1);
  });
});
