import type { Finding } from '../../core/finding.ts';
import type { Severity } from '../../core/severity.ts';
import type { DicomPortResult } from './dicom/probe.ts';
import type { HttpPortResult } from './http.ts';
import type { MllpPortResult } from './mllp.ts';
import type { PlannedTarget } from './scope.ts';
import { weakCipher, type TlsAssessment } from './tls.ts';
import type { TlsInfo } from './conn.ts';

export type PortResult = DicomPortResult | HttpPortResult | MllpPortResult;

export interface ProbeRule {
  id: string;
  title: string;
  severity: Severity;
  /** nmap-style category: safe checks run by default, intrusive ones only with --intrusive. */
  category: 'safe' | 'intrusive';
  catalogue?: string;
  rationale: string;
  fix: string;
  references: string[];
}

const PS315 = 'DICOM PS3.15 Annex B.12 (TLS secure transport connection profile)';
const HIPAA_A = 'HIPAA 45 CFR 164.312(a)(1) access control';
const HIPAA_D = 'HIPAA 45 CFR 164.312(d) person or entity authentication';
const HIPAA_E = 'HIPAA 45 CFR 164.312(e)(1) transmission security';
const STUDIES = 'Greenbone 2019, Aplite 2023, Trend Micro 2025 internet-exposed PACS studies';
const NMAP = 'nmap dicom-ping ("Any AET is accepted (Insecure)")';
const BCP195 = 'BCP 195 (RFC 8996, RFC 9325)';
const CVE0896 = 'CVE-2025-0896 / ICSMA-25-037-02';

/** Every probe check, for --help, docs/checks.md and the findings below. */
export const PROBE_RULES: Record<string, ProbeRule> = Object.fromEntries(([
  { id: 'probe.exposed', title: 'Service reachable from an internet-facing or DMZ zone', severity: 'critical', category: 'safe', catalogue: 'EXP-1', rationale: 'The site model lets an internet-facing or DMZ zone reach this clinical service; the exposure studies found thousands of PACS this way.', fix: 'Remove the conduit or put the service behind an authenticating gateway (VPN, reverse proxy with SSO).', references: [STUDIES, 'HHS 405(d) HICP TV2 Practice 6', 'IEC 62443-3-3 SR 5.1'] },
  { id: 'probe.dicom.service', title: 'DICOM service found (real A-ASSOCIATE)', severity: 'info', category: 'safe', catalogue: 'FP-1', rationale: 'A DICOM application entity answered an association request; its implementation identity and accepted SOP classes are inventory facts.', fix: 'None; check the service is in the model.', references: ['DICOM PS3.8 §9.3', 'NuClide 2026 (verify with a real A-ASSOCIATE, not a port)'] },
  { id: 'probe.dicom.any-called-ae', title: 'Any called AE title is accepted', severity: 'medium', category: 'safe', catalogue: 'EXP-2', rationale: 'The server accepted an association addressed to an AE title that does not exist, so a scanner needs no knowledge to reach it.', fix: 'Enable the called-AE check (Orthanc DicomCheckCalledAet, dcmqrscp AETable).', references: [NMAP, STUDIES] },
  { id: 'probe.dicom.unknown-calling-ae', title: 'Association accepted from an unknown calling AE', severity: 'high', category: 'safe', catalogue: 'EXP-3', rationale: 'The server let an AE title registered nowhere open an association; the accepted presentation contexts show what an intruder may then do (store, query, retrieve).', fix: 'Accept only registered peers (Orthanc DicomAlwaysAllow* false with DicomModalities; dcmqrscp Peers instead of ANY), checked by host too.', references: [HIPAA_A, HIPAA_D, STUDIES] },
  { id: 'probe.dicom.echo-unknown', title: 'C-ECHO answered for an unknown AE', severity: 'low', category: 'safe', catalogue: 'EXP-3', rationale: 'Verification from anyone confirms a live DICOM server to scanners.', fix: 'Orthanc: DicomAlwaysAllowEcho false.', references: [NMAP] },
  { id: 'probe.dicom.query-returns-records', title: 'C-FIND with universal matching returns records to an unknown AE', severity: 'critical', category: 'intrusive', catalogue: 'EXP-4', rationale: 'Anyone who can reach the port can list patients or studies; this is the "accessible records" measure of the exposure studies. Only the count was kept.', fix: 'Refuse queries from unregistered AEs (Orthanc DicomAlwaysAllowFind false; dcmqrscp Peers), and restrict by host.', references: [HIPAA_A, STUDIES] },
  { id: 'probe.dicom.plaintext', title: 'DICOM without TLS', severity: 'medium', category: 'safe', catalogue: 'EXP-5', rationale: 'Patient names, IDs and images cross the network in clear text.', fix: 'Offer DICOM TLS (port 2762, PS3.15 B.12) and retire the plain port, or tunnel it.', references: [PS315, HIPAA_E] },
  { id: 'probe.tls.old-protocol', title: 'TLS 1.0 or 1.1 accepted', severity: 'medium', category: 'safe', catalogue: 'EXP-6', rationale: 'RFC 8996 deprecates TLS 1.0 and 1.1; PS3.15 B.12 requires TLS 1.2 or later.', fix: 'Allow TLS 1.2 and 1.3 only.', references: [BCP195, PS315] },
  { id: 'probe.tls.weak-cipher', title: 'Weak cipher negotiated', severity: 'medium', category: 'safe', catalogue: 'EXP-6', rationale: 'RC4, 3DES, NULL, EXPORT and MD5 suites are broken.', fix: 'Use an AEAD cipher list (Mozilla intermediate).', references: [BCP195] },
  { id: 'probe.tls.cert-expired', title: 'Certificate expired or not yet valid', severity: 'high', category: 'safe', catalogue: 'EXP-6', rationale: 'Clients either fail or are trained to click through warnings, which defeats TLS.', fix: 'Renew the certificate; monitor expiry.', references: [HIPAA_E] },
  { id: 'probe.tls.cert-self-signed', title: 'Self-signed certificate', severity: 'low', category: 'safe', catalogue: 'EXP-6', rationale: 'Peers cannot tell the server from an impostor unless the certificate is pinned.', fix: 'Issue the certificate from the site CA.', references: [HIPAA_E] },
  { id: 'probe.tls.weak-key', title: 'Certificate key shorter than 2048 bits', severity: 'medium', category: 'safe', catalogue: 'EXP-6', rationale: 'RSA keys under 2048 bits are below every current profile.', fix: 'Re-key with RSA 2048+ or ECDSA P-256.', references: [BCP195, PS315] },
  { id: 'probe.http.unauthenticated-api', title: 'PACS REST API or viewer readable without authentication', severity: 'critical', category: 'safe', catalogue: 'EXP-7', rationale: 'Orthanc /system or its explorer answered 200 without credentials: the whole archive is browsable (the exposure studies\' "completely unprotected" systems).', fix: 'Enable authentication (Orthanc AuthenticationEnabled with users, or an authenticating proxy).', references: [CVE0896, HIPAA_A, STUDIES] },
  { id: 'probe.http.dicomweb-unauthenticated', title: 'DICOMweb QIDO search answers without authentication', severity: 'critical', category: 'safe', catalogue: 'EXP-7', rationale: 'A QIDO-RS search answered 200 without credentials (the answer was dropped unread): studies can be listed and downloaded.', fix: 'Require authentication for /dicom-web.', references: [HIPAA_A, STUDIES] },
  { id: 'probe.http.default-credentials', title: 'Default credentials accepted', severity: 'critical', category: 'intrusive', catalogue: 'EXP-7', rationale: 'A documented default account (e.g. orthanc/orthanc, which Orthanc creates when remote access is on and no user is registered) opened the REST API.', fix: 'Register named users with strong passwords and remove the default.', references: [CVE0896, HIPAA_D] },
  { id: 'probe.http.plaintext', title: 'Web application or login over plain HTTP', severity: 'medium', category: 'safe', catalogue: 'EXP-5', rationale: 'Credentials (HTTP Basic) and patient data cross the network unencrypted.', fix: 'Serve HTTPS only and redirect HTTP.', references: [HIPAA_E] },
  { id: 'probe.http.security-headers', title: 'Security headers missing', severity: 'low', category: 'safe', rationale: 'Without X-Content-Type-Options, X-Frame-Options (or CSP frame-ancestors) and, on HTTPS, HSTS, browsers are easier to attack (Orthanc 1.12.2 fixed an XSS with nosniff).', fix: 'Add the headers, in the application or the reverse proxy.', references: ['OWASP Secure Headers Project'] },
  { id: 'probe.http.banner', title: 'Server version banner', severity: 'low', category: 'safe', rationale: 'A Server or X-Powered-By header with a version tells scanners which exploits to try.', fix: 'Hide versions (nginx server_tokens off; proxy the application).', references: ['OWASP Secure Headers Project'] },
  { id: 'probe.hl7.listener-plaintext', title: 'HL7 MLLP listener without TLS', severity: 'medium', category: 'safe', catalogue: 'EXP-8', rationale: 'MLLP has no authentication or encryption of its own; anyone who reaches the port can send and read HL7 (PHI) in clear text.', fix: 'Put MLLP inside TLS (e.g. 12575) and restrict the port to the interface engine.', references: [HIPAA_E, 'HL7 v2.5.1 Appendix C (MLLP)'] },
  { id: 'probe.hl7.unauthenticated-accept', title: 'HL7 message accepted from an unauthenticated client', severity: 'high', category: 'intrusive', catalogue: 'EXP-8', rationale: 'A test message (NMQ^N01, processing ID T, no patient segment) from an unknown sender was acknowledged: any host can inject orders, results or ADT.', fix: 'Accept MLLP only from the interface engine (firewall, mutual TLS) and validate MSH-3/4.', references: [HIPAA_D, 'Sante CVE-2025-53948 (crafted HL7)'] },
] satisfies ProbeRule[]).map((r) => [r.id, r]));

function finding(ruleId: string, t: PlannedTarget, port: number, evidence: Record<string, unknown>, severity?: Severity): Finding {
  const r = PROBE_RULES[ruleId];
  return {
    id: `${r.id}@${t.address}:${port}`,
    rule: r.id,
    title: r.title,
    severity: severity ?? r.severity,
    source: 'probe',
    subject: t.asset ?? t.address,
    zone: t.zone,
    evidence: { address: t.address, port, ...evidence },
    rationale: r.rationale,
    fix: r.fix,
    references: [...r.references, ...(r.catalogue ? [`Wardline check catalogue ${r.catalogue}`] : [])],
  };
}

function tlsFindings(t: PlannedTarget, port: number, info: TlsInfo | undefined, assessment?: TlsAssessment): Finding[] {
  const out: Finding[] = [];
  if (!info) return out;
  if (assessment?.oldProtocols.length) out.push(finding('probe.tls.old-protocol', t, port, { accepted: assessment.oldProtocols }));
  if (weakCipher(info.cipher)) out.push(finding('probe.tls.weak-cipher', t, port, { cipher: info.cipher }));
  const c = info.certificate;
  if (c) {
    if (c.expired || c.notYetValid) out.push(finding('probe.tls.cert-expired', t, port, { validFrom: c.validFrom, validTo: c.validTo }));
    if (c.selfSigned) out.push(finding('probe.tls.cert-self-signed', t, port, { subject: c.subject }));
    if (c.keyBits !== undefined && c.keyBits < 2048 && c.keyType === 'RSA') out.push(finding('probe.tls.weak-key', t, port, { keyBits: c.keyBits }));
  }
  return out;
}

export function findingsFor(t: PlannedTarget, results: PortResult[]): Finding[] {
  const out: Finding[] = [];
  for (const r of results) {
    const open = r.status === 'dicom' || r.status === 'http' || r.status === 'hl7' || r.status === 'open';
    if (open && t.exposedVia?.length) out.push(finding('probe.exposed', t, r.port, { protocol: r.protocol, via: t.exposedVia }));
    if (r.protocol === 'dicom' || r.protocol === 'dicom-tls') out.push(...dicomFindings(t, r as DicomPortResult));
    else if (r.protocol === 'http' || r.protocol === 'https') out.push(...httpFindings(t, r as HttpPortResult));
    else out.push(...mllpFindings(t, r as MllpPortResult));
  }
  return out;
}

function dicomFindings(t: PlannedTarget, r: DicomPortResult): Finding[] {
  const out: Finding[] = [];
  if (r.status !== 'dicom') return out;
  out.push(finding('probe.dicom.service', t, r.port, {
    protocol: r.protocol, implementation: r.implementation, rejection: r.rejection,
    acceptedSopClasses: r.contexts?.filter((c) => c.accepted).map((c) => c.name),
  }));
  if (r.anyCalledAe) out.push(finding('probe.dicom.any-called-ae', t, r.port, { calledAe: 'WL-NO-SUCH-AE' }));
  if (r.unknownCallingAccepted) {
    const roles = [...new Set(r.contexts?.filter((c) => c.accepted && c.role !== 'verification').map((c) => c.role) ?? [])];
    out.push(finding('probe.dicom.unknown-calling-ae', t, r.port, { callingAe: 'WARDLINE-PROBE', calledAe: r.calledAe ?? '(any)', acceptedServices: roles }, roles.length ? 'high' : 'medium'));
  }
  if (r.echo === 'success') out.push(finding('probe.dicom.echo-unknown', t, r.port, {}));
  for (const level of ['PATIENT', 'STUDY'] as const) {
    const f = r.find?.[level];
    if (f && 'matches' in f && f.matches > 0) out.push(finding('probe.dicom.query-returns-records', t, r.port, { level, matches: f.capped ? `>=${f.matches}` : f.matches }));
  }
  if (r.protocol === 'dicom') out.push(finding('probe.dicom.plaintext', t, r.port, {}));
  out.push(...tlsFindings(t, r.port, r.tls));
  return out;
}

function httpFindings(t: PlannedTarget, r: HttpPortResult): Finding[] {
  const out: Finding[] = [];
  if (r.tls) out.push(...tlsFindings(t, r.port, r.tls.info, r.tls));
  if (r.status !== 'http') return out;
  const routes = r.routes ?? {};
  if (routes['/system'] === 200 && r.orthanc) out.push(finding('probe.http.unauthenticated-api', t, r.port, { route: '/system', orthanc: r.orthanc }));
  else if (routes['/app/explorer.html'] === 200) out.push(finding('probe.http.unauthenticated-api', t, r.port, { route: '/app/explorer.html' }));
  if (routes['/dicom-web/studies?limit=1'] === 200 || routes['/dicom-web/studies?limit=1'] === 204) out.push(finding('probe.http.dicomweb-unauthenticated', t, r.port, { route: '/dicom-web/studies' }));
  if (r.defaultCredentials?.length) out.push(finding('probe.http.default-credentials', t, r.port, { users: r.defaultCredentials, orthanc: r.orthanc }));
  const app = r.authRealm !== undefined || Object.values(routes).some((s) => s === 200 || s === 401);
  if (r.protocol === 'http' && app) out.push(finding('probe.http.plaintext', t, r.port, { authRealm: r.authRealm }));
  if (r.missingHeaders?.length) out.push(finding('probe.http.security-headers', t, r.port, { missing: r.missingHeaders }));
  if ((r.server && /\d/.test(r.server)) || r.poweredBy) out.push(finding('probe.http.banner', t, r.port, { server: r.server, poweredBy: r.poweredBy }));
  return out;
}

function mllpFindings(t: PlannedTarget, r: MllpPortResult): Finding[] {
  const out: Finding[] = [];
  if (r.status !== 'open' && r.status !== 'hl7') return out;
  if (r.protocol === 'hl7') out.push(finding('probe.hl7.listener-plaintext', t, r.port, {}));
  if (r.ack?.code) out.push(finding('probe.hl7.unauthenticated-accept', t, r.port, { ackCode: r.ack.code, messageType: r.ack.messageType }, r.ack.code === 'AA' || r.ack.code === 'CA' ? 'high' : 'medium'));
  out.push(...tlsFindings(t, r.port, r.tls));
  return out;
}
