import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModelSources } from '../../src/model/load.ts';
import type { Problem } from '../../src/model/problem.ts';
import { validateModel } from '../../src/model/validate.ts';

const BASE = `site: {name: V, timezone: UTC}
zones:
  - {name: servers, kind: server, cidrs: [10.0.0.0/24], processes: [radiology]}
  - {name: dmz, kind: dmz, cidrs: [172.16.0.0/24], internetFacing: true}
  - {name: internet, kind: external}
partners:
  - {name: insurer, kind: insurer, address: 203.0.113.10}
assets:
  - {name: pacs, kind: pacs, address: 10.0.0.10, aeTitle: PACS}
`;

/** Problems of BASE plus extra lines, as [severity, code, line]. */
function problemsOf(extra: string, now = Date.UTC(2026, 5, 1)): Array<[string, string, number | undefined]> {
  const { model, problems } = loadModelSources([{ file: 'v.yaml', text: BASE + extra }]);
  const all: Problem[] = [...problems, ...validateModel(model, { now })];
  return all.map((p) => [p.severity, p.code, p.location?.line]);
}

test('the base model has no problems', () => {
  assert.deepEqual(problemsOf(''), []);
});

test('PHI to or from the internet or a partner without TLS is a warning; with TLS it is not', () => {
  assert.deepEqual(problemsOf('conduits:\n  - {from: zone:internet, to: asset:pacs, services: [https]}\n'), [['warning', 'conduit.external-cleartext', 11]]);
  assert.deepEqual(problemsOf('conduits:\n  - {from: zone:internet, to: asset:pacs, services: [https], tlsRequired: true}\n'), []);
  assert.deepEqual(problemsOf('conduits:\n  - {from: asset:pacs, to: partner:insurer, services: [https]}\n'), [['warning', 'conduit.external-cleartext', 11]]);
  assert.deepEqual(problemsOf('conduits:\n  - {from: asset:pacs, to: partner:insurer, services: [https], phiAllowed: false}\n'), []);
});

test('an internet-facing zone holding PHI assets is a warning at its internetFacing flag', () => {
  assert.deepEqual(problemsOf('  - {name: kiosk, kind: kiosk, address: 172.16.0.30}\n'), [['warning', 'zone.internet-facing-phi', 4]]);
  assert.deepEqual(problemsOf('  - {name: sign, kind: other, address: 172.16.0.31}\n'), []);
});

test('broad and pointless conduits, mismatched processes, duplicate identities', () => {
  assert.deepEqual(problemsOf('conduits:\n  - {from: zone:dmz, to: asset:pacs, services: [tcp]}\n'), [['warning', 'conduit.any-port', 11]]);
  assert.deepEqual(problemsOf('conduits:\n  - {from: zone:servers, to: zone:servers, services: [dicom]}\n'), [['warning', 'conduit.self', 11]]);
  assert.deepEqual(problemsOf('  - {name: ws, kind: workstation, address: 10.0.0.20, process: surgery}\n'), [['warning', 'asset.process-zone', 10]]);
  assert.deepEqual(problemsOf('  - {name: ws, kind: workstation, address: 10.0.0.20, aeTitle: PACS}\n'), [['warning', 'asset.ae-duplicate', 10]]);
  assert.deepEqual(problemsOf('  - {name: twin, kind: other, address: 10.0.0.10}\n'), [['error', 'asset.address-duplicate', 10]]);
  assert.deepEqual(problemsOf('  - {name: far, kind: other, address: 198.51.100.1}\n'), [['warning', 'asset.unzoned', 10]]);
});

test('bare endpoint names resolve when unique and are errors when ambiguous or unknown', () => {
  assert.deepEqual(problemsOf('conduits:\n  - {from: dmz, to: pacs, services: [dicom]}\n'), []);
  assert.deepEqual(problemsOf('  - {name: dmz, kind: other, address: 10.0.0.99}\nconduits:\n  - {from: dmz, to: pacs, services: [dicom]}\n'), [['error', 'conduit.ambiguous-endpoint', 12]]);
  assert.deepEqual(problemsOf('conduits:\n  - {from: dnz, to: pacs, services: [dicom]}\n'), [['error', 'ref.unknown-endpoint', 11]]);
});

test('expiry is a warning from the day after the expiry date (UTC)', () => {
  const c = 'conduits:\n  - {from: zone:dmz, to: asset:pacs, services: [dicom], expires: 2026-06-01}\n';
  assert.deepEqual(problemsOf(c, Date.UTC(2026, 5, 1, 23, 59)), []);
  assert.deepEqual(problemsOf(c, Date.UTC(2026, 5, 2)), [['warning', 'conduit.expired', 11]]);
});

test('kinds, criticality and partner kinds are checked with suggestions', () => {
  const { problems } = loadModelSources([{ file: 'v.yaml', text: BASE + '  - {name: x, kind: infusion-pmup, address: 10.0.0.30, criticality: severe}\n' }]);
  assert.deepEqual(problems.map((p) => [p.code, p.hint]), [
    ['asset-kind.unknown', "did you mean 'infusion-pump'?"],
    ['criticality.unknown', 'one of: low, medium, high, critical'],
  ]);
});
