/** Findings into the store's findings table, upserted by id so re-runs update rather than duplicate. */
import type { Finding } from '../../core/finding.ts';
import type { Db } from '../../store/db.ts';

export async function saveFindings(db: Db, findings: readonly Finding[], now = Date.now()): Promise<void> {
  await db.tx(async (t) => {
    for (const f of findings) {
      await t.run(
        `INSERT INTO findings (id, rule, title, severity, source, subject, process, zone, evidence_json, references_json, rationale, fix, location_json, status, first_seen, last_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, severity = excluded.severity, evidence_json = excluded.evidence_json,
           references_json = excluded.references_json, rationale = excluded.rationale, fix = excluded.fix, location_json = excluded.location_json,
           last_seen = excluded.last_seen`,
        [f.id, f.rule, f.title, f.severity, f.source, f.subject, f.process ?? null, f.zone ?? null, JSON.stringify(f.evidence),
          JSON.stringify(f.references), f.rationale ?? null, f.fix ?? null, f.location ? JSON.stringify(f.location) : null,
          f.firstSeen ?? now, f.lastSeen ?? now],
      );
    }
  });
}
