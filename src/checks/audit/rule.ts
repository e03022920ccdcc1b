import type { Finding } from '../../core/finding.ts';
import type { Severity } from '../../core/severity.ts';

/** Where in a file a rule found its problem. */
export interface Hit {
  line?: number;
  column?: number;
  /** Human-readable facts; never a password or other secret value. */
  evidence: Record<string, unknown>;
}

export interface RuleMeta {
  id: string;
  title: string;
  severity: Severity;
  rationale: string;
  fix: string;
  references: string[];
  /** Catalogue id from the reference check catalogue, e.g. CFG-O1. */
  catalogue?: string;
}

/**
 * One configuration rule (Wazuh SCA / nmap NSE style): metadata plus a small
 * test over the parsed file. Adding a rule means adding one entry to a table
 * in orthanc-rules.ts, dcmqrscp-rules.ts or nginx-rules.ts, and a failing and
 * a passing fixture under test/fixtures/audit/.
 */
export interface AuditRule<C> extends RuleMeta {
  check(ctx: C): Hit[];
}

export function hitToFinding(rule: RuleMeta, file: string, hit: Hit): Finding {
  const where = hit.line !== undefined ? `:${hit.line}` : '';
  return {
    id: `${rule.id}@${file}${where}`,
    rule: rule.id,
    title: rule.title,
    severity: rule.severity,
    source: 'audit',
    subject: file,
    evidence: hit.evidence,
    rationale: rule.rationale,
    fix: rule.fix,
    references: rule.references,
    location: { file, line: hit.line, column: hit.column },
  };
}

export const REF = {
  orthancBook: 'Orthanc Book, "Securing Orthanc" (faq/security.rst)',
  orthancConfig: 'Orthanc Configuration.json defaults (OrthancServer/Resources/Configuration.json)',
  hipaaAccess: 'HIPAA 45 CFR 164.312(a)(1) access control',
  hipaaAuth: 'HIPAA 45 CFR 164.312(d) person or entity authentication',
  hipaaTransmission: 'HIPAA 45 CFR 164.312(e)(1) transmission security',
  ps315: 'DICOM PS3.15 Annex B.12 (BCP 195 / RFC 8996, RFC 9325 TLS profile)',
  hicp: 'HHS 405(d) HICP Technical Volume 2, Practice 6 (network management)',
  cve20250896: 'CVE-2025-0896 / ICSMA-25-037-02 (Orthanc remote access without authentication)',
  cve202333466: 'CVE-2023-33466 (Orthanc REST API write to file system)',
  exposure: 'Greenbone 2019 / Aplite 2023 / Trend Micro 2025 PACS exposure studies',
  dcmqrcnf: 'DCMTK dcmqrdb/docs/dcmqrcnf.txt and dcmqrscp.man',
  bcp195: 'BCP 195 (RFC 8996: TLS 1.0/1.1 deprecated; RFC 9325 recommendations)',
  owaspHeaders: 'OWASP Secure Headers Project',
  refDoc: 'Wardline reference: healthcare-security.md §4 and appendix',
} as const;
