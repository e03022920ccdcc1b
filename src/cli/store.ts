/** The store as a verb uses it: opened from --db for one run, closed whatever happens. */
import type { Db } from '../store/db.ts';
import { openStore } from '../store/open.ts';
import type { CommandContext } from './command.ts';

/** --db, or undefined for the default store. */
export function dbPath(opts: CommandContext['opts']): string | undefined {
  return typeof opts.db === 'string' ? opts.db : undefined;
}

export async function withStore<T>(opts: CommandContext['opts'], use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(dbPath(opts));
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}
