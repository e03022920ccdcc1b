/**
 * A small, documented table of software that is end-of-life or outdated
 * enough to flag on its own, whatever the feeds say. Keep it short and
 * sourced; it is a prompt for clinical engineering, not a lifecycle database.
 */
import type { SoftwareIdentity } from '../../feeds/identity.ts';
import { compareVersions } from '../../feeds/version.ts';

export interface LifecycleRule {
  id: string;
  /** Product key (normalised CPE product) or a regex on the identity's display text. */
  product?: string;
  text?: RegExp;
  /** Applies below this version (exclusive); absent: any version. */
  below?: string;
  status: 'end-of-life' | 'outdated';
  why: string;
  fix: string;
  reference: string;
}

export const LIFECYCLE: readonly LifecycleRule[] = [
  {
    id: 'dcmtk-3.5', product: 'dcmtk', below: '3.6.0', status: 'end-of-life',
    why: 'DCMTK 3.5.x (2010 and older) gets no fixes; every DCMTK advisory since (ICSMA-22-174-01 path traversal, the 2024 Talos set) applies unpatched.',
    fix: 'Ask the device vendor for a release on a current DCMTK (3.6.9 or later), or isolate the device behind a DICOM proxy.',
    reference: 'ICSMA-22-174-01 (DCMTK < 3.6.7); OFFIS DCMTK release history',
  },
  {
    id: 'dcmtk-pre-3.6.7', product: 'dcmtk', below: '3.6.7', status: 'outdated',
    why: 'DCMTK before 3.6.7 has the SCP/SCU path traversal and NULL dereference fixed in 3.6.7 (CVE-2022-2119, -2120, -2121).',
    fix: 'Update to DCMTK 3.6.9 or later.', reference: 'ICSMA-22-174-01',
  },
  {
    id: 'orthanc-pre-1.12', product: 'orthanc', below: '1.12.0', status: 'outdated',
    why: 'Orthanc before 1.12.0 lets an authenticated API user write files (CVE-2023-33466); 1.12.0 made RestApiWriteToFileSystemEnabled default off.',
    fix: 'Update Orthanc to the current 1.12.x release and keep RestApiWriteToFileSystemEnabled false.', reference: 'CVE-2023-33466; Orthanc NEWS 1.12.0',
  },
  {
    id: 'windows-xp-7', text: /\bwindows[ _](xp|7|vista|2000|server[ _]2003|server[ _]2008)\b|windows_(xp|7|vista|server_2003|server_2008)/i, status: 'end-of-life',
    why: 'Windows XP, Vista, 7, Server 2003/2008 (often embedded in modalities) receive no security updates.',
    fix: 'Plan replacement or a vendor-supported upgrade; meanwhile isolate in a modality zone with only the conduits it needs.',
    reference: 'Microsoft lifecycle (XP 2014-04-08, 7 2020-01-14 end of support); HICP TV2 Practice 9',
  },
  {
    id: 'postgresql-pre-13', product: 'postgresql', below: '13', status: 'end-of-life',
    why: 'PostgreSQL 12 and older are out of community support (12 ended November 2024).', fix: 'Upgrade to a supported major release.',
    reference: 'PostgreSQL versioning policy',
  },
];

export function lifecycleOf(id: SoftwareIdentity): LifecycleRule | undefined {
  for (const r of LIFECYCLE) {
    if (r.product && r.product !== id.product) continue;
    if (r.text && !r.text.test(`${id.display} ${id.product}`)) continue;
    if (r.below) {
      if (!id.version || compareVersions(id.version, r.below) >= 0) continue;
    }
    return r;
  }
  return undefined;
}
