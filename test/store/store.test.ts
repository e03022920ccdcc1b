import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../src/store/db.ts';
import { toPgPlaceholders } from '../../src/store/db.ts';
import { loadMigrations } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';

/** The same round trip on both back ends: what goes in comes out, transactions roll back. */
async function roundTrip(db: Db): Promise<void> {
  const versions = (await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
  const expected = (await loadMigrations()).map((m) => m.version);
  assert.deepEqual(versions, expected);

  const facts = { dicom: { aePairs: [{ calling: 'CT_SCANNER01', called: 'PACS_MAIN', outcome: 'accepted', count: 2 }] } };
  await db.run(
    `INSERT INTO flow_edges (edge_key, src, dst, transport, dport, protocol, protocol_from, bytes, packets, sessions,
       first_seen, last_seen, encrypted, phi, facts_json, label_json, sources_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (edge_key) DO UPDATE SET bytes = flow_edges.bytes + excluded.bytes, sessions = flow_edges.sessions + excluded.sessions`,
    ['a>b/tcp/104/dicom', '10.20.10.11', '10.20.20.10', 'tcp', 104, 'dicom', 'content', 1000, 10, 1,
      1764331200000, 1764331201000, 0, 1, JSON.stringify(facts), null, '["pcap"]'],
  );
  await db.run(
    `INSERT INTO flow_edges (edge_key, src, dst, transport, dport, protocol, protocol_from, bytes, packets, sessions,
       first_seen, last_seen, encrypted, phi, facts_json, label_json, sources_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (edge_key) DO UPDATE SET bytes = flow_edges.bytes + excluded.bytes, sessions = flow_edges.sessions + excluded.sessions`,
    ['a>b/tcp/104/dicom', '10.20.10.11', '10.20.20.10', 'tcp', 104, 'dicom', 'content', 5_000_000_000, 10, 1,
      1764331200000, 1764331201000, 0, 1, JSON.stringify(facts), null, '["pcap"]'],
  );
  const row = await db.get<{ bytes: number; sessions: number; facts_json: string; dport: number }>(
    'SELECT bytes, sessions, facts_json, dport FROM flow_edges WHERE edge_key = ?', ['a>b/tcp/104/dicom']);
  assert.ok(row);
  assert.equal(Number(row.bytes), 5_000_001_000, 'BIGINT beyond 32 bits survives');
  assert.equal(Number(row.sessions), 2);
  assert.equal(Number(row.dport), 104);
  assert.deepEqual(JSON.parse(row.facts_json), facts);

  // A failing transaction leaves nothing behind.
  await assert.rejects(db.tx(async (t) => {
    await t.run(`INSERT INTO events (ts, kind, severity, subject, payload_json, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)`,
      [1, 'new-asset', 'low', '10.0.0.1', '{}', 'k1']);
    throw new Error('boom');
  }), /boom/);
  assert.equal((await db.all('SELECT * FROM events')).length, 0);

  // Idempotency keys reject duplicates, which is what redelivery relies on.
  await db.tx(async (t) => {
    await t.run(`INSERT INTO events (ts, kind, severity, subject, payload_json, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (idempotency_key) DO NOTHING`, [1, 'new-asset', 'low', '10.0.0.1', '{}', 'k1']);
    await t.run(`INSERT INTO events (ts, kind, severity, subject, payload_json, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (idempotency_key) DO NOTHING`, [2, 'new-asset', 'low', '10.0.0.1', '{}', 'k1']);
  });
  const events = await db.all<{ ts: number }>('SELECT ts FROM events');
  assert.equal(events.length, 1);
  assert.equal(Number(events[0].ts), 1);
}

describe('store on SQLite', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'wardline-store-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates, round-trips and rolls back', async () => {
    const db = await openStore(join(dir, 'nested', 'w.db'));
    try { await roundTrip(db); } finally { await db.close(); }
  });

  it('re-opening applies no migration twice and keeps the data', async () => {
    const path = join(dir, 'again.db');
    const a = await openStore(path);
    await a.run(`INSERT INTO runs (started_at, command) VALUES (?, ?)`, [1, 'discover']);
    await a.close();
    const b = await openStore(path);
    assert.equal((await b.all('SELECT * FROM runs')).length, 1);
    await b.close();
  });

  it('a path that cannot be a database is an input error', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a directory');
    await assert.rejects(openStore(join(file, 'w.db')), /cannot open store/);
  });
});

describe('store on a real PostgreSQL', () => {
  let pg: PostgresHandle;
  before(async () => { pg = await startPostgres(); });
  after(async () => { await pg?.stop(); });

  it('migrates, round-trips and rolls back', async () => {
    const db = await openStore(pg.url);
    try {
      assert.equal(db.kind, 'postgres');
      await roundTrip(db);
    } finally { await db.close(); }
  });

  it('several processes migrating a fresh database at once all succeed, each migration applied once', async () => {
    const setup = await openStore(pg.url);
    await setup.exec('CREATE SCHEMA race');
    await setup.close();
    const url = `${pg.url}?options=${encodeURIComponent('-c search_path=race')}`;
    const opened = await Promise.allSettled([openStore(url), openStore(url), openStore(url), openStore(url)]);
    for (const o of opened) assert.equal(o.status, 'fulfilled', o.status === 'rejected' ? String(o.reason) : '');
    const db = (opened[0] as PromiseFulfilledResult<Db>).value;
    const rows = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => Number(r.version)), (await loadMigrations()).map((m) => m.version));
    for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
  });
});

describe('placeholders', () => {
  it('turns ? into $n outside quotes', () => {
    assert.equal(toPgPlaceholders("SELECT ? , '?' , ?"), "SELECT $1 , '?' , $2");
  });
});
