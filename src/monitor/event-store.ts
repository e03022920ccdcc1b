/**
 * Every event goes into the store's events table before anything is
 * forwarded or acknowledged. The idempotency key is UNIQUE: a redelivered
 * batch or a restarted monitor that derives the same event inserts nothing,
 * and only a first insert is forwarded.
 */
import type { SiemEvent } from '../outputs/siem/event.ts';
import type { Db } from '../store/db.ts';

/** True when the event is new (and now stored); false when its key was already there. */
export async function storeEvent(t: Db, ev: SiemEvent): Promise<boolean> {
  const r = await t.run(
    'INSERT INTO events (ts, kind, severity, subject, payload_json, idempotency_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING',
    [ev.ts, ev.kind, ev.severity, ev.subject, JSON.stringify(ev), ev.id],
  );
  return r.changes === 1;
}

export async function listEvents(db: Db, opts: { since?: number; kind?: string; limit?: number } = {}): Promise<SiemEvent[]> {
  const rows = await db.all<{ payload_json: string }>(
    `SELECT payload_json FROM events WHERE ts >= ?${opts.kind ? ' AND kind = ?' : ''} AND kind LIKE 'alert.%' ORDER BY id LIMIT ?`,
    opts.kind ? [opts.since ?? 0, opts.kind, opts.limit ?? 100_000] : [opts.since ?? 0, opts.limit ?? 100_000],
  );
  return rows.map((r) => JSON.parse(r.payload_json) as SiemEvent);
}
