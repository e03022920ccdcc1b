import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { wardline } from '../helpers/cli.ts';
import { artifactDir, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { buildHospitalStore, MODEL, type Hospital } from './hospital.ts';

interface SarifLog {
  version: string;
  runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string; properties: { compliance: { hipaa: string[] } } }> } }; results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } }; logicalLocations?: unknown[] }> }> }>;
}

describe('wardline report on the sample hospital', () => {
  let h: Hospital;
  let browser: TestBrowser;
  let checkFindings: Array<{ id: string; rule: string; severity: string; location?: { file: string; line: number } }>;

  before(async () => {
    h = buildHospitalStore();
    const c = wardline(['check', '--model', MODEL, '--db', h.db, '--json']);
    checkFindings = (JSON.parse(c.stdout) as { findings: typeof checkFindings }).findings;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (h) rmSync(h.dir, { recursive: true, force: true });
  });

  it('JSON: every stored check finding, each mapped to all four frameworks, and the blast radius before/after', () => {
    const r = wardline(['report', '--format', 'json', '--model', MODEL, '--proposed', h.proposedDir, '--db', h.db]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { findings: Array<{ id: string; rule: string; compliance: Record<string, string[]> }>; executiveSummary: string[]; blast: { target: string; before: { phiAssets: number }; after: { phiAssets: number } }; counts: { violations: number } };
    const ids = new Set(j.findings.map((f) => f.id));
    for (const f of checkFindings) assert.ok(ids.has(f.id), `report lacks ${f.id}`);
    for (const f of j.findings.filter((x) => x.rule.startsWith('check.'))) {
      for (const fw of ['hipaa', 'hicp', 'iec62443', 'nistCsf']) assert.ok(f.compliance[fw].length > 0, `${f.rule} has no ${fw} mapping`);
    }
    const cleartext = j.findings.find((f) => f.rule === 'check.cleartext-phi');
    assert.ok(cleartext, 'the sample hospital has cleartext PHI');
    assert.ok(cleartext.compliance.hipaa.some((x) => x.startsWith('164.312(e)(1)')), 'cleartext PHI maps to transmission security');
    assert.ok(j.counts.violations > 0);
    assert.ok(j.blast.before.phiAssets > j.blast.after.phiAssets, `proposal should shrink the blast radius of ${j.blast.target}: ${j.blast.before.phiAssets} -> ${j.blast.after.phiAssets}`);
    assert.ok(j.executiveSummary.some((s) => s.includes(j.blast.target)));
  });

  it('SARIF 2.1.0: one result per finding, conduit findings located in conduits.yaml', () => {
    const out = join(h.dir, 'r.sarif');
    const r = wardline(['report', '--format', 'sarif', '--model', MODEL, '--db', h.db, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(out, 'utf8')) as SarifLog;
    assert.equal(s.version, '2.1.0');
    const run = s.runs[0];
    assert.equal(run.tool.driver.name, 'Wardline');
    assert.equal(run.results.length, checkFindings.length);
    const located = checkFindings.filter((f) => f.location);
    assert.ok(located.length > 0);
    const withRegion = run.results.filter((x) => x.locations[0].physicalLocation);
    assert.equal(withRegion.length, located.length);
    for (const x of withRegion) {
      assert.match(x.locations[0].physicalLocation!.artifactLocation.uri, /^hospital\/conduits\.yaml$/);
      assert.ok(x.locations[0].physicalLocation!.region.startLine >= 1);
    }
    const crit = checkFindings.filter((f) => f.severity === 'critical' || f.severity === 'high').length;
    assert.equal(run.results.filter((x) => x.level === 'error').length, crit);
    for (const rule of run.tool.driver.rules) assert.ok(Array.isArray(rule.properties.compliance.hipaa));
  });

  it('--fail-on gates on the report\'s open findings; bad format is a usage error', () => {
    assert.equal(wardline(['report', '--format', 'md', '--model', MODEL, '--db', h.db, '--fail-on', 'critical']).status, 1);
    const bad = wardline(['report', '--format', 'docx', '--db', h.db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--format takes html, md, json, sarif, pdf/);
    assert.equal(wardline(['report', '--format', 'pdf', '--db', h.db]).status, 2);
  });

  it('Markdown: executive summary, compliance sections and the findings table', () => {
    const r = wardline(['report', '--format', 'md', '--model', MODEL, '--db', h.db]);
    assert.equal(r.status, 0, r.stderr);
    for (const s of ['## Executive summary', '### HIPAA Security Rule 45 CFR 164.312', '### IEC 62443-3-3', '### NIST CSF 2.0', '### Findings', '### Asset inventory']) assert.ok(r.stdout.includes(s), s);
    for (const f of checkFindings) assert.ok(r.stdout.includes(`\`${f.rule}\``));
  });

  it('HTML renders in Chromium without console errors, with the map, charts and a violation on the map', async () => {
    const out = join(h.dir, 'report.html');
    const r = wardline(['report', '--format', 'html', '--model', MODEL, '--proposed', h.proposedDir, '--db', h.db, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(out, 'utf8');
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'self-contained: no script, no external URL');
    const ctx = await browser.context();
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (req) => { if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push(`request: ${req.url()}`); });
    await page.goto(pathToFileURL(out).href);
    assert.equal(await page.locator('svg.flowmap').count(), 1);
    assert.ok(await page.locator('svg.flowmap g.edge.violation').count() > 0);
    assert.ok(await page.locator('svg.chart').count() >= 4);
    assert.match(await page.locator('#executive-summary + .exec').innerText(), /critical/);
    await page.screenshot({ path: join(artifactDir('show'), 'report.png'), fullPage: false });
    await ctx.close();
    assert.deepEqual(problems, []);
  });

  it('PDF through headless Chromium is a real, non-empty PDF with the report text', () => {
    const out = join(h.dir, 'report.pdf');
    const r = wardline(['report', '--format', 'pdf', '--model', MODEL, '--db', h.db, '--out', out], { timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const head = readFileSync(out).subarray(0, 5).toString('latin1');
    assert.equal(head, '%PDF-');
    const info = execFileSync('pdfinfo', [out], { encoding: 'utf8' });
    assert.ok(Number(/Pages:\s+(\d+)/.exec(info)?.[1]) >= 2, info);
    const text = execFileSync('pdftotext', [out, '-'], { encoding: 'utf8' });
    assert.match(text, /Executive summary/);
    assert.match(text, /164\.312/);
    writeFileSync(join(artifactDir('show'), 'report.pdf'), readFileSync(out));
  });
});
