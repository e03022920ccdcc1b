import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dialectSql, type Db } from './db.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Migrations are files NNNN_name.ts exporting `sql` (portable, with the
 * {{autoid}}/{{blob}} tokens). Areas take number ranges so that they never
 * collide: 0001-0099 core, 0100 feeds, 0200 checks/change control,
 * 0300 monitor, 0400 dashboard.
 */
export async function loadMigrations(): Promise<Migration[]> {
  const files = readdirSync(DIR).filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f)).sort();
  const out: Migration[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(DIR, f)).href)) as { sql: string };
    out.push({ version: Number(f.slice(0, 4)), name: f.slice(5, -3), sql: mod.sql });
  }
  return out;
}

export async function migrate(db: Db): Promise<number[]> {
  const migrations = await loadMigrations();
  // One transaction for the whole upgrade, behind a lock: several processes
  // (monitor workers, a dashboard) may open a fresh store at the same moment,
  // and exactly one of them must apply each migration. PostgreSQL takes an
  // advisory lock; SQLite's BEGIN IMMEDIATE already admits one writer.
  return db.tx(async (t) => {
    if (db.kind === 'postgres') await t.get('SELECT pg_advisory_xact_lock(727647)');
    await t.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const done = new Set((await t.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await t.exec(dialectSql(m.sql, db.kind));
      await t.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    return applied;
  });
}
