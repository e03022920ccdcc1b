/**
 * Observations in the store, on SQLite and on a real PostgreSQL: saving the
 * lab capture's observations twice merges them (sessions, bytes and AE-pair
 * counts double, facts stay unions) and loading gives them back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { discoverInputs } from '../../src/cli/commands/discover.ts';
import { mergeObservations } from '../../src/observations/merge.ts';
import { loadObservations, saveObservations } from '../../src/observations/persist.ts';
import { edgeKey, type Observations } from '../../src/observations/types.ts';
import { openStore } from '../../src/store/open.ts';
import { corpusFile } from '../helpers/corpus.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';

const LAB = corpusFile('lab', 'lab_hospital.pcap');
let dir: string;
let pg: PostgresHandle;
let obs: Observations;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wl-capture-store-'));
  pg = await startPostgres();
  obs = (await discoverInputs([LAB])).observations;
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const aeCount = (o: Observations) => o.edges.flatMap((e) => e.facts.dicom?.aePairs ?? []).reduce((n, p) => n + p.count, 0);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`observations store on ${kind}`, () => {
    test('two saves merge; load returns the merged observations', async () => {
      const db = await openStore(kind === 'sqlite' ? join(dir, 'obs.db') : pg.url);
      try {
        const first = await saveObservations(db, obs);
        assert.equal(first.newEdges, obs.edges.length);
        const second = await saveObservations(db, obs);
        assert.equal(second.newEdges, 0);
        const back = await loadObservations(db);
        assert.equal(back.edges.length, obs.edges.length);
        assert.equal(back.hosts.length, obs.hosts.length);
        const byKey = new Map(back.edges.map((e) => [edgeKey(e), e]));
        for (const e of obs.edges) {
          const b = byKey.get(edgeKey(e))!;
          assert.equal(b.sessions, 2 * e.sessions);
          assert.equal(b.packets, 2 * e.packets);
          assert.equal(b.firstSeen, Math.round(e.firstSeen));
          assert.deepEqual(b.sources, ['pcap']);
          assert.deepEqual(b.label, e.label);
          assert.deepEqual(Object.keys(b.facts).sort(), Object.keys(e.facts).sort());
        }
        assert.equal(aeCount(back), 2 * aeCount(obs));
        const pacs = back.hosts.find((h) => h.address === '10.77.0.10')!;
        const pacsBefore = obs.hosts.find((h) => h.address === '10.77.0.10')!;
        assert.deepEqual([...pacs.aeTitles].sort(), [...pacsBefore.aeTitles].sort());
        assert.deepEqual(pacs.listeningPorts.length, pacsBefore.listeningPorts.length);
      } finally {
        await db.close();
      }
    });
  });
}

test('mergeObservations joins edges across sources and keeps their facts', () => {
  const netflowEdge = { ...structuredClone(obs.edges[0]), sources: ['netflow'], facts: {}, sessions: 3 };
  const m = mergeObservations(obs, { edges: [netflowEdge], hosts: [], anomalies: [], inputs: [] });
  const e = m.edges.find((x) => edgeKey(x) === edgeKey(obs.edges[0]))!;
  assert.deepEqual(e.sources, ['pcap', 'netflow']);
  assert.equal(e.sessions, obs.edges[0].sessions + 3);
  assert.deepEqual(e.facts, obs.edges[0].facts);
  // The inputs are not modified.
  assert.deepEqual(obs.edges[0].sources, ['pcap']);
});
