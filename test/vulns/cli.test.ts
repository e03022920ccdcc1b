/**
 * The verbs as a user runs them: feeds import (skips with the path, exit 2
 * when nothing imported), feeds list, sbom, and vulns on the sample hospital
 * with observations from its real capture, on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VulnReport } from '../../src/analyses/vulns/run.ts';
import { openStore } from '../../src/store/open.ts';
import { wardline } from '../helpers/cli.ts';
import { corpusFile, REPO } from '../helpers/corpus.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';

const FIX = join(REPO, 'test', 'fixtures', 'vulns');
const HOSPITAL = join(REPO, 'examples', 'hospital');

describe('feeds, sbom and vulns verbs on SQLite', () => {
  let dir: string;
  let db: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wl-vulns-cli-'));
    db = join(dir, 's.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('feeds import: exit 2 and the path when nothing imports', () => {
    const r = wardline(['feeds', 'import', join(FIX, 'malformed-truncated.json'), '--db', db]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /malformed-truncated\.json: skipped: line 1: invalid JSON/);
  });

  it('feeds import: a directory with a malformed file imports the rest, exit 0, warning names the file', () => {
    const r = wardline(['feeds', 'import', FIX, '--db', db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { imported: Array<{ path: string; format: string }>; skipped: Array<{ path: string }> };
    assert.equal(rep.imported.length, 7);
    assert.deepEqual(rep.skipped.map((s) => s.path), [join(FIX, 'malformed-truncated.json')]);
    assert.match(r.stderr, /warning: .*malformed-truncated\.json: skipped/);
  });

  it('feeds list --json counts what is stored', () => {
    const r = wardline(['feeds', 'list', '--db', db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { advisories: Record<string, number>; kev: number; files: unknown[] };
    assert.deepEqual(s.advisories, { nvd: 7, osv: 1 });
    assert.equal(s.kev, 1);
    assert.equal(s.files.length, 7);
  });

  it('vulns on the sample hospital with its captured traffic: prioritised, explained, stored, gated', async () => {
    const d = wardline(['discover', join(HOSPITAL, 'captures', 'hospital.pcap'), '--model', HOSPITAL, '--db', db, '-q']);
    assert.equal(d.status, 0, d.stderr);
    const r = wardline(['vulns', '--model', HOSPITAL, '--db', db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as VulnReport;
    const key = (v: { asset: string; vuln: string }) => `${v.asset} ${v.vuln}`;
    // KEV first, then the internet-facing Orthanc, then the internal one.
    assert.deepEqual(rep.vulns.slice(0, 4).map(key), [
      'domain-controller-01 CVE-2020-1472', 'domain-controller-02 CVE-2020-1472', 'pacs-web-viewer CVE-2023-33466', 'pacs-main CVE-2023-33466',
    ]);
    assert.ok(!rep.vulns.some((v) => v.vuln === 'CVE-2025-0896'));
    // Modalities announce DCMTK 3.6.7 on the wire: passive identities back a match the model alone does not have.
    const ct = rep.vulns.find((v) => key(v) === 'ct-scanner-01 CVE-2024-28130')!;
    assert.ok(ct, 'CT scanner matched from its DICOM implementation version');
    assert.ok(ct.why.some((w) => w.includes('passive: dicom-implementation-rq on 10.20.10.11')));
    const us = rep.vulns.filter((v) => v.asset === 'us-cart-03').map((v) => v.vuln).sort();
    assert.deepEqual(us, ['CVE-2022-2119', 'CVE-2022-2120', 'CVE-2022-2121', 'CVE-2024-28130']);
    assert.ok(rep.lifecycle.some((l) => l.asset === 'us-cart-03' && l.rule.status === 'end-of-life'));

    const store = await openStore(db);
    try {
      const n = await store.get<{ n: number }>("SELECT COUNT(*) AS n FROM findings WHERE source = 'vulns'");
      assert.equal(Number(n!.n), rep.findings.length);
      const kev = await store.get<{ rule: string; severity: string }>("SELECT rule, severity FROM findings WHERE id = 'vulns:domain-controller-01:CVE-2020-1472'");
      assert.deepEqual({ ...kev }, { rule: 'vulns.known-exploited', severity: 'critical' });
    } finally {
      await store.close();
    }
    assert.equal(wardline(['vulns', '--model', HOSPITAL, '--db', db, '--fail-on', 'critical', '-q']).status, 1);
    const one = wardline(['vulns', '--model', HOSPITAL, '--db', db, '--asset', 'vna-archive']);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /vna-archive\s+CVE-2024-28130/);
    assert.doesNotMatch(one.stdout, /domain-controller/);
    const bad = wardline(['vulns', '--model', HOSPITAL, '--db', db, '--asset', 'no-such-asset']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no asset 'no-such-asset'/);
  });

  it('sbom lists components and, with --match and --vex, suppresses by VEX', () => {
    const list = wardline(['sbom', join(HOSPITAL, 'sboms', 'pacs-main.cdx.json'), '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { components: Array<{ name: string }> }).components.map((c) => c.name), ['pacs-main (Orthanc on Debian 12)', 'orthanc', 'dcmtk', 'civetweb']);
    const m = wardline(['sbom', corpusFile('sbom', 'cdx_vex-example_bom.cdx.json'), '--vex', corpusFile('sbom', 'cdx_vex-example_vex.cdx.json'), '--match', '--db', db, '--json']);
    assert.equal(m.status, 0, m.stderr);
    const rows = (JSON.parse(m.stdout) as { vulnerabilities: Array<{ vuln: string; suppressed?: string }> }).vulnerabilities;
    assert.deepEqual(rows.map((r) => r.vuln), ['CVE-2020-25649']);
    assert.match(rows[0].suppressed!, /VEX not_affected/);
    const nofile = wardline(['sbom', join(dir, 'missing.json')]);
    assert.equal(nofile.status, 2);
    assert.match(nofile.stderr, /missing\.json: cannot read SBOM/);
  });

  it('--help shows examples', () => {
    for (const v of [['feeds', 'import'], ['vulns'], ['sbom']]) {
      const h = wardline([...v, '--help']);
      assert.equal(h.status, 0);
      assert.match(h.stdout, /Examples:/);
    }
  });
});

describe('feeds and vulns on PostgreSQL', () => {
  let pg: PostgresHandle;
  before(async () => { pg = await startPostgres(); });
  after(async () => { await pg?.stop(); });

  it('imports idempotently and gives the same top rows as SQLite', () => {
    for (let i = 0; i < 2; i++) {
      const r = wardline(['feeds', 'import', FIX, corpusFile('feeds', 'cisa_csaf_icsma-23-248-01.json'), '--db', pg.url, '-q']);
      assert.equal(r.status, 0, r.stderr);
    }
    const s = JSON.parse(wardline(['feeds', 'list', '--db', pg.url, '--json']).stdout) as { advisories: Record<string, number>; affectedProducts: number };
    assert.deepEqual(s.advisories, { csaf: 2, nvd: 7, osv: 1 });
    assert.equal(s.affectedProducts, 13);
    const r = wardline(['vulns', '--model', HOSPITAL, '--db', pg.url, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as VulnReport;
    assert.deepEqual(rep.vulns.slice(0, 4).map((v) => `${v.asset} ${v.vuln}`), [
      'domain-controller-01 CVE-2020-1472', 'domain-controller-02 CVE-2020-1472', 'pacs-web-viewer CVE-2023-33466', 'pacs-main CVE-2023-33466',
    ]);
  });
});
