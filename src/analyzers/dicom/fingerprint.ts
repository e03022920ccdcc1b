/**
 * Implementation Class UID (item 0x52) and Implementation Version Name (0x55)
 * to a software identity. Prefixes and name patterns are documented in the
 * reference notes (healthcare-security.md §3 "Fingerprinting"): DCMTK uses
 * 1.2.276.0.7230010.3.0.<version> and OFFIS_DCMTK_<digits>; Orthanc presents
 * the DCMTK it was built with, so it fingerprints as DCMTK.
 */
import type { HostFacts } from '../../observations/types.ts';

export type Software = HostFacts['software'][number];

interface Rule {
  vendor?: string;
  product: string;
  uidPrefix?: string;
  /** Version name pattern; group 1 is the version. */
  name?: RegExp;
  /** Organisation root only: says who, not which product. */
  vendorOnly?: boolean;
}

const RULES: Rule[] = [
  { vendor: 'OFFIS', product: 'DCMTK', uidPrefix: '1.2.276.0.7230010.3.', name: /^OFFIS[_-]DCM(?:TK|BP)[_-](\d+)/i },
  { product: 'dcm4che', uidPrefix: '1.2.40.0.13.1.', name: /^dcm4che-?([\d.]+)?/i },
  { product: 'fo-dicom', uidPrefix: '1.3.6.1.4.1.30071.8', name: /^fo-dicom\s*([\d.]+)?/i },
  { product: 'pynetdicom', uidPrefix: '1.2.826.0.1.3680043.9.3811.', name: /^PYNETDICOM[_-]?(\d+)/i },
  { product: 'pydicom', uidPrefix: '1.2.826.0.1.3680043.8.498.', name: /^PYDICOM\s*([\d.]+)?/i },
  { product: 'GDCM', uidPrefix: '1.2.826.0.1.3680043.2.1143.', name: /^GDCM\s*([\d.]+)?/i },
  { vendor: 'Merge Healthcare', product: 'MergeCOM-3', uidPrefix: '2.16.840.1.113669.', name: /^MergeCOM-?3?[_\s-]*([\d.]+)?/i },
  { product: 'go-dicom', uidPrefix: '1.2.826.0.1.3680043.9.7133', name: /^GODICOM[_-]?([\d_.]+)?/i },
  { product: 'ClearCanvas', name: /^ClearCanvas\s*([\d.]+)?/i },
  { product: 'Orthanc', name: /^Orthanc\s*([\d.]+)?/i },
  { vendor: 'Philips', product: 'Philips', uidPrefix: '1.3.46.670589.', vendorOnly: true },
  { vendor: 'GE Healthcare', product: 'GE Healthcare', uidPrefix: '1.2.840.113619.', vendorOnly: true },
  { vendor: 'Siemens Healthineers', product: 'Siemens', uidPrefix: '1.3.12.2.1107.', vendorOnly: true },
  { vendor: 'Agfa', product: 'Agfa', uidPrefix: '1.2.124.113532.', vendorOnly: true },
  { vendor: 'Carestream', product: 'Carestream', uidPrefix: '1.2.840.113564.', vendorOnly: true },
  { vendor: 'Fujifilm/Canon', product: 'Fujifilm/Canon', uidPrefix: '1.2.392.200036.', vendorOnly: true },
];

/** "367" -> "3.6.7", "3610" -> "3.6.10" (DCMTK numbers its versions major.minor.patch). */
function digitsToVersion(raw: string): string {
  const d = raw.replace(/_/g, '.');
  if (d.includes('.')) return d;
  if (d.length === 3) return `${d[0]}.${d[1]}.${d[2]}`;
  if (d.length === 4) return `${d[0]}.${d[1]}.${d.slice(2)}`;
  return d;
}

function versionFromUid(uid: string, prefix: string): string | undefined {
  const rest = uid.slice(prefix.length).replace(/^0\./, '');
  return /^\d+(\.\d+){1,3}$/.test(rest) ? rest : undefined;
}

/**
 * A software identity from what a peer announced, or undefined when neither
 * value is known. `source` says which side of the association it came from.
 */
export function fingerprint(classUid: string | undefined, versionName: string | undefined, source = 'dicom-implementation'): Software | undefined {
  if (!classUid && !versionName) return undefined;
  for (const r of RULES) {
    const uidHit = !!(classUid && r.uidPrefix && classUid.startsWith(r.uidPrefix));
    const m = versionName && r.name ? r.name.exec(versionName) : null;
    if (!uidHit && !m) continue;
    // An organisation root says who made it; the version name, if any, is the best product hint.
    if (r.vendorOnly) return { vendor: r.vendor, product: versionName || r.product, source, confidence: 'low' };
    let version = m?.[1] ? digitsToVersion(m[1]) : undefined;
    if (!version && uidHit && classUid && r.uidPrefix) version = versionFromUid(classUid, r.uidPrefix);
    return { vendor: r.vendor, product: r.product, version, source, confidence: uidHit && m ? 'high' : 'medium' };
  }
  if (versionName) return { product: versionName, source, confidence: 'low' };
  return undefined;
}

export function softwareLabel(s: Software): string {
  return s.version ? `${s.product} ${s.version}` : s.product;
}
