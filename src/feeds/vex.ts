/** VEX statements that take a match back: not_affected, false_positive, resolved. */
import type { SoftwareIdentity } from './identity.ts';
import type { VexStatement } from './sbom.ts';

export const SUPPRESSING_VEX = new Set(['not_affected', 'false_positive', 'resolved', 'resolved_with_pedigree']);

/** The statement covering this identity (by bom-ref or purl) for any of the vulnerability's ids. */
export function vexFor(id: SoftwareIdentity, vulnIds: readonly string[], vex: readonly VexStatement[]): VexStatement | undefined {
  if (!id.refs?.length) return undefined;
  const refs = new Set(id.refs);
  return vex.find((v) => SUPPRESSING_VEX.has(v.state) && vulnIds.includes(v.vuln) && v.refs.some((r) => refs.has(r)));
}
