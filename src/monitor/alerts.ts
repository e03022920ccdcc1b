/**
 * The alert lifecycle, kept in the store so that restarts and several
 * consumers agree: a finding opens an alert (open), later sightings keep it
 * active without a new event, and an alert unseen for `resolveAfterMs` is
 * resolved. Each transition is one event whose idempotency key names the
 * alert, the transition and the episode, so it is emitted exactly once.
 */
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/severity.ts';
import { flowEndpoints, type AlertState, type SiemEvent } from '../outputs/siem/event.ts';
import type { Db } from '../store/db.ts';
import { Yielder } from './yield.ts';

interface AlertRow {
  id: string;
  rule: string;
  severity: Severity;
  subject: string;
  title: string;
  state: AlertState;
  episode: number;
  first_seen: number;
  last_seen: number;
}

export function alertEvent(kind: 'open' | 'resolved' | 'active', f: Pick<Finding, 'id' | 'rule' | 'severity' | 'title' | 'subject' | 'zone' | 'process' | 'evidence'>, episode: number, ts: number, site?: string): SiemEvent {
  return {
    id: `${site ? `${site}/` : ''}${f.id}#${kind}@${episode}`,
    ts, kind: `alert.${kind}`, rule: f.rule, severity: f.severity, state: kind, title: f.title, subject: f.subject,
    site: site || undefined, zone: f.zone, process: f.process, ...flowEndpoints(f.subject), evidence: f.evidence,
  };
}

/**
 * Which alerts this process wrote recently: an alert still active is touched
 * in the store at most every `touchEveryMs`, so a steady stream of the same
 * violations costs no store writes (resolution works on the touched time,
 * so resolve-after must exceed the touch interval).
 */
export class AlertMemo {
  readonly touched = new Map<string, number>();
  readonly touchEveryMs: number;
  /** Moves whenever an entry is forgotten, so that copies of `touched` held elsewhere (the engine's finding slots) know to ask again. */
  epoch = 0;

  constructor(touchEveryMs: number) {
    this.touchEveryMs = touchEveryMs;
  }

  /**
   * Forgets entries touched `touchEveryMs` ago or more: they no longer save a
   * write, and without this the memo would keep every alert that another
   * process resolved (a scaled-out worker's) or that never came back.
   */
  forgetStale(now: number): void {
    let forgot = false;
    for (const [id, t] of this.touched) {
      if (now - t >= this.touchEveryMs) {
        this.touched.delete(id);
        forgot = true;
      }
    }
    if (forgot) this.epoch++;
  }
}

/** Records sightings of findings; returns the events of alerts that opened (or re-opened after resolving). */
export async function observeFindings(t: Db, findings: readonly Finding[], now: number, site = '', memo?: AlertMemo): Promise<SiemEvent[]> {
  const out: SiemEvent[] = [];
  const y = new Yielder();
  for (const f of findings) {
    const id = site ? `${site}/${f.id}` : f.id;
    const last = memo?.touched.get(id);
    if (memo && last !== undefined && now - last < memo.touchEveryMs) continue;
    memo?.touched.set(id, now);
    await y.step();
    const ins = await t.run(
      `INSERT INTO monitor_alerts (id, rule, severity, subject, title, state, episode, first_seen, last_seen, sightings, site)
       VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, 1, ?) ON CONFLICT (id) DO NOTHING`,
      [id, f.rule, f.severity, f.subject, f.title, now, now, now, site],
    );
    if (ins.changes === 1) {
      out.push(alertEvent('open', f, now, now, site));
      continue;
    }
    // Re-open a resolved alert as a new episode; the guard makes the transition happen once even with racing consumers.
    const re = await t.run(
      "UPDATE monitor_alerts SET state = 'open', episode = ?, last_seen = ?, sightings = sightings + 1, severity = ?, title = ? WHERE id = ? AND state = 'resolved'",
      [now, now, f.severity, f.title, id],
    );
    if (re.changes === 1) {
      out.push(alertEvent('open', f, now, now, site));
      continue;
    }
    await t.run("UPDATE monitor_alerts SET state = 'active', last_seen = ?, sightings = sightings + 1 WHERE id = ? AND last_seen <= ?", [now, id, now]);
  }
  return out;
}

/** Resolves alerts not seen for `resolveAfterMs`; returns their events. */
export async function resolveStale(t: Db, now: number, resolveAfterMs: number, site = '', memo?: AlertMemo): Promise<SiemEvent[]> {
  const rows = await t.all<AlertRow>(
    "SELECT id, rule, severity, subject, title, state, episode, first_seen, last_seen FROM monitor_alerts WHERE state IN ('open', 'active') AND last_seen < ? AND site = ?",
    [now - resolveAfterMs, site],
  );
  const out: SiemEvent[] = [];
  for (const r of rows) {
    const u = await t.run("UPDATE monitor_alerts SET state = 'resolved' WHERE id = ? AND state <> 'resolved' AND episode = ?", [r.id, Number(r.episode)]);
    if (u.changes !== 1) continue;
    if (memo?.touched.delete(r.id)) memo.epoch++;
    const fid = site && r.id.startsWith(`${site}/`) ? r.id.slice(site.length + 1) : r.id;
    out.push(alertEvent('resolved', { id: fid, rule: r.rule, severity: r.severity, title: `Resolved: ${r.title}`, subject: r.subject, evidence: { lastSeen: new Date(Number(r.last_seen)).toISOString(), openedAt: new Date(Number(r.episode)).toISOString() } }, Number(r.episode), now, site));
  }
  memo?.forgetStale(now);
  return out;
}

export async function alertCounts(db: Db): Promise<Record<AlertState, number>> {
  const rows = await db.all<{ state: AlertState; n: number }>('SELECT state, COUNT(*) AS n FROM monitor_alerts GROUP BY state');
  const out: Record<AlertState, number> = { open: 0, active: 0, resolved: 0 };
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}
