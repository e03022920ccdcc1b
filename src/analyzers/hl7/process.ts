/**
 * HL7 v2 message types to the clinical process they belong to, after HL7
 * v2.5.1 Table 0076 and the chapter mapping in the reference notes
 * (healthcare-security.md §3 "HL7 v2 / MLLP").
 */

export type Hl7Process =
  | 'emr' | 'orders' | 'results' | 'medication-management' | 'billing' | 'scheduling' | 'documents'
  | 'queries' | 'referral' | 'master-files' | 'immunization' | 'lab-automation' | 'control' | 'other';

export interface Hl7Classification {
  process: Hl7Process;
  /** Human label: "Patient administration", "Orders (radiology)". */
  label: string;
  /** radiology, laboratory, pharmacy, dietary, monitoring: when the message or its endpoints tell. */
  department?: string;
}

const BY_CODE: Record<string, [Hl7Process, string]> = {
  ADT: ['emr', 'Patient administration'], ADR: ['emr', 'Patient administration'], QRY: ['queries', 'Queries'],
  ORM: ['orders', 'Orders'], ORR: ['orders', 'Orders'], OML: ['orders', 'Orders'], OMI: ['orders', 'Orders'],
  OMG: ['orders', 'Orders'], OMP: ['orders', 'Orders'], OMD: ['orders', 'Orders'], OMB: ['orders', 'Orders'],
  ORL: ['orders', 'Orders'], ORI: ['orders', 'Orders'], ORG: ['orders', 'Orders'],
  RDE: ['medication-management', 'Medication management'], RRE: ['medication-management', 'Medication management'],
  RDS: ['medication-management', 'Medication management'], RRD: ['medication-management', 'Medication management'],
  RGV: ['medication-management', 'Medication management'], RRG: ['medication-management', 'Medication management'],
  RAS: ['medication-management', 'Medication management'], RRA: ['medication-management', 'Medication management'],
  ROR: ['medication-management', 'Medication management'], RAR: ['medication-management', 'Medication management'],
  RDR: ['medication-management', 'Medication management'], RER: ['medication-management', 'Medication management'],
  RGR: ['medication-management', 'Medication management'],
  DFT: ['billing', 'Billing'], BAR: ['billing', 'Billing'],
  ORU: ['results', 'Results'], OUL: ['results', 'Results'], ORF: ['results', 'Results'],
  SIU: ['scheduling', 'Scheduling'], SRM: ['scheduling', 'Scheduling'], SRR: ['scheduling', 'Scheduling'],
  SQM: ['scheduling', 'Scheduling'], SQR: ['scheduling', 'Scheduling'],
  MDM: ['documents', 'Clinical documents'], DOC: ['documents', 'Clinical documents'],
  QBP: ['queries', 'Queries'], RSP: ['queries', 'Queries'], QSB: ['queries', 'Queries'], QCN: ['queries', 'Queries'],
  REF: ['referral', 'Referral'], RRI: ['referral', 'Referral'], RQA: ['referral', 'Referral'], RPA: ['referral', 'Referral'],
  MFN: ['master-files', 'Master files'], MFK: ['master-files', 'Master files'],
  VXU: ['immunization', 'Immunization'], VXQ: ['immunization', 'Immunization'],
  EAC: ['lab-automation', 'Lab automation'], ESU: ['lab-automation', 'Lab automation'], SSU: ['lab-automation', 'Lab automation'],
  ACK: ['control', 'Acknowledgement'], MCF: ['control', 'Acknowledgement'],
};

const DEPARTMENTS: Array<[RegExp, string]> = [
  [/\b(RAD|RIS|PACS|IMG|IMAGING|RADIOLOGY|XRAY|CT|MRI?)/i, 'radiology'],
  [/\b(LAB|LIS|PATH|CHEM|MICRO)/i, 'laboratory'],
  [/\b(PHARM|RX|PHARMACY|MED)/i, 'pharmacy'],
  [/\b(DIET|FOOD|NUTRITION)/i, 'dietary'],
  [/\b(MON|VITAL|MONITOR|ICU|PUMP)/i, 'monitoring'],
];

function departmentOf(...names: string[]): string | undefined {
  const text = names.filter(Boolean).join(' ').replace(/[_^.-]/g, ' ');
  for (const [re, d] of DEPARTMENTS) if (re.test(text)) return d;
  return undefined;
}

/**
 * Classifies a message by its MSH-9 code, with the department told by the
 * order type (OMI imaging, OML laboratory, OMP/RDE pharmacy) or, for general
 * orders and results, by the receiving (orders) or sending (results) side.
 */
export function classifyHl7(code: string, ends: { sendingApplication?: string; sendingFacility?: string; receivingApplication?: string; receivingFacility?: string } = {}): Hl7Classification {
  const hit = BY_CODE[code.toUpperCase()];
  if (!hit) return { process: 'other', label: code ? `Other (${code})` : 'Other' };
  const [process, base] = hit;
  let department: string | undefined;
  switch (code.toUpperCase()) {
    case 'OMI': case 'ORI': department = 'radiology'; break;
    case 'OML': case 'ORL': case 'OUL': department = 'laboratory'; break;
    case 'OMP': case 'RDE': case 'RDS': case 'RGV': case 'RAS': department = 'pharmacy'; break;
    case 'OMD': department = 'dietary'; break;
    case 'ORM': case 'ORR': case 'OMG': case 'SIU':
      department = departmentOf(ends.receivingApplication ?? '', ends.receivingFacility ?? '');
      break;
    case 'ORU':
      department = departmentOf(ends.sendingApplication ?? '', ends.sendingFacility ?? '');
      break;
    default: break;
  }
  return { process, label: department ? `${base} (${department})` : base, department };
}
