import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proposeSegmentation } from '../../src/analyses/segment/propose.ts';
import { renderProposalYaml } from '../../src/analyses/segment/yaml.ts';
import { simulate } from '../../src/analyses/simulate/simulate.ts';
import { runCheck } from '../../src/analyses/check/run.ts';
import { openModel } from '../../src/model/open.ts';
import { REPO } from '../helpers/corpus.ts';
import { hospitalEdges } from './hospital.ts';

const NOW = Date.UTC(2026, 10, 28);
const HOSPITAL = join(REPO, 'examples', 'hospital');

function roundTrip(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wl-design-seg-'));
  try {
    writeFileSync(join(dir, 'model.yaml'), yaml);
    return openModel(dir).model;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without a model: role zones, minimal conduits, suspicious flows only in the review list', () => {
  const p = proposeSegmentation(hospitalEdges());
  const zoneOf = (addr: string) => p.assets.find((a) => a.address === addr)?.zone;
  assert.equal(zoneOf('10.20.10.11'), 'modalities');
  assert.equal(zoneOf('10.20.20.10'), 'imaging-servers');
  assert.equal(zoneOf('10.30.20.10'), 'interfaces');
  assert.equal(zoneOf('10.40.10.10'), 'pharmacy');
  assert.equal(zoneOf('172.16.10.30'), 'dmz');
  assert.equal(zoneOf('10.20.20.5'), undefined, 'silent scan targets are not assets');
  const modalities = p.conduits.find((c) => 'zone' in c.from && c.from.zone === 'modalities')!;
  assert.deepEqual(modalities.services, [{ transport: 'tcp', ports: [104], protocol: 'dicom' }]);
  assert.deepEqual(modalities.dicom, { callingAeTitles: ['CT_SCANNER01', 'MR_SCANNER01', 'US_CART03'], calledAeTitles: ['PACS_MAIN'] });
  const kioskFeed = p.conduits.find((c) => c.hl7?.messageTypes?.includes('ADT^A04'))!;
  assert.deepEqual(kioskFeed.hl7!.allowedFields, ['PID-3', 'PID-5']);
  assert.ok(!kioskFeed.hl7!.allowedSegments!.includes('IN1'));
  const billing = p.conduits.find((c) => 'partner' in c.to)!;
  assert.equal(billing.tlsRequired, true);
  // No conduit from the kiosk, from the scanner, or from the internet to the PACS web viewer.
  const asset = (addr: string) => p.assets.find((a) => a.address === addr)!.name;
  assert.ok(!p.conduits.some((c) => 'asset' in c.from && c.from.asset === asset('172.16.10.30')));
  assert.equal(zoneOf('10.80.2.66'), undefined, 'the scanner is for review, not for the inventory');
  assert.ok(!p.conduits.some((c) => 'asset' in c.to && c.to.asset === asset('172.16.10.20')));
  const reasons = p.review.map((r) => r.reason).join('\n');
  assert.match(reasons, /internet-facing host opening DICOM to pacs-main/);
  assert.match(reasons, /scan: many hosts\/ports probed/);
  assert.match(reasons, /internet client on cleartext http/);
  assert.match(reasons, /data minimisation: the feed also carries segment IN1, segment NK1/);
});

test('the proposed YAML is a valid model that keeps every legitimate flow and blocks the rest', () => {
  const edges = hospitalEdges();
  const p = proposeSegmentation(edges);
  const yaml = renderProposalYaml(p);
  assert.match(yaml, /# Radiology: CT_SCANNER01 -> PACS_MAIN, C-STORE, CT Image Storage\n/);
  const model = roundTrip(yaml);
  assert.equal(model.conduits.length, p.conduits.length);
  const r = runCheck(model, hospitalEdges(), { now: NOW });
  const verdict = (src: string, dst: string) => r.verdicts.find((v) => v.edge.startsWith(`${src}>${dst}/`))!;
  for (const [s, d] of [['10.20.10.11', '10.20.20.10'], ['10.30.10.10', '10.30.20.10'], ['10.30.20.10', '10.40.10.10'], ['203.0.113.77', '172.16.10.40'], ['10.80.1.17', '10.20.20.10']]) {
    assert.equal(verdict(s, d).verdict, 'allowed', `${s}->${d}`);
  }
  assert.deepEqual(verdict('172.16.10.30', '10.20.20.10').rules, ['check.no-conduit', 'check.phi-exposed']);
  assert.deepEqual(verdict('10.30.20.10', '172.16.10.30').rules, ['check.data-minimisation']);
  assert.deepEqual(verdict('10.30.30.10', '198.51.100.20').rules, ['check.cleartext-phi']);
});

test('with the hospital model: model names and kinds, unknown hosts go to review', () => {
  const { model } = openModel(HOSPITAL);
  const p = proposeSegmentation(hospitalEdges(), model);
  assert.ok(p.conduits.some((c) => c.id === 'emr-core-01-to-interface-engine'));
  assert.ok(p.conduits.some((c) => 'partner' in c.to && c.to.partner === 'clearinghouse'));
  assert.equal(p.assets.find((a) => a.name === 'monitoring-gateway')!.zone, 'monitoring');
  assert.ok(!p.conduits.some((c) => c.dicom?.callingAeTitles?.includes('UNKNOWN_AE')));
  assert.ok(p.review.some((r) => /10\.20\.10\.99 is not in the model's inventory/.test(r.reason)));
  roundTrip(renderProposalYaml(p));
});

test('simulate: a candidate missing a conduit breaks the handover it carried; suspicious flows are intended blocks', () => {
  const { model: baseline } = openModel(HOSPITAL);
  const p = proposeSegmentation(hospitalEdges(), baseline);
  const candidate = roundTrip(renderProposalYaml(p));
  const same = simulate(hospitalEdges(), candidate, baseline, { now: NOW });
  assert.deepEqual(same.breaks, []);
  assert.ok(same.intendedBlocks.every((b) => b.suspicious));
  const broken = { ...candidate, conduits: candidate.conduits.filter((c) => c.id !== 'emr-core-01-to-interface-engine') };
  const r = simulate(hospitalEdges(), broken, baseline, { now: NOW });
  assert.equal(r.breaks.length, 1);
  assert.equal(r.breaks[0].handover, 'EMR: EPIC/STBRIGID -> RHAPSODY, ADT^A01, ORM^O01');
  assert.equal(r.breaks[0].before, 'emr-to-interface-engine');
  const f = r.findings.find((x) => x.rule === 'simulate.would-break')!;
  assert.equal(f.severity, 'high');
  // Against an unsegmented today, the scan and the kiosk's DICOM are blocked on purpose.
  const flat = simulate(hospitalEdges(), candidate, undefined, { now: NOW });
  assert.ok(flat.intendedBlocks.some((b) => b.edge.startsWith('172.16.10.30>10.20.20.10/')));
  assert.equal(flat.breaks.length, 0);
});
