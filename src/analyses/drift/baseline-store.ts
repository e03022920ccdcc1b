import { InputError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import type { ItemKind, SnapshotItem } from './snapshot.ts';

export interface BaselineSources {
  configs: string[];
  probeResults?: string;
  observations: boolean;
}

export interface Baseline {
  id: number;
  name: string;
  createdAt: number;
  sources: BaselineSources;
  items: SnapshotItem[];
}

export async function saveBaseline(db: Db, name: string, sources: BaselineSources, items: SnapshotItem[], opts: { replace?: boolean; now?: number } = {}): Promise<Baseline> {
  return db.tx(async (t) => {
    const old = await t.get<{ id: number }>('SELECT id FROM cc_baselines WHERE name = ?', [name]);
    if (old && !opts.replace) throw new InputError(`a baseline named '${name}' exists`, { hint: 'choose another --name, or --replace it' });
    if (old) {
      await t.run('DELETE FROM cc_baseline_items WHERE baseline_id = ?', [Number(old.id)]);
      await t.run('DELETE FROM cc_baselines WHERE id = ?', [Number(old.id)]);
    }
    const createdAt = opts.now ?? Date.now();
    await t.run('INSERT INTO cc_baselines (name, created_at, sources_json) VALUES (?, ?, ?)', [name, createdAt, JSON.stringify(sources)]);
    const row = await t.get<{ id: number }>('SELECT id FROM cc_baselines WHERE name = ?', [name]);
    const id = Number(row!.id);
    for (const i of items) {
      await t.run(
        'INSERT INTO cc_baseline_items (baseline_id, kind, subject, item_key, value, asset, addresses_json) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (baseline_id, kind, subject, item_key) DO UPDATE SET value = excluded.value',
        [id, i.kind, i.subject, i.key, i.value, i.asset ?? null, JSON.stringify(i.addresses)],
      );
    }
    return { id, name, createdAt, sources, items };
  });
}

/** A named baseline, or the latest one. */
export async function loadBaseline(db: Db, name?: string): Promise<Baseline> {
  const row = name
    ? await db.get<{ id: number; name: string; created_at: number; sources_json: string }>('SELECT * FROM cc_baselines WHERE name = ?', [name])
    : await db.get<{ id: number; name: string; created_at: number; sources_json: string }>('SELECT * FROM cc_baselines ORDER BY created_at DESC, id DESC LIMIT 1');
  if (!row) throw new InputError(name ? `no baseline named '${name}'` : 'no baseline recorded yet', { hint: 'wardline baseline --name NAME --configs FILES records one' });
  const items = await db.all<{ kind: string; subject: string; item_key: string; value: string; asset: string | null; addresses_json: string }>(
    'SELECT kind, subject, item_key, value, asset, addresses_json FROM cc_baseline_items WHERE baseline_id = ?', [Number(row.id)]);
  return {
    id: Number(row.id), name: row.name, createdAt: Number(row.created_at), sources: JSON.parse(row.sources_json) as BaselineSources,
    items: items.map((r) => ({ kind: r.kind as ItemKind, subject: r.subject, key: r.item_key, value: r.value, asset: r.asset ?? undefined, addresses: JSON.parse(r.addresses_json) as string[] })),
  };
}

export async function listBaselines(db: Db): Promise<Array<{ name: string; createdAt: number; items: number }>> {
  const rows = await db.all<{ name: string; created_at: number; n: number }>(
    'SELECT b.name, b.created_at, COUNT(i.item_key) AS n FROM cc_baselines b LEFT JOIN cc_baseline_items i ON i.baseline_id = b.id GROUP BY b.id, b.name, b.created_at ORDER BY b.created_at');
  return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at), items: Number(r.n) }));
}
