/**
 * Standards each check rule rests on. Section names follow the project's
 * healthcare-security reference (IEC 62443 FR5, HIPAA 164.312, HICP
 * Practice 6, and its check catalogue SEG-2/SEG-3/MON-1/FLOW-1).
 */
const SR51 = 'IEC 62443-3-3 SR 5.1 (network segmentation)';
const SR52 = 'IEC 62443-3-3 SR 5.2 (zone boundary protection)';
const HIPAA_E = 'HIPAA 45 CFR 164.312(e)(1) (transmission security)';
const HIPAA_A = 'HIPAA 45 CFR 164.312(a)(1) (access control)';
const HICP_6A = 'HICP Practice 6.M.A (network profiles and firewalls, default-deny)';
const HICP_6B = 'HICP Practice 6.M.B (network segmentation)';
const HICP_6LC = 'HICP Practice 6.L.C (anomalous network monitoring)';
const REF = 'Wardline healthcare-security reference';

export const RULE_REFERENCES: Record<string, string[]> = {
  'check.no-conduit': [SR51, SR52, HICP_6A, HICP_6B, `${REF}: SEG-2`],
  'check.wrong-service': [SR52, HICP_6A, `${REF}: SEG-2`],
  'check.identity': [SR52, HIPAA_A, `${REF}: FLOW-2, MON-1`],
  'check.cleartext-phi': [HIPAA_E, 'DICOM PS3.15 Annex B.12 (TLS secure transport)', `${REF}: EXP-5`],
  'check.phi-not-allowed': [HIPAA_A, SR52],
  'check.data-minimisation': ['HIPAA 45 CFR 164.502(b) (minimum necessary)', HIPAA_A, `${REF}: FLOW-1`],
  'check.phi-exposed': [SR51, SR52, HICP_6B, `${REF}: SEG-3, EXP-1`],
  'check.external-no-partner': [SR52, HIPAA_E, HICP_6A],
  'check.unknown-asset': [SR51, 'HICP Practice 9.M.D (asset management)', `${REF}: SEG-1`],
  'check.scan': [HICP_6LC, 'IEC 62443-3-3 FR6 (timely response to events)', `${REF}: MON-1`],
  'check.conduit-unused': [SR52, HICP_6A],
  'check.conduit-expired': [SR52, HICP_6A],
  'check.conduit-broad': [SR52, HICP_6A, `${REF}: SEG-2 (restricted to source, destination, service and port)`],
};
