import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Output } from '../../src/cli/output.ts';
import type { DemoContext } from '../../src/demo/types.ts';
import { step as discover } from '../../src/demo/steps/10-discover.ts';
import { step as audit } from '../../src/demo/steps/70-audit.ts';
import { step as drift } from '../../src/demo/steps/75-drift.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';

const sink = new Writable({ write: (_c, _e, cb) => cb() });

test('demo steps: discover, audit of the sample configs, then baseline and drift with planned and unplanned changes', async () => {
  const work = mkdtempSync(join(tmpdir(), 'wl-checks-demo-'));
  const db = await openStore(join(work, 'store.db'));
  try {
    const ctx: DemoContext = {
      root: REPO, modelPath: join(REPO, 'examples', 'hospital'), capturesDir: join(REPO, 'examples', 'hospital', 'captures'),
      workDir: work, db, out: new Output({ json: false, quiet: true, stdout: sink, stderr: sink }), results: new Map(),
    };
    // The flows come from the real sample captures, through the discover step.
    await discover.run(ctx);
    const a = await audit.run(ctx);
    const report = JSON.parse(readFileSync(join(work, 'audit.json'), 'utf8')) as { files: unknown[]; findings: Array<{ location?: { line?: number } }> };
    assert.ok(report.files.length >= 3);
    assert.ok(report.findings.length > 0 && report.findings.every((f) => f.location?.line));
    assert.match(a.summary[0], /configuration files audited/);
    const d = await drift.run(ctx);
    const out = JSON.parse(readFileSync(join(work, 'drift.json'), 'utf8')) as { drift: Array<{ classification: string; kind: string; asset?: string; ticket?: string }> };
    assert.ok(out.drift.some((x) => x.kind === 'flow' && x.classification === 'unplanned'), 'new flows after the baseline are unplanned');
    assert.ok(out.drift.some((x) => x.kind === 'flow' && x.classification === 'planned' && x.ticket === 'CHG-2042'), 'the ticketed source is planned');
    assert.ok(out.drift.some((x) => x.classification === 'planned' && x.asset === 'pacs-main' && x.ticket === 'CHG-2041'), 'planned change to pacs-main');
    assert.ok(out.drift.some((x) => x.classification === 'unplanned' && x.asset === 'patient-portal'), 'unplanned change to the portal');
    assert.ok(d.summary.length >= 3);
    const stored = await db.all<{ source: string; n: number }>('SELECT source, COUNT(*) AS n FROM findings GROUP BY source ORDER BY source');
    assert.deepEqual(stored.map((r) => r.source), ['audit', 'drift'], 'both steps store their findings');
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
});
