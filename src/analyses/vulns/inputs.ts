/** What `vulns` reads from the store besides advisories: observations and the probe's findings. */
import type { Finding } from '../../core/finding.ts';
import type { Severity } from '../../core/severity.ts';
import type { Db } from '../../store/db.ts';

export async function loadFindings(db: Db, source: string): Promise<Finding[]> {
  const rows = await db.all<{ id: string; rule: string; title: string; severity: string; source: string; subject: string; evidence_json: string; references_json: string }>(
    'SELECT id, rule, title, severity, source, subject, evidence_json, references_json FROM findings WHERE source = ?', [source]);
  const out: Finding[] = [];
  for (const r of rows) {
    try {
      out.push({ id: r.id, rule: r.rule, title: r.title, severity: r.severity as Severity, source: r.source, subject: r.subject, evidence: JSON.parse(r.evidence_json) as Record<string, unknown>, references: JSON.parse(r.references_json) as string[] });
    } catch {
      // A row another tool wrote badly is not ours to fail on.
    }
  }
  return out;
}
