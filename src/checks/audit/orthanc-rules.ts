import { member, type JNode } from './jsonc.ts';
import { objectEntries, type OrthancConfig, type OrthancSetting } from './orthanc.ts';
import { REF, type AuditRule, type Hit } from './rule.ts';

/**
 * Default and trivial credentials that Orthanc deployments are known to ship
 * with: orthanc/orthanc is what Orthanc itself creates when remote access is
 * on and no user is registered; the others are the samples' and installers'.
 */
export const DEFAULT_CREDENTIALS: ReadonlyArray<readonly [string, string]> = [
  ['orthanc', 'orthanc'],
  ['admin', 'admin'],
  ['demo', 'demo'],
  ['alice', 'alicePassword'],
  ['bob', 'bobPassword'],
  ['admin', 'password'],
  ['user', 'user'],
];

function at(s: OrthancSetting, evidence: Record<string, unknown>): Hit {
  return { line: s.pos.line, column: s.pos.column, evidence: { ...evidence, explicit: s.explicit } };
}

/** A boolean setting equal to `bad` (explicitly, or by Orthanc's default). */
function flag(key: string, bad: boolean) {
  return (c: OrthancConfig): Hit[] => {
    const s = c.get(key);
    return s && s.value === bad ? [at(s, { [key]: bad })] : [];
  };
}

function remote(c: OrthancConfig): boolean {
  return c.bool('RemoteAccessAllowed') === true;
}

function dicomOn(c: OrthancConfig): boolean {
  return c.bool('DicomServerEnabled') !== false;
}

/** The Orthanc rule table. */
export const ORTHANC_RULES: AuditRule<OrthancConfig>[] = [
  {
    id: 'audit.orthanc.remote-access-without-auth',
    catalogue: 'CFG-O1',
    title: 'REST API reachable from the network without authentication',
    severity: 'critical',
    rationale: 'RemoteAccessAllowed with AuthenticationEnabled false exposes every study and the whole REST API (upload, delete, modify) to anyone who can reach the HTTP port; this is the configuration behind CVE-2025-0896 and the exposure studies.',
    fix: 'Set "AuthenticationEnabled": true and register users, or keep "RemoteAccessAllowed": false behind an authenticating reverse proxy.',
    references: [REF.cve20250896, REF.orthancBook, REF.hipaaAccess, REF.exposure],
    check(c) {
      const ra = c.get('RemoteAccessAllowed');
      const auth = c.get('AuthenticationEnabled');
      if (!ra || ra.value !== true || !auth || auth.value !== false) return [];
      return [at(auth, { RemoteAccessAllowed: true, AuthenticationEnabled: false })];
    },
  },
  {
    id: 'audit.orthanc.remote-access-no-users',
    catalogue: 'CFG-O2',
    title: 'Remote access with authentication but no registered users (Orthanc creates orthanc/orthanc)',
    severity: 'high',
    rationale: 'With remote access and authentication on but RegisteredUsers empty, Orthanc creates the default user orthanc/orthanc at start-up and logs the server as insecure.',
    fix: 'Register named users with strong passwords in RegisteredUsers (or an authorization plugin).',
    references: [REF.orthancConfig, REF.cve20250896, REF.hipaaAuth],
    check(c) {
      if (!remote(c) || !c.authenticationEnabled().value) return [];
      const users = c.get('RegisteredUsers');
      if (users && objectEntries(users.value).length > 0) return [];
      if (!users && !c.whole) return [];
      const pos = users ?? c.get('RemoteAccessAllowed')!;
      return [at(pos, { registeredUsers: 0 })];
    },
  },
  {
    id: 'audit.orthanc.default-credentials',
    catalogue: 'CFG-O2',
    title: 'Default or trivial credentials in RegisteredUsers',
    severity: 'high',
    rationale: 'Default credentials (orthanc/orthanc, demo/demo, a password equal to the user name) are the first thing an attacker tries.',
    fix: 'Replace the user with a named account and a strong, unique password.',
    references: [REF.cve20250896, REF.hipaaAuth, REF.orthancBook],
    check(c) {
      const users = c.get('RegisteredUsers');
      if (!users) return [];
      const hits: Hit[] = [];
      for (const e of objectEntries(users.value)) {
        const pw = e.value.kind === 'string' ? e.value.value : undefined;
        if (pw === undefined) continue;
        const known = DEFAULT_CREDENTIALS.some(([u, p]) => u === e.key && p === pw);
        if (known || pw === e.key || pw.length === 0) hits.push({ line: e.keyPos.line, column: e.keyPos.column, evidence: { user: e.key, reason: known ? 'known default credential' : pw.length === 0 ? 'empty password' : 'password equals user name' } });
      }
      return hits;
    },
  },
  {
    id: 'audit.orthanc.plaintext-passwords',
    catalogue: 'CFG-O15',
    title: 'Passwords stored in plain text in the configuration',
    severity: 'low',
    rationale: 'Orthanc keeps RegisteredUsers passwords, and peer/DICOMweb server passwords, in clear text; anyone who can read the file has the accounts.',
    fix: 'Make the configuration readable only by the Orthanc service user, or move to an authorization plugin / secrets from the environment.',
    references: [REF.orthancBook, REF.hipaaAuth],
    check(c) {
      const hits: Hit[] = [];
      const users = c.get('RegisteredUsers');
      const n = users ? objectEntries(users.value).length : 0;
      if (users && users.explicit && n > 0) hits.push(at(users, { where: 'RegisteredUsers', accounts: n }));
      for (const path of [['OrthancPeers'], ['DicomWeb', 'Servers']]) {
        for (const e of objectEntries(dig(c.root, path))) {
          const pw = member(e.value, 'Password');
          if (pw) hits.push({ line: pw.keyPos.line, column: pw.keyPos.column, evidence: { where: `${path.join('.')}.${e.key}.Password` } });
          // The short form: [ "url", "user", "password" ].
          const third = e.value.kind === 'array' ? e.value.items[2] : undefined;
          if (third?.kind === 'string') hits.push({ line: third.line, column: third.column, evidence: { where: `${path.join('.')}.${e.key}[2]` } });
        }
      }
      return hits;
    },
  },
  {
    id: 'audit.orthanc.http-without-tls',
    catalogue: 'CFG-O3',
    title: 'Remote HTTP access without TLS',
    severity: 'high',
    rationale: 'With remote access on and SslEnabled false, credentials (HTTP Basic) and images cross the network in clear text.',
    fix: 'Set "SslEnabled": true with a certificate, or terminate TLS in a reverse proxy and keep RemoteAccessAllowed false.',
    references: [REF.hipaaTransmission, REF.orthancBook],
    check(c) {
      if (!remote(c)) return [];
      const s = c.get('SslEnabled');
      return s && s.value === false ? [at(s, { RemoteAccessAllowed: true, SslEnabled: false })] : [];
    },
  },
  {
    id: 'audit.orthanc.ssl-old-protocols',
    catalogue: 'EXP-6',
    title: 'HTTPS allows protocols older than TLS 1.2',
    severity: 'medium',
    rationale: 'SslMinimumProtocolVersion 0-3 admits SSLv2/v3, TLS 1.0 or 1.1, which BCP 195 (RFC 8996) forbids.',
    fix: 'Set "SslMinimumProtocolVersion": 4 (TLS 1.2 and 1.3).',
    references: [REF.bcp195, REF.hipaaTransmission],
    check(c) {
      const s = c.get('SslMinimumProtocolVersion');
      return c.bool('SslEnabled') && s && s.explicit && typeof s.value === 'number' && s.value < 4 ? [at(s, { SslMinimumProtocolVersion: s.value })] : [];
    },
  },
  {
    id: 'audit.orthanc.dicom-tls-disabled',
    catalogue: 'EXP-5',
    title: 'DICOM without TLS',
    severity: 'medium',
    rationale: 'Plain DICOM carries patient names, IDs and pixel data in clear text; PS3.15 defines TLS for DICOM and Orthanc supports it since 1.9.0.',
    fix: 'Set "DicomTlsEnabled": true with DicomTlsCertificate, DicomTlsPrivateKey and DicomTlsTrustedCertificates, or tunnel DICOM.',
    references: [REF.ps315, REF.hipaaTransmission],
    check(c) {
      if (!dicomOn(c)) return [];
      const s = c.get('DicomTlsEnabled');
      return s && s.value === false ? [at(s, { DicomTlsEnabled: false })] : [];
    },
  },
  {
    id: 'audit.orthanc.always-allow-echo',
    catalogue: 'CFG-O5',
    title: 'Any AE from any host may C-ECHO (DicomAlwaysAllowEcho)',
    severity: 'low',
    rationale: 'An open C-ECHO confirms a DICOM server to any scanner; it is how exposed PACS are counted.',
    fix: 'Set "DicomAlwaysAllowEcho": false and list the peers that need it in DicomModalities.',
    references: [REF.orthancBook, REF.exposure],
    check(c) { return dicomOn(c) ? flag('DicomAlwaysAllowEcho', true)(c) : []; },
  },
  {
    id: 'audit.orthanc.always-allow-store',
    catalogue: 'CFG-O5',
    title: 'Any AE from any host may C-STORE (DicomAlwaysAllowStore)',
    severity: 'high',
    rationale: 'Unknown AEs can inject studies into the archive (data integrity, tampering, storage exhaustion).',
    fix: 'Set "DicomAlwaysAllowStore": false and declare each sending modality in DicomModalities.',
    references: [REF.orthancBook, REF.hipaaAccess],
    check(c) { return dicomOn(c) ? flag('DicomAlwaysAllowStore', true)(c) : []; },
  },
  ...(['Find', 'Get', 'Move', 'FindWorklist'] as const).map((op): AuditRule<OrthancConfig> => ({
    id: `audit.orthanc.always-allow-${op.toLowerCase()}`,
    catalogue: 'CFG-O6',
    title: `Any AE from any host may C-${op === 'FindWorklist' ? 'FIND (worklist)' : op.toUpperCase()} (DicomAlwaysAllow${op})`,
    severity: op === 'FindWorklist' ? 'medium' : 'high',
    rationale: op === 'Find' || op === 'FindWorklist'
      ? 'Unknown AEs can query patient names, IDs and studies: the "accessible records" of the exposure studies.'
      : 'Unknown AEs can retrieve whole studies (the "downloadable images" of the exposure studies).',
    fix: `Set "DicomAlwaysAllow${op}": false and grant it per peer in DicomModalities.`,
    references: [REF.orthancBook, REF.hipaaAccess, REF.exposure],
    check(c) { return dicomOn(c) ? flag(`DicomAlwaysAllow${op}`, true)(c) : []; },
  })),
  {
    id: 'audit.orthanc.called-aet-unchecked',
    catalogue: 'EXP-2',
    title: 'Any called AE title is accepted (DicomCheckCalledAet false)',
    severity: 'medium',
    rationale: 'Accepting any called AE is what nmap reports as "Any AET is accepted (Insecure)" and lets scanners find the server without knowing its AE title.',
    fix: 'Set "DicomCheckCalledAet": true.',
    references: [REF.orthancConfig, REF.exposure],
    check(c) { return dicomOn(c) ? flag('DicomCheckCalledAet', false)(c) : []; },
  },
  {
    id: 'audit.orthanc.modality-host-unchecked',
    catalogue: 'CFG-O7',
    title: 'Known AE titles are trusted from any IP address (DicomCheckModalityHost false)',
    severity: 'medium',
    rationale: 'AE titles are not secrets (conformance statements, traffic); without the host check anyone can claim a modality\'s AE.',
    fix: 'Set "DicomCheckModalityHost": true and give every DicomModalities entry an IP address.',
    references: [REF.orthancBook, REF.hipaaAuth],
    check(c) { return dicomOn(c) ? flag('DicomCheckModalityHost', false)(c) : []; },
  },
  {
    id: 'audit.orthanc.modality-unrestricted',
    catalogue: 'CFG-O8',
    title: 'DICOM modality without a host IP or with every operation allowed',
    severity: 'low',
    rationale: 'A modality entry named by host name (not an IP) cannot be host-checked, and the per-peer Allow* flags default to true, so every declared peer may also query and retrieve.',
    fix: 'Give the modality an IP address as Host and set only the Allow* operations it needs (e.g. AllowStore for a scanner).',
    references: [REF.orthancBook, REF.orthancConfig],
    check(c) {
      const mods = c.get('DicomModalities');
      if (!mods) return [];
      const hits: Hit[] = [];
      for (const e of objectEntries(mods.value)) {
        const v = e.value;
        let host: string | undefined;
        let allowAll = true;
        if (v.kind === 'array') {
          host = v.items[1]?.kind === 'string' ? v.items[1].value : undefined;
        } else if (v.kind === 'object') {
          const h = member(v, 'Host');
          host = h?.value.kind === 'string' ? h.value.value : undefined;
          allowAll = !v.entries.some((x) => x.key.startsWith('Allow') && x.value.kind === 'boolean' && x.value.value === false);
        } else continue;
        const hostIsIp = host !== undefined && /^(\d{1,3}\.){3}\d{1,3}$|:/.test(host);
        if (!hostIsIp || allowAll) {
          hits.push({ line: e.keyPos.line, column: e.keyPos.column, evidence: { modality: e.key, host, hostIsIp, allOperationsAllowed: allowAll } });
        }
      }
      return hits;
    },
  },
  {
    id: 'audit.orthanc.unknown-sop-class',
    catalogue: 'CFG-O9',
    title: 'Unknown SOP classes accepted (promiscuous mode)',
    severity: 'low',
    rationale: 'Accepting any SOP class widens what an unknown peer can push into the archive.',
    fix: 'Set "UnknownSopClassAccepted": false.',
    references: [REF.orthancConfig],
    check: flag('UnknownSopClassAccepted', true),
  },
  {
    id: 'audit.orthanc.execute-lua',
    catalogue: 'CFG-O10',
    title: 'Lua execution through the REST API (ExecuteLuaEnabled)',
    severity: 'critical',
    rationale: 'POST /tools/execute-script runs arbitrary Lua, i.e. arbitrary commands, for any REST client.',
    fix: 'Set "ExecuteLuaEnabled": false.',
    references: [REF.orthancBook, REF.orthancConfig],
    check: flag('ExecuteLuaEnabled', true),
  },
  {
    id: 'audit.orthanc.rest-write-filesystem',
    catalogue: 'CFG-O11',
    title: 'REST API may write to the file system (RestApiWriteToFileSystemEnabled)',
    severity: 'high',
    rationale: 'The /export routes write files chosen by the client; chained with other flaws this gave remote code execution (CVE-2023-33466).',
    fix: 'Set "RestApiWriteToFileSystemEnabled": false (default since 1.12.0) and upgrade Orthanc.',
    references: [REF.cve202333466, REF.orthancConfig],
    check: flag('RestApiWriteToFileSystemEnabled', true),
  },
  {
    id: 'audit.orthanc.https-verify-peers-off',
    catalogue: 'CFG-O12',
    title: 'Outgoing HTTPS does not verify peer certificates',
    severity: 'medium',
    rationale: 'With HttpsVerifyPeers false, DICOMweb and peer transfers can be intercepted (man in the middle).',
    fix: 'Set "HttpsVerifyPeers": true and HttpsCACertificates to the site CA.',
    references: [REF.orthancBook, REF.hipaaTransmission],
    check: flag('HttpsVerifyPeers', false),
  },
  {
    id: 'audit.orthanc.webdav-remote',
    catalogue: 'CFG-O13',
    title: 'WebDAV enabled with remote access',
    severity: 'medium',
    rationale: 'WebDAV is a second way into the archive (browse, and upload when WebDavUploadAllowed); the Orthanc Book suggests switching it off.',
    fix: 'Set "WebDavEnabled": false unless a workflow needs it.',
    references: [REF.orthancBook],
    check(c) {
      if (!remote(c)) return [];
      const s = c.get('WebDavEnabled');
      return s && s.value === true ? [at(s, { WebDavEnabled: true, WebDavUploadAllowed: c.bool('WebDavUploadAllowed') })] : [];
    },
  },
  {
    id: 'audit.orthanc.limit-find-unbounded',
    catalogue: 'CFG-O14',
    title: 'C-FIND / REST find results are unbounded (LimitFindResults and LimitFindInstances 0)',
    severity: 'low',
    rationale: 'An unbounded query returns the whole patient list in one request (bulk exfiltration, denial of service).',
    fix: 'Set LimitFindResults and LimitFindInstances to a bound such as 100.',
    references: [REF.orthancBook],
    check(c) {
      const r = c.get('LimitFindResults');
      const i = c.get('LimitFindInstances');
      if (!r || !i || r.value !== 0 || i.value !== 0) return [];
      return [at(r.explicit ? r : i, { LimitFindResults: 0, LimitFindInstances: 0 })];
    },
  },
  {
    id: 'audit.orthanc.peer-plain-http',
    catalogue: 'EXP-5',
    title: 'Orthanc peer or DICOMweb server reached over plain HTTP',
    severity: 'medium',
    rationale: 'Studies and credentials sent to an http:// peer cross the network unencrypted.',
    fix: 'Use https:// URLs for OrthancPeers and DicomWeb.Servers.',
    references: [REF.hipaaTransmission],
    check(c) {
      const hits: Hit[] = [];
      for (const path of [['OrthancPeers'], ['DicomWeb', 'Servers']]) {
        for (const e of objectEntries(dig(c.root, path))) {
          const url = e.value.kind === 'array' ? e.value.items[0] : member(e.value, 'Url')?.value;
          if (url?.kind === 'string' && /^http:\/\//i.test(url.value) && !/^http:\/\/(localhost|127\.)/i.test(url.value)) {
            hits.push({ line: url.line, column: url.column, evidence: { peer: `${path.join('.')}.${e.key}`, url: url.value } });
          }
        }
      }
      return hits;
    },
  },
];

function dig(root: JNode, path: string[]): JNode | undefined {
  let n: JNode | undefined = root;
  for (const k of path) n = member(n, k)?.value;
  return n;
}
