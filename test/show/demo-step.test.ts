import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Output } from '../../src/cli/output.ts';
import type { DemoContext, DemoStep } from '../../src/demo/types.ts';
import { step as discover } from '../../src/demo/steps/10-discover.ts';
import { step as check } from '../../src/demo/steps/30-check.ts';
import { step as segment } from '../../src/demo/steps/40-segment.ts';
import { step as audit } from '../../src/demo/steps/70-audit.ts';
import { step as report } from '../../src/demo/steps/90-report.ts';
import { loadSteps } from '../../src/demo/run.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';

const sink = new Writable({ write: (_c, _e, cb) => cb() });

test('demo step report: runs last and writes html, md, sarif, json and pdf over the findings of earlier steps', async () => {
  const steps = await loadSteps();
  assert.equal(steps.at(-1)?.name, 'report');
  const work = mkdtempSync(join(tmpdir(), 'wl-show-demo-'));
  const db = await openStore(join(work, 'store.db'));
  try {
    const ctx: DemoContext = {
      root: REPO, modelPath: join(REPO, 'examples', 'hospital'), capturesDir: join(REPO, 'examples', 'hospital', 'captures'),
      workDir: work, db, out: new Output({ json: false, quiet: true, stdout: sink, stderr: sink }), results: new Map(),
    };
    for (const s of [discover, check, segment, audit] as DemoStep[]) ctx.results.set(s.name, await s.run(ctx));
    const r = await report.run(ctx);
    assert.ok(r.summary.length >= 2 && r.summary.length <= 3, r.summary.join('\n'));
    assert.deepEqual(r.artifacts, ['report.html', 'report.md', 'report.sarif', 'report.json', 'report.pdf']);
    for (const f of r.artifacts!) assert.ok(existsSync(join(work, f)) && statSync(join(work, f)).size > 1000, f);
    assert.equal(readFileSync(join(work, 'report.pdf')).subarray(0, 5).toString('latin1'), '%PDF-');
    const j = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8')) as { findings: Array<{ source: string }>; blast: { target: string; before: { phiAssets: number }; after?: { phiAssets: number } } };
    assert.deepEqual([...new Set(j.findings.map((f) => f.source))].sort(), ['audit', 'check']);
    assert.equal(j.blast.target, 'kiosk-lobby-01');
    assert.ok(j.blast.after && j.blast.after.phiAssets < j.blast.before.phiAssets);
    const sarif = JSON.parse(readFileSync(join(work, 'report.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation?: { artifactLocation: { uri: string } } }> }> }> };
    const uris = new Set(sarif.runs[0].results.flatMap((x) => x.locations.map((l) => l.physicalLocation?.artifactLocation.uri)).filter(Boolean));
    assert.ok(uris.has('examples/hospital/conduits.yaml'), [...uris].join(', '));
    assert.ok([...uris].some((u) => u!.startsWith('examples/hospital/configs/')), 'audit findings point at the config files');
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
});
