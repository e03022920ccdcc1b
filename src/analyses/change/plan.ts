import { InputError } from '../../core/errors.ts';
import { parseCidr } from '../../core/net.ts';
import type { Db } from '../../store/db.ts';

/**
 * An approved change: a ticket, what it may touch and when. Scope entries
 * are CIDRs or addresses, model asset names, or config file paths.
 */
export interface ChangePlan {
  id?: number;
  ticket: string;
  createdAt: number;
  windowStart: number;
  windowEnd: number;
  scope: { cidrs: string[]; assets: string[]; files: string[] };
  note?: string;
}

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;

function time(s: string, what: string): number {
  // A bare local date-time is read as UTC so that every machine agrees; write Z or an offset to be explicit.
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(s) ? `${s.length === 10 ? `${s}T00:00` : s}Z` : s;
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw new InputError(`--window: ${what} '${s}' is not an ISO date-time`, { hint: 'e.g. --window 2026-12-01T22:00Z/2026-12-02T02:00Z or --window 2026-12-01T22:00Z/4h' });
  return t;
}

/** "START/END" or "START/DURATION" (30m, 4h, 2d). */
export function parseWindow(w: string): { start: number; end: number } {
  const parts = w.split('/');
  if (parts.length !== 2) throw new InputError(`--window takes START/END or START/DURATION, not '${w}'`);
  const start = time(parts[0], 'start');
  const d = DURATION.exec(parts[1]);
  const end = d ? start + Number(d[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 'm' | 'h' | 'd'] : time(parts[1], 'end');
  if (end <= start) throw new InputError(`--window ends before it starts: '${w}'`);
  return { start, end };
}

export function parseScopeEntries(entries: string[]): ChangePlan['scope'] {
  const scope: ChangePlan['scope'] = { cidrs: [], assets: [], files: [] };
  for (const e of entries.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    if (parseCidr(e)) scope.cidrs.push(e);
    else if (e.includes('/') || /\.(json|cfg|conf)$/i.test(e)) scope.files.push(e);
    else scope.assets.push(e);
  }
  if (!scope.cidrs.length && !scope.assets.length && !scope.files.length) throw new InputError('--scope needs asset names, CIDRs or config files');
  return scope;
}

export async function savePlan(db: Db, p: ChangePlan): Promise<ChangePlan> {
  await db.run('INSERT INTO cc_changes (ticket, created_at, window_start, window_end, scope_json, note) VALUES (?, ?, ?, ?, ?, ?)',
    [p.ticket, p.createdAt, p.windowStart, p.windowEnd, JSON.stringify(p.scope), p.note ?? null]);
  const row = await db.get<{ id: number }>('SELECT MAX(id) AS id FROM cc_changes WHERE ticket = ?', [p.ticket]);
  return { ...p, id: Number(row?.id) };
}

export async function listPlans(db: Db): Promise<ChangePlan[]> {
  const rows = await db.all<{ id: number; ticket: string; created_at: number; window_start: number; window_end: number; scope_json: string; note: string | null }>(
    'SELECT * FROM cc_changes ORDER BY window_start, id');
  return rows.map((r) => ({
    id: Number(r.id), ticket: r.ticket, createdAt: Number(r.created_at), windowStart: Number(r.window_start), windowEnd: Number(r.window_end),
    scope: JSON.parse(r.scope_json) as ChangePlan['scope'], note: r.note ?? undefined,
  }));
}
