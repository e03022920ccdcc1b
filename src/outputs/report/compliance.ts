/**
 * Which controls a finding speaks to, in the four frameworks an auditor of a
 * US hospital asks about. Sections follow the project's healthcare-security
 * reference, section 2 (HIPAA 45 CFR 164.312 [verified text], HICP Technical
 * Volume 2 practices 6 and 9, IEC 62443-3-3 FR/SR); NIST CSF 2.0 subcategory
 * ids are not in that reference and are given from the CSF 2.0 core
 * (PR.AA, PR.DS, PR.IR, PR.PS, DE.CM, ID.AM, ID.RA).
 *
 * Mapping is by exact rule id first, then by the longest matching rule
 * prefix (a category such as "audit.orthanc" or "probe.tls"), then by source.
 */
import type { Finding } from '../../core/finding.ts';

export interface ComplianceMapping {
  hipaa: string[];
  hicp: string[];
  iec62443: string[];
  nistCsf: string[];
}

export const FRAMEWORKS = [
  { key: 'hipaa', title: 'HIPAA Security Rule 45 CFR 164.312' },
  { key: 'hicp', title: 'HHS 405(d) HICP (Tech. Vol. 2)' },
  { key: 'iec62443', title: 'IEC 62443-3-3' },
  { key: 'nistCsf', title: 'NIST CSF 2.0' },
] as const;

export type FrameworkKey = (typeof FRAMEWORKS)[number]['key'];

// HIPAA 164.312 technical safeguards.
const H_ACCESS = '164.312(a)(1) Access control';
const H_UNIQUE = '164.312(a)(2)(i) Unique user identification';
const H_AUDIT = '164.312(b) Audit controls';
const H_INTEGRITY = '164.312(c)(1) Integrity';
const H_AUTH = '164.312(d) Person or entity authentication';
const H_TRANSMIT = '164.312(e)(1) Transmission security';
const H_ENCRYPT = '164.312(e)(2)(ii) Encryption';
// HICP practices.
const P_FW = 'Practice 6.M.A Network profiles and firewalls';
const P_SEG = 'Practice 6.M.B Network segmentation';
const P_ANOM = 'Practice 6.L.C Anomalous network monitoring';
const P_NAC = 'Practice 6.L.E Network access control';
const P_MED = 'Practice 9 Medical device security';
const P_ASSET = 'Practice 9.M.D Asset management';
const P_VULN = 'Practice 9.L.A Vulnerability management';
const P_IAM = 'Practice 9.M.C Identity and access management';
// IEC 62443-3-3 system requirements.
const I_AUTH = 'SR 1.1 Human user identification and authentication';
const I_DEVAUTH = 'SR 1.2 Software process and device identification and authentication';
const I_AUTHZ = 'SR 2.1 Authorization enforcement';
const I_AUDIT = 'SR 2.8 Auditable events';
const I_COMMINT = 'SR 3.1 Communication integrity';
const I_CONF = 'SR 4.1 Information confidentiality';
const I_CRYPTO = 'SR 4.3 Use of cryptography';
const I_SEG = 'SR 5.1 Network segmentation';
const I_ZBP = 'SR 5.2 Zone boundary protection';
const I_EVENTS = 'SR 6.2 Continuous monitoring';
const I_INV = 'SR 7.8 Control system component inventory';
const I_LEAST = 'SR 7.7 Least functionality';
// NIST CSF 2.0 subcategories.
const N_INV = 'ID.AM-01 Hardware inventories';
const N_FLOWS = 'ID.AM-03 Network data flows';
const N_VULN = 'ID.RA-01 Vulnerabilities identified';
const N_THREAT = 'ID.RA-02 Threat intelligence';
const N_AA = 'PR.AA-05 Access permissions';
const N_AUTHN = 'PR.AA-03 Users, services and hardware authenticated';
const N_TRANSIT = 'PR.DS-02 Data-in-transit protected';
const N_CONFIG = 'PR.PS-01 Configuration management';
const N_PATCH = 'PR.PS-02 Software maintained';
const N_LOG = 'PR.PS-04 Log records generated';
const N_NET = 'PR.IR-01 Networks protected from unauthorized access';
const N_MON = 'DE.CM-01 Networks monitored';

const m = (hipaa: string[], hicp: string[], iec62443: string[], nistCsf: string[]): ComplianceMapping => ({ hipaa, hicp, iec62443, nistCsf });

const SEGMENT = m([H_ACCESS], [P_FW, P_SEG], [I_SEG, I_ZBP], [N_NET, N_FLOWS]);
const CLEARTEXT = m([H_TRANSMIT, H_ENCRYPT], [P_MED], [I_CONF, I_CRYPTO, I_COMMINT], [N_TRANSIT]);
const AUTHN = m([H_ACCESS, H_UNIQUE, H_AUTH], [P_IAM, P_MED], [I_AUTH, I_DEVAUTH, I_AUTHZ], [N_AUTHN, N_AA]);
const CONFIG = m([H_ACCESS], [P_MED], [I_LEAST], [N_CONFIG]);

/** By exact rule id or rule prefix (a category). */
export const COMPLIANCE: Record<string, ComplianceMapping> = {
  'check.no-conduit': SEGMENT,
  'check.wrong-service': m([H_ACCESS], [P_FW], [I_ZBP, I_LEAST], [N_NET]),
  'check.identity': m([H_ACCESS, H_AUTH], [P_FW, P_IAM], [I_DEVAUTH, I_ZBP], [N_AUTHN, N_NET]),
  'check.cleartext-phi': CLEARTEXT,
  'check.phi-not-allowed': m([H_ACCESS, H_TRANSMIT], [P_SEG], [I_CONF, I_ZBP], [N_TRANSIT, N_FLOWS]),
  'check.data-minimisation': m([H_ACCESS], [P_SEG], [I_CONF, I_ZBP], [N_AA, N_FLOWS]),
  'check.phi-exposed': m([H_ACCESS, H_TRANSMIT], [P_FW, P_SEG], [I_SEG, I_ZBP], [N_NET]),
  'check.external-no-partner': m([H_TRANSMIT], [P_FW], [I_ZBP], [N_NET, N_FLOWS]),
  'check.unknown-asset': m([H_ACCESS], [P_ASSET, P_NAC], [I_INV, I_SEG], [N_INV, N_MON]),
  'check.scan': m([H_AUDIT], [P_ANOM], [I_EVENTS], [N_MON]),
  'check.conduit-unused': m([H_ACCESS], [P_FW], [I_ZBP, I_LEAST], [N_NET]),
  'check.conduit-expired': m([H_ACCESS], [P_FW], [I_ZBP], [N_NET]),
  'check.conduit-broad': m([H_ACCESS], [P_FW], [I_ZBP, I_LEAST], [N_NET]),
  'probe.tls': CLEARTEXT,
  'probe.dicom.plaintext': CLEARTEXT,
  'probe.hl7.listener-plaintext': CLEARTEXT,
  'probe.http.plaintext': CLEARTEXT,
  'probe.dicom': AUTHN,
  'probe.hl7': AUTHN,
  'probe.http': AUTHN,
  'probe.http.security-headers': CONFIG,
  'probe.http.banner': CONFIG,
  'probe.exposed': m([H_ACCESS], [P_FW, P_SEG], [I_ZBP], [N_NET]),
  'audit.orthanc.ssl-old-protocols': CLEARTEXT,
  'audit.orthanc.http-without-tls': CLEARTEXT,
  'audit.orthanc.dicom-tls-disabled': CLEARTEXT,
  'audit.orthanc.peer-plain-http': CLEARTEXT,
  'audit.orthanc.https-verify-peers-off': CLEARTEXT,
  'audit.nginx.weak-tls-protocols': CLEARTEXT,
  'audit.nginx.weak-ciphers': CLEARTEXT,
  'audit.nginx.plain-http-portal': CLEARTEXT,
  'audit.nginx.hsts-missing': CLEARTEXT,
  'audit.orthanc.default-credentials': AUTHN,
  'audit.orthanc.plaintext-passwords': AUTHN,
  'audit.orthanc.remote-access-without-auth': AUTHN,
  'audit.orthanc.remote-access-no-users': AUTHN,
  'audit.orthanc.called-aet-unchecked': AUTHN,
  'audit.orthanc.modality-unrestricted': AUTHN,
  'audit.orthanc.modality-host-unchecked': AUTHN,
  'audit.orthanc.always-allow-store': AUTHN,
  'audit.orthanc.always-allow-echo': AUTHN,
  'audit.nginx.no-authentication': AUTHN,
  'audit.dcmqrscp.peers-any-write': AUTHN,
  'audit.dcmqrscp.peers-any-read': AUTHN,
  'audit.dcmqrscp.move-unrestricted': AUTHN,
  'audit.orthanc.rest-write-filesystem': m([H_INTEGRITY, H_ACCESS], [P_MED], [I_LEAST, I_AUTHZ], [N_CONFIG]),
  'audit.orthanc.execute-lua': m([H_INTEGRITY, H_ACCESS], [P_MED], [I_LEAST, I_AUTHZ], [N_CONFIG]),
  audit: CONFIG,
  'vulns.known-exploited': m([H_INTEGRITY], [P_VULN, P_MED], [I_INV], [N_VULN, N_THREAT, N_PATCH]),
  vulns: m([H_INTEGRITY], [P_VULN, P_MED], [I_INV], [N_VULN, N_PATCH]),
  drift: m([H_AUDIT], [P_ANOM, P_FW], [I_EVENTS, I_ZBP], [N_MON, N_CONFIG]),
  monitor: m([H_AUDIT], [P_ANOM], [I_EVENTS, I_AUDIT], [N_MON, N_LOG]),
  'monitor.cleartext-phi': m([H_TRANSMIT, H_AUDIT], [P_ANOM, P_MED], [I_CONF, I_EVENTS], [N_TRANSIT, N_MON]),
  'simulate.newly-allowed': SEGMENT,
  'simulate.would-break': m([], [P_FW], [I_ZBP], [N_FLOWS]),
};

const EMPTY: ComplianceMapping = m([], [], [], []);

/** The controls for one finding: the rule, else its longest known prefix, else its source. */
export function complianceFor(f: Pick<Finding, 'rule' | 'source'>): ComplianceMapping {
  let key = f.rule;
  for (;;) {
    const hit = COMPLIANCE[key];
    if (hit) return hit;
    const dot = key.lastIndexOf('.');
    if (dot < 0) break;
    key = key.slice(0, dot);
  }
  return COMPLIANCE[f.source] ?? EMPTY;
}

export interface ControlCoverage {
  framework: FrameworkKey;
  control: string;
  findings: number;
  /** Worst severity among them. */
  worst: string;
  rules: string[];
}

/** Controls touched by the findings, per framework, most findings first. */
export function complianceCoverage(findings: readonly Finding[]): ControlCoverage[] {
  const rank = ['info', 'low', 'medium', 'high', 'critical'];
  const by = new Map<string, ControlCoverage>();
  for (const f of findings) {
    const cm = complianceFor(f);
    for (const fw of FRAMEWORKS) {
      for (const control of cm[fw.key]) {
        const k = `${fw.key}\u0000${control}`;
        let c = by.get(k);
        if (!c) by.set(k, (c = { framework: fw.key, control, findings: 0, worst: 'info', rules: [] }));
        c.findings++;
        if (rank.indexOf(f.severity) > rank.indexOf(c.worst)) c.worst = f.severity;
        if (!c.rules.includes(f.rule)) c.rules.push(f.rule);
      }
    }
  }
  return [...by.values()].sort((a, b) => a.framework.localeCompare(b.framework) || b.findings - a.findings || a.control.localeCompare(b.control));
}
