import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import type { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { PostgresDb } from './postgres.ts';
import { SqliteDb } from './sqlite.ts';

export const DEFAULT_STORE = join('.wardline', 'wardline.db');

/** Opens (and migrates) the store: a postgres:// URL, or a SQLite file path. */
export async function openStore(spec?: string): Promise<Db> {
  const target = spec || process.env.WARDLINE_DB || DEFAULT_STORE;
  let db: Db;
  if (/^postgres(ql)?:\/\//.test(target)) {
    db = new PostgresDb(target);
  } else {
    try {
      db = new SqliteDb(target);
    } catch (err) {
      throw new InputError(`cannot open store ${target}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw new InputError(`cannot prepare store ${db.location}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}
