/** An SBOM on its own (no model): its components matched against the stored advisories, VEX applied. */
import { sbomComponentsAsIdentities } from '../../feeds/identity.ts';
import { dbIndex, matchIdentities } from '../../feeds/match.ts';
import type { Sbom, VexStatement } from '../../feeds/sbom.ts';
import { loadAdvisory } from '../../feeds/store.ts';
import { vexFor } from '../../feeds/vex.ts';
import type { Db } from '../../store/db.ts';

export interface SbomVuln {
  component: string;
  vuln: string;
  aliases: string[];
  cvss?: number;
  why: string;
  fixed?: string;
  suppressed?: string;
}

export async function checkSbom(db: Db, sbom: Sbom, extraVex: readonly VexStatement[] = []): Promise<SbomVuln[]> {
  const identities = sbomComponentsAsIdentities(sbom.name ?? sbom.file, sbom);
  const vex = [...sbom.vex, ...extraVex];
  const out: SbomVuln[] = [];
  for (const m of await matchIdentities(identities, dbIndex(db))) {
    const a = await loadAdvisory(db, m.advKey);
    if (!a) continue;
    const ids = [a.id, ...a.aliases];
    const v = m.entry.status === 'affected' ? vexFor(m.identity, ids, vex) : undefined;
    out.push({
      component: m.identity.display, vuln: a.id, aliases: a.aliases, cvss: a.cvss?.score, why: m.why, fixed: m.entry.fixed,
      suppressed: m.entry.status !== 'affected' ? `${m.entry.status} per ${m.advKey}` : v ? `VEX ${v.state}${v.justification ? ` (${v.justification})` : ''} in ${v.file}` : undefined,
    });
  }
  return out.sort((x, y) => (y.cvss ?? 0) - (x.cvss ?? 0) || x.component.localeCompare(y.component));
}
