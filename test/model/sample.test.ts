import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/corpus.ts';
import { ModelIndex } from '../../src/model/index.ts';
import { checkModel } from '../../src/model/open.ts';
import { serviceMatches } from '../../src/model/service.ts';
import { BUILTIN_PROCESSES, type Conduit } from '../../src/model/types.ts';
import { wardline } from './cli.ts';

const SAMPLE = join(REPO, 'examples', 'hospital');
const { model, problems } = checkModel(SAMPLE, { now: Date.UTC(2026, 10, 28) });
const index = new ModelIndex(model);

/** Conduits that would allow a TCP connection from one address to another port. */
function allowing(src: string, dst: string, port: number): Conduit[] {
  return model.conduits.filter((c) => index.endpointContains(c.from, src) && index.endpointContains(c.to, dst) && c.services.some((s) => serviceMatches(s, 'tcp', port)));
}

test('the sample hospital validates through the CLI (warnings only)', async () => {
  const r = await wardline(['model', 'validate', 'examples/hospital', '--now', '2026-11-28']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /: error: /);
  assert.match(r.stdout, /conduits\.yaml:\d+:\d+: warning: conduit 'vendor-support-ct' expired on 2025-06-30/);
  const json = await wardline(['model', 'validate', 'examples/hospital', '--json']);
  const doc = JSON.parse(json.stdout) as { valid: boolean; errors: number; summary: { assets: number } };
  assert.equal(doc.valid, true);
  assert.equal(doc.errors, 0);
  assert.equal(doc.summary.assets, model.assets.length);
});

test('the sample has 40-80 assets across all six processes, one expired conduit', () => {
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  assert.ok(model.assets.length >= 40 && model.assets.length <= 80, `${model.assets.length} assets`);
  const processes = new Set(model.assets.map((a) => a.process));
  for (const p of BUILTIN_PROCESSES) assert.ok(processes.has(p), `no asset in process ${p}`);
  assert.ok(processes.has('billing'));
  assert.equal(problems.filter((p) => p.code === 'conduit.expired').length, 1);
  for (const c of model.conduits) {
    assert.ok(c.owner, `conduit ${c.id} has no owner`);
    assert.ok(c.justification, `conduit ${c.id} has no justification`);
  }
});

test('zones follow the agreed address plan', () => {
  const plan: Array<[string, string, string, number, string[]]> = [
    ['radiology-modalities', '10.20.10.0/24', 'clinical', 2, ['radiology']],
    ['imaging-servers', '10.20.20.0/24', 'server', 3, ['radiology']],
    ['emr-core', '10.30.10.0/24', 'server', 3, ['emr']],
    ['integration', '10.30.20.0/24', 'server', 3, ['emr', 'diagnostics', 'medication-management']],
    ['billing', '10.30.30.0/24', 'server', 2, ['billing']],
    ['pharmacy', '10.40.10.0/24', 'clinical', 2, ['medication-management']],
    ['patient-monitoring', '10.50.10.0/24', 'clinical', 3, ['patient-monitoring']],
    ['surgery', '10.60.10.0/24', 'clinical', 3, ['surgery']],
    ['laboratory', '10.70.10.0/24', 'clinical', 2, ['diagnostics']],
    ['clinical-workstations', '10.80.0.0/22', 'user', 2, ['radiology', 'emr']],
    ['dmz', '172.16.10.0/24', 'dmz', 2, []],
    ['management', '10.99.0.0/24', 'management', 3, []],
  ];
  for (const [name, cidr, kind, sl, procs] of plan) {
    const z = index.zones.get(name);
    assert.ok(z, name);
    assert.deepEqual([z.cidrs[0], z.kind, z.securityLevel, z.processes], [cidr, kind, sl, procs], name);
  }
  assert.equal(index.zones.get('dmz')!.internetFacing, true);
  assert.equal(index.zones.get('internet')!.kind, 'external');
  assert.equal(index.zoneFor('203.0.113.77')!.name, 'internet');
});

test('the hosts the lab realises have the agreed addresses and identities', () => {
  const plan: Array<[string, string, string?, string?]> = [
    ['ct-scanner-01', '10.20.10.11', 'CT_SCANNER01'], ['mr-scanner-01', '10.20.10.12', 'MR_SCANNER01'],
    ['us-cart-03', '10.20.10.13', 'US_CART03'], ['pacs-main', '10.20.20.10', 'PACS_MAIN'],
    ['vna-archive', '10.20.20.11', 'VNA_ARCHIVE'], ['radiology-ws-07', '10.80.1.17', 'RAD_WS07'],
    ['emr-core-01', '10.30.10.10', undefined, 'EPIC^STBRIGID'], ['interface-engine', '10.30.20.10', undefined, 'RHAPSODY^STBRIGID'],
    ['pharmacy-system', '10.40.10.10', undefined, 'PYXIS^PHARM'], ['monitoring-gateway', '10.50.10.10', undefined, 'PHILIPS_PIC^ICU'],
    ['lis-01', '10.70.10.10', undefined, 'LIS^LAB'], ['billing-gateway', '10.30.30.10'], ['kiosk-lobby-01', '172.16.10.30'],
    ['pacs-web-viewer', '172.16.10.20'], ['patient-portal', '172.16.10.40'], ['dns-resolver', '10.99.0.53'], ['compromised-ws', '10.80.2.66'],
  ];
  for (const [name, addr, ae, app] of plan) {
    assert.equal(index.assetFor(addr)?.name, name, addr);
    if (ae) assert.equal(index.assetByAeTitle(ae)?.name, name);
    if (app) assert.equal(index.assetByHl7Application(app.split('^')[0], app.split('^')[1])?.name, name);
  }
  assert.equal(index.partnerFor('198.51.100.20')?.name, 'clearinghouse');
  assert.equal(index.byHost('edi.clearinghouse.example')?.name, 'clearinghouse');
  assert.equal(index.partnerFor('203.0.113.10')?.name, 'insurer');
  assert.equal(index.assets.get('pacs-main')!.cpe, 'cpe:2.3:a:orthanc-server:orthanc:1.10.1:*:*:*:*:*:*:*');
  assert.equal(index.assets.get('vna-archive')!.cpe, 'cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*');
});

test('the planted problems are not allowed by any conduit', () => {
  // The kiosk reaches the PACS: no conduit allows it.
  assert.deepEqual(allowing('172.16.10.30', '10.20.20.10', 104), []);
  // The PACS web viewer from the internet: no conduit.
  assert.deepEqual(allowing('203.0.113.77', '172.16.10.20', 8042), []);
  // ...while the portal is reachable over HTTPS, TLS required.
  const portal = allowing('203.0.113.77', '172.16.10.40', 443);
  assert.equal(portal.length, 1);
  assert.equal(portal[0].tlsRequired, true);
  // The clearinghouse conduit requires TLS (the lab's traffic is cleartext).
  const ch = allowing('10.30.30.10', '198.51.100.20', 2575);
  assert.equal(ch.length, 1);
  assert.equal(ch[0].tlsRequired, true);
  assert.deepEqual(ch[0].hl7?.messageTypes, ['DFT^P03', 'BAR^P01']);
  // The kiosk's ADT conduit allows only PID-3, PID-5 and PV1 of patient data.
  const kiosk = allowing('10.30.20.10', '172.16.10.30', 2575);
  assert.equal(kiosk.length, 1);
  assert.deepEqual(kiosk[0].hl7?.allowedFields, ['PID-3', 'PID-5']);
  assert.ok(kiosk[0].hl7?.allowedSegments?.includes('PV1'));
  assert.ok(!kiosk[0].hl7?.allowedSegments?.some((s) => ['PID', 'NK1', 'IN1'].includes(s)));
  // The outdated DICOM stack is recorded for the vulnerability matcher.
  assert.match(index.assets.get('us-cart-03')!.cpe ?? '', /offis:dcmtk:3\.5\.4/);
  // The legitimate flows the lab makes are allowed.
  assert.equal(allowing('10.20.10.11', '10.20.20.10', 104).length, 1);
  assert.equal(allowing('10.80.1.17', '10.20.20.11', 11112).length, 1);
  assert.equal(allowing('10.20.20.10', '10.80.1.17', 11114).length, 1);
  assert.equal(allowing('172.16.10.40', '10.30.10.10', 8080)[0]?.fhir?.allowedResources?.join(), 'Appointment,Patient');
});
