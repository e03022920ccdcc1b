/**
 * The probe against real servers in a network namespace: Orthanc with
 * Debian's shipped configuration, a hardened Orthanc, an Orthanc whose web
 * side falls back to orthanc/orthanc, DCMTK dcmqrscp (called-AE check) with
 * four synthetic studies, DCMTK storescp, and the lab's MLLP ACK server.
 * nmap's dicom-ping runs against the same ports for comparison (forced with
 * +dicom-ping: its portrule skips non-standard ports such as 4243).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DicomPortResult } from '../../src/checks/probe/dicom/probe.ts';
import type { HttpPortResult } from '../../src/checks/probe/http.ts';
import type { MllpPortResult } from '../../src/checks/probe/mllp.ts';
import { runProbe, type ProbeReport } from '../../src/checks/probe/run.ts';
import { ModelIndex } from '../../src/model/index.ts';
import type { SiteModel } from '../../src/model/types.ts';
import { REPO } from '../helpers/corpus.ts';
import { waitForPort } from '../helpers/net.ts';
import { createNetns, type Netns } from './netns.ts';

let ns: Netns;
let dir: string;
let safe: ProbeReport;
let intrusive: ProbeReport;
let nmap: Map<number, string>;
let nmapOut = '';
const USERS = { radiology: 'Vq7-long-unique-passphrase-42' };

function orthancConfig(sub: string, patch: (cfg: string) => string, users?: Record<string, string>): string {
  const d = join(dir, sub);
  mkdirSync(join(d, 'cfg'), { recursive: true });
  let cfg = readFileSync('/etc/orthanc/orthanc.json', 'utf8');
  cfg = cfg.replace(/"\/var\/lib\/orthanc\/db-v6"/g, JSON.stringify(join(d, 'db'))).replace(/"Plugins"\s*:\s*\[[^\]]*\]/, '"Plugins" : []');
  writeFileSync(join(d, 'cfg', 'orthanc.json'), patch(cfg));
  writeFileSync(join(d, 'cfg', 'credentials.json'), users ? JSON.stringify({ RegisteredUsers: users }) : readFileSync('/etc/orthanc/credentials.json'));
  return join(d, 'cfg');
}

/** Sets a top-level key of Debian's orthanc.json, or adds it when it is absent or only commented out. */
function set(cfg: string, key: string, value: unknown): string {
  // Top-level keys are indented by two spaces; commented-out samples inside /** **/ by more.
  const re = new RegExp(`^(  "${key}"\\s*:\\s*)(true|false|\\d+|"[^"]*"|\\{[^}]*\\}|\\[[^\\]]*\\])`, 'm');
  if (re.test(cfg)) return cfg.replace(re, `$1${JSON.stringify(value)}`);
  return cfg.replace(/^\{/, `{\n  "${key}" : ${JSON.stringify(value)},`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wl-checks-peers-'));
  ns = createNetns(String(process.pid % 100000), 200 + (process.pid % 50));
  try {
    // 1. Debian's configuration as shipped (only storage paths and plugins changed).
    ns.spawn('Orthanc', [orthancConfig('default', (c) => c)]);
    // 2. Hardened: called AE checked, nothing allowed to unknown AEs, remote HTTP with a named user.
    ns.spawn('Orthanc', [orthancConfig('hardened', (c) => {
      for (const [k, v] of Object.entries({ DicomAet: 'HARDENED', DicomPort: 4243, HttpPort: 8043, DicomCheckCalledAet: true, DicomAlwaysAllowEcho: false, DicomAlwaysAllowStore: false, RemoteAccessAllowed: true, WebDavEnabled: false })) c = set(c, k, v);
      c = set(c, 'AuthenticationEnabled', true);
      return set(c, 'DicomModalities', { ct1: ['CT1', '10.213.254.15', 104] });
    }, USERS)]);
    // 3. Remote access, authentication on, no users: Orthanc creates orthanc/orthanc.
    ns.spawn('Orthanc', [orthancConfig('weakweb', (c) => {
      for (const [k, v] of Object.entries({ DicomServerEnabled: false, HttpPort: 8044, RemoteAccessAllowed: true })) c = set(c, k, v);
      return set(c, 'AuthenticationEnabled', true);
    })]);
    // 4. DICOM TLS on 2762 and HTTPS on 8443, with a self-signed certificate.
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tlsDir, 'k.pem'), '-out', join(tlsDir, 'c.pem'), '-days', '2', '-subj', '/CN=pacs-tls.test'], { stdio: 'ignore' });
    writeFileSync(join(tlsDir, 'both.pem'), readFileSync(join(tlsDir, 'c.pem'), 'utf8') + readFileSync(join(tlsDir, 'k.pem'), 'utf8'));
    ns.spawn('Orthanc', [orthancConfig('tls', (c) => {
      for (const [k, v] of Object.entries({
        // With RemoteAccessAllowed false, Orthanc 1.10 over HTTPS resets remote clients instead of answering 401.
        DicomAet: 'TLSPACS', DicomPort: 2762, HttpPort: 8443, RemoteAccessAllowed: true, AuthenticationEnabled: true, SslEnabled: true, SslCertificate: join(tlsDir, 'both.pem'), DicomTlsEnabled: true,
        DicomTlsRemoteCertificateRequired: false, DicomTlsCertificate: join(tlsDir, 'c.pem'), DicomTlsPrivateKey: join(tlsDir, 'k.pem'), DicomTlsTrustedCertificates: join(tlsDir, 'c.pem'),
      })) c = set(c, k, v);
      return c;
    }, USERS)]);
    // 5. dcmqrscp: the called AE is always checked against the AETable; peers ANY.
    const qr = join(dir, 'qr');
    mkdirSync(join(qr, 'db'), { recursive: true });
    writeFileSync(join(qr, 'dcmqrscp.cfg'), `NetworkTCPPort = 11112\nMaxPDUSize = 16384\nMaxAssociations = 16\nHostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\nAETable BEGIN\nDCMQRSCP ${join(qr, 'db')} RW (100, 64mb) ANY\nAETable END\n`);
    ns.spawn('dcmqrscp', ['-c', join(qr, 'dcmqrscp.cfg')], { cwd: qr });
    // 6. storescp on the well-known port.
    mkdirSync(join(dir, 'scp'));
    ns.spawn('storescp', ['-od', join(dir, 'scp'), '104']);
    // 7. The lab's MLLP ACK server.
    ns.spawn('/usr/bin/python3', [join(REPO, 'lab', 'peers', 'mllp_ack_server.py'), '0.0.0.0', '2575', join(dir, 'mllp.log'), 'RIS', 'HOSP']);
    // 8. MLLP inside TLS on 12575: socat terminates TLS in front of the same ACK server.
    ns.spawn('socat', [`openssl-listen:12575,reuseaddr,fork,cert=${join(tlsDir, 'both.pem')},verify=0`, 'tcp:127.0.0.1:2575']);
    for (const p of [4242, 8042, 4243, 8043, 8044, 2762, 8443, 11112, 104, 2575, 12575]) await waitForPort(ns.nsIp, p);
    // Four synthetic studies (one of them the PHI canary) into dcmqrscp.
    execFileSync('/usr/bin/python3', [join(REPO, 'lab', 'peers', 'mkdicom.py'), join(dir, 'dcm')], { stdio: 'ignore' });
    const files = readdirSync(join(dir, 'dcm')).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, 'dcm', f));
    assert.equal(files.length, 4);
    execFileSync('storescu', ['-aet', 'LOADER', '-aec', 'DCMQRSCP', ns.nsIp, '11112', ...files], { stdio: 'ignore', timeout: 30_000 });

    const model: SiteModel = {
      site: { name: 'test', timezone: 'UTC' },
      processes: [],
      zones: [
        { name: 'imaging', cidrs: [`${ns.nsIp}/32`], processes: [], kind: 'server', securityLevel: 3, internetFacing: false },
        { name: 'dmz', cidrs: ['192.0.2.0/24'], processes: [], kind: 'dmz', securityLevel: 2, internetFacing: true },
        { name: 'mgmt', cidrs: [`${ns.hostIp}/32`], processes: [], kind: 'management', securityLevel: 3, internetFacing: false },
      ],
      assets: [
        { name: 'pacs', addresses: [ns.nsIp], macs: [], hostnames: [], kind: 'pacs', zone: 'imaging', phi: true, criticality: 'high', doNotProbe: false, aeTitles: ['HARDENED'], hl7Applications: [] },
        { name: 'infusion-pump-7', addresses: [ns.hostIp], macs: [], hostnames: [], kind: 'infusion-pump', zone: 'mgmt', phi: false, criticality: 'critical', doNotProbe: true, aeTitles: [], hl7Applications: [] },
      ],
      conduits: [{ id: 'portal-to-pacs', from: { zone: 'dmz' }, to: { asset: 'pacs' }, services: [{ transport: 'tcp', ports: [8042] }], tlsRequired: true, phiAllowed: true }],
      partners: [],
      files: [],
    };
    const opts = {
      scope: [`10.213.0.0/16`], index: new ModelIndex(model), onlyPorts: true, rate: 200, concurrency: 6, timeoutMs: 4000,
      ports: [4242, 4243, 11112, 104].map((port) => ({ protocol: 'dicom' as const, port }))
        .concat([{ protocol: 'dicom-tls' as const, port: 2762 }] as never[])
        .concat([8042, 8043, 8044].map((port) => ({ protocol: 'http' as const, port })) as never[])
        .concat([{ protocol: 'https' as const, port: 8443 }] as never[])
        .concat([{ protocol: 'hl7' as const, port: 2575 }, { protocol: 'hl7-tls' as const, port: 12575 }] as never[]),
    };
    const targets = [`${ns.hostIp.replace(/\.1$/, '.0')}/30`];
    safe = await runProbe(targets, { ...opts, intrusive: false });
    intrusive = await runProbe(targets, { ...opts, intrusive: true });
    const out = execFileSync('nmap', ['-Pn', '-n', '-p', '104,4242,4243,11112', '--script', '+dicom-ping', ns.nsIp], { encoding: 'utf8', timeout: 60_000 });
    nmapOut = out;
    nmap = new Map();
    for (const block of out.split(/\n(?=\d+\/tcp)/)) {
      const m = /^(\d+)\/tcp/.exec(block);
      const v = /config: (.*)/.exec(block);
      if (m) nmap.set(Number(m[1]), v ? v[1].trim() : 'no verdict');
    }
  } catch (err) {
    await ns.cleanup();
    throw err;
  }
});

after(async () => {
  await ns?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function port<T>(r: ProbeReport, p: number): T {
  const x = r.targets.find((t) => t.address === ns.nsIp)!.ports.find((q) => q.port === p);
  assert.ok(x, `port ${p} reported`);
  return x as T;
}

function rules(r: ProbeReport, p: number): string[] {
  return r.findings.filter((f) => f.evidence.address === ns.nsIp && f.evidence.port === p).map((f) => f.rule).sort();
}

test('scope and model: the do-not-probe asset is skipped, the PACS is probed', () => {
  assert.deepEqual(safe.skipped.map((s) => s.asset), ['infusion-pump-7']);
  assert.deepEqual(safe.targets.map((t) => t.address), [ns.nsIp]);
  assert.equal(safe.targets[0].asset, 'pacs');
});

test('Orthanc with the Debian defaults: any called AE, unknown calling AE, C-ECHO; C-FIND is aborted', () => {
  const d = port<DicomPortResult>(intrusive, 4242);
  assert.equal(d.status, 'dicom');
  assert.equal(d.anyCalledAe, true);
  assert.equal(d.unknownCallingAccepted, true);
  assert.equal(d.echo, 'success');
  assert.equal(d.implementation?.software, 'DCMTK 3.6.7', 'Orthanc presents the DCMTK it was built with');
  assert.ok(d.contexts!.find((c) => c.name === 'CT Image Storage')!.accepted);
  // DicomAlwaysAllowFind is false: Orthanc accepts the context but aborts the query.
  assert.deepEqual(d.find?.STUDY, { matches: 0, capped: false, aborted: true });
  const r = rules(intrusive, 4242);
  for (const id of ['probe.dicom.any-called-ae', 'probe.dicom.unknown-calling-ae', 'probe.dicom.echo-unknown', 'probe.dicom.plaintext', 'probe.dicom.service']) assert.ok(r.includes(id), id);
  assert.ok(!r.includes('probe.dicom.query-returns-records'));
  // The safe run never issues C-FIND.
  assert.equal(port<DicomPortResult>(safe, 4242).find, undefined);
});

test('Orthanc with the Debian defaults: HTTP refuses remote clients (401), no default credentials work', () => {
  const h = port<HttpPortResult>(intrusive, 8042);
  assert.equal(h.status, 'http');
  assert.equal(h.routes!['/system'], 401);
  assert.equal(h.authRealm, 'Orthanc Secure Area');
  assert.deepEqual(h.defaultCredentials, []);
  const r = rules(intrusive, 8042);
  assert.ok(!r.includes('probe.http.unauthenticated-api'));
  assert.ok(r.includes('probe.http.plaintext'));
  // The model lets the DMZ reach this asset: every open service on it is exposed.
  assert.ok(r.includes('probe.exposed'));
  assert.deepEqual(intrusive.findings.find((f) => f.rule === 'probe.exposed')!.evidence.via, ['conduit portal-to-pacs']);
});

test('hardened Orthanc: the made-up called AE is rejected, and with its real AE title the unknown calling AE is too', () => {
  const d = port<DicomPortResult>(intrusive, 4243);
  assert.equal(d.status, 'dicom');
  assert.equal(d.anyCalledAe, false);
  assert.match(d.rejection!, /called AE title not recognized/);
  assert.equal(d.calledAe, 'HARDENED', 'the AE title came from the model');
  assert.equal(d.unknownCallingAccepted, false);
  const r = rules(intrusive, 4243);
  assert.ok(!r.includes('probe.dicom.any-called-ae'));
  assert.ok(!r.includes('probe.dicom.unknown-calling-ae'));
  const h = port<HttpPortResult>(intrusive, 8043);
  assert.equal(h.routes!['/system'], 401);
  assert.deepEqual(h.defaultCredentials, []);
});

test('Orthanc with remote access and no users: orthanc/orthanc opens the REST API (intrusive only)', () => {
  const h = port<HttpPortResult>(intrusive, 8044);
  assert.deepEqual(h.defaultCredentials, ['orthanc']);
  assert.match(h.orthanc?.version ?? '', /^1\.\d+\.\d+/);
  assert.ok(rules(intrusive, 8044).includes('probe.http.default-credentials'));
  assert.equal(port<HttpPortResult>(safe, 8044).defaultCredentials, undefined, 'the safe run never tries credentials');
});

test('dcmqrscp: called AE checked; with its AE title an unknown peer (Peers ANY) queries and the matches are counted', () => {
  const d = port<DicomPortResult>(intrusive, 11112);
  assert.equal(d.anyCalledAe, false);
  assert.equal(d.calledAe, 'DCMQRSCP');
  assert.equal(d.unknownCallingAccepted, true);
  assert.equal(d.implementation?.software, 'DCMTK 3.6.7');
  const study = d.find?.STUDY as { matches: number };
  const patient = d.find?.PATIENT as { matches: number };
  assert.equal(study.matches, 4);
  assert.equal(patient.matches, 4);
  const f = intrusive.findings.filter((x) => x.rule === 'probe.dicom.query-returns-records' && x.evidence.port === 11112);
  assert.deepEqual(f.map((x) => [x.evidence.level, x.evidence.matches]).sort(), [['PATIENT', 4], ['STUDY', 4]]);
});

test('storescp: any AE, storage and verification only', () => {
  const d = port<DicomPortResult>(safe, 104);
  assert.equal(d.anyCalledAe, true);
  assert.ok(d.contexts!.find((c) => c.name === 'CT Image Storage')!.accepted);
  assert.ok(!d.contexts!.find((c) => c.role === 'query')!.accepted);
});

test('our called-AE verdict matches nmap dicom-ping on every DICOM port', () => {
  for (const p of [104, 4242, 4243, 11112]) {
    const ours = port<DicomPortResult>(safe, p).anyCalledAe;
    const theirs = nmap.get(p);
    assert.equal(theirs, ours ? 'Any AET is accepted (Insecure)' : 'Called AET check enabled', `port ${p}: nmap says ${theirs}\n${nmapOut}`);
  }
});

test('MLLP: open without TLS (safe); the NMQ test message is acknowledged (intrusive)', () => {
  assert.equal(port<MllpPortResult>(safe, 2575).status, 'open');
  assert.equal(port<MllpPortResult>(safe, 2575).ack, undefined);
  const m = port<MllpPortResult>(intrusive, 2575);
  assert.equal(m.status, 'hl7');
  assert.equal(m.ack?.code, 'AA');
  assert.ok(rules(intrusive, 2575).includes('probe.hl7.unauthenticated-accept'));
  assert.ok(rules(safe, 2575).includes('probe.hl7.listener-plaintext'));
});

test('DICOM TLS (PS3.15) on 2762 and HTTPS on 8443: handshake, version and certificate', () => {
  const d = port<DicomPortResult>(safe, 2762);
  assert.equal(d.protocol, 'dicom-tls');
  assert.equal(d.status, 'dicom', 'a real association inside TLS');
  assert.match(d.tls!.protocol, /^TLSv1\.[23]$/);
  assert.equal(d.tls!.certificate?.selfSigned, true);
  const r = rules(safe, 2762);
  assert.ok(r.includes('probe.tls.cert-self-signed'));
  assert.ok(!r.includes('probe.dicom.plaintext'));
  const h = port<HttpPortResult>(safe, 8443);
  assert.equal(h.protocol, 'https');
  assert.equal(h.tls?.info.certificate?.subject, 'CN=pacs-tls.test');
  assert.deepEqual(h.tls?.oldProtocols, [], 'Orthanc\'s default SslMinimumProtocolVersion 4 refuses TLS 1.0/1.1');
  assert.ok(rules(safe, 8443).includes('probe.tls.cert-self-signed'));
  // Seen with Debian's Orthanc 1.10.1: after a good handshake its HTTPS server resets
  // every request (curl alike). The TLS facts above stand; the HTTP part is an error.
  if (h.status === 'http') assert.equal(h.routes!['/system'], 401);
  else assert.match(h.detail!, /^reset/);
  assert.ok(!rules(safe, 8443).includes('probe.http.plaintext'));
});

test('MLLP inside TLS (socat in front of the ACK server): TLS facts, acknowledged, not flagged as plaintext', () => {
  const s = port<MllpPortResult>(safe, 12575);
  assert.equal(s.protocol, 'hl7-tls');
  assert.equal(s.status, 'open');
  assert.match(s.tls!.protocol, /^TLSv1\.[23]$/);
  const m = port<MllpPortResult>(intrusive, 12575);
  assert.equal(m.ack?.code, 'AA');
  assert.ok(!rules(intrusive, 12575).includes('probe.hl7.listener-plaintext'));
  assert.ok(rules(intrusive, 12575).includes('probe.hl7.unauthenticated-accept'));
});

test('no PHI from the query answers reaches the report', () => {
  const text = JSON.stringify([safe, intrusive]);
  for (const phi of ['ZZCANARY', 'PHINEAS', 'CANARY-7731', 'DOE^JOHN', 'MRN0001']) assert.ok(!text.includes(phi), phi);
});
