/** The dashboard's audit log (logins, logouts, changes), in the store. */
import type { Db } from '../store/db.ts';

export interface AuditEntry {
  ts: number;
  actor: string;
  action: string;
  outcome: 'ok' | 'denied' | 'failed';
  address: string;
  detail: Record<string, unknown>;
}

export async function audit(db: Db, e: Omit<AuditEntry, 'ts'> & { ts?: number }): Promise<void> {
  await db.run('INSERT INTO dashboard_audit (ts, actor, action, outcome, address, detail_json) VALUES (?, ?, ?, ?, ?, ?)',
    [e.ts ?? Date.now(), e.actor, e.action, e.outcome, e.address, JSON.stringify(e.detail)]);
}

export async function listAudit(db: Db, limit = 200): Promise<AuditEntry[]> {
  const rows = await db.all<{ ts: number; actor: string; action: string; outcome: string; address: string; detail_json: string }>(
    'SELECT ts, actor, action, outcome, address, detail_json FROM dashboard_audit ORDER BY id DESC LIMIT ?', [limit]);
  return rows.map((r) => ({ ts: Number(r.ts), actor: r.actor, action: r.action, outcome: r.outcome as AuditEntry['outcome'], address: r.address, detail: JSON.parse(r.detail_json) as Record<string, unknown> }));
}
