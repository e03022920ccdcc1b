import type { Db } from '../store/db.ts';
import { snapshotModel } from './snapshot.ts';
import type { SiteModel } from './types.ts';

export interface StoredSnapshot {
  id: number;
  createdAt: number;
  site: string;
  hash: string;
  /** False when the latest stored snapshot already had this hash. */
  added: boolean;
}

/**
 * Records the model as it is now, unless it is unchanged since the last
 * snapshot: the history is then one row per real change of the design,
 * which is what an auditor asks for ("what did the zoning look like on ...").
 */
export async function saveModelSnapshot(db: Db, model: SiteModel, root?: string, now = Date.now()): Promise<StoredSnapshot> {
  const snap = snapshotModel(model, root);
  const last = await db.get<{ id: number; created_at: number; hash: string }>(
    'SELECT id, created_at, hash FROM model_snapshots ORDER BY id DESC LIMIT 1');
  if (last && last.hash === snap.hash) {
    return { id: Number(last.id), createdAt: Number(last.created_at), site: model.site.name, hash: snap.hash, added: false };
  }
  await db.run('INSERT INTO model_snapshots (created_at, site, hash, model_json) VALUES (?, ?, ?, ?)', [now, model.site.name, snap.hash, snap.json]);
  const row = await db.get<{ id: number }>('SELECT id FROM model_snapshots WHERE hash = ? ORDER BY id DESC LIMIT 1', [snap.hash]);
  return { id: Number(row?.id), createdAt: now, site: model.site.name, hash: snap.hash, added: true };
}

export async function listModelSnapshots(db: Db): Promise<Array<Omit<StoredSnapshot, 'added'>>> {
  const rows = await db.all<{ id: number; created_at: number; site: string; hash: string }>(
    'SELECT id, created_at, site, hash FROM model_snapshots ORDER BY id');
  return rows.map((r) => ({ id: Number(r.id), createdAt: Number(r.created_at), site: r.site, hash: r.hash }));
}

/** A stored snapshot's model, for comparing the design then and now. */
export async function loadModelSnapshot(db: Db, id: number): Promise<SiteModel | undefined> {
  const row = await db.get<{ model_json: string }>('SELECT model_json FROM model_snapshots WHERE id = ?', [id]);
  return row ? (JSON.parse(row.model_json) as SiteModel) : undefined;
}
