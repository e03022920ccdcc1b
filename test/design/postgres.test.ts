/**
 * check on a real PostgreSQL store: observations read back, findings upserted
 * by id (a re-run updates, never duplicates), same results as on SQLite.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { saveObservations } from '../../src/observations/persist.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO } from '../helpers/corpus.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';
import { hospitalEdges } from './hospital.ts';

let pg: PostgresHandle;

before(async () => {
  pg = await startPostgres();
  const db = await openStore(pg.url);
  await saveObservations(db, { edges: hospitalEdges(), hosts: [], anomalies: [], inputs: [] });
  await db.close();
});

after(async () => {
  await pg?.stop();
});

function check(): { findings: Array<{ id: string }> } {
  const r = spawnSync(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), 'check', '--model', join(REPO, 'examples', 'hospital'), '--db', pg.url, '--json', '--now', '2026-11-28'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { findings: Array<{ id: string }> };
}

test('check stores findings in PostgreSQL and a re-run updates them in place', async () => {
  const first = check();
  const second = check();
  assert.deepEqual(second.findings.map((f) => f.id), first.findings.map((f) => f.id));
  const db = await openStore(pg.url);
  try {
    const rows = await db.all<{ n: number }>("SELECT COUNT(*) AS n FROM findings WHERE source = 'check'");
    assert.equal(Number(rows[0].n), first.findings.length);
    const kiosk = await db.get<{ severity: string }>("SELECT severity FROM findings WHERE rule = 'check.phi-exposed' AND subject LIKE '172.16.10.30>%'");
    assert.equal(kiosk?.severity, 'critical');
  } finally {
    await db.close();
  }
});
