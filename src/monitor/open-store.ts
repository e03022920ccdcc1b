/**
 * Opening the store from several workers at once: they may race to apply
 * the same migration on PostgreSQL, and the loser's DDL fails. Retrying
 * finds the migration applied by the winner.
 */
import { InputError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { openStore } from '../store/open.ts';

export async function openStoreShared(spec: string | undefined, attempts = 5): Promise<Db> {
  for (let i = 1; ; i++) {
    try {
      return await openStore(spec);
    } catch (err) {
      const racing = err instanceof InputError && /cannot prepare store/.test(err.message) && /duplicate key|already exists/.test(err.message);
      if (!racing || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 200 * i + Math.random() * 200));
    }
  }
}
