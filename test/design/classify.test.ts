import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyEdges } from '../../src/observations/classify.ts';
import { hospitalEdges, hospitalModel } from './hospital.ts';

function byFlow(edges: ReturnType<typeof hospitalEdges>, src: string, dst: string) {
  const e = edges.find((x) => x.src === src && x.dst === dst);
  assert.ok(e, `${src}->${dst}`);
  return e.label!;
}

test('labels clinical handovers from protocol facts and the model', () => {
  const edges = hospitalEdges();
  classifyEdges(edges, hospitalModel());
  assert.equal(byFlow(edges, '10.20.10.11', '10.20.20.10').handover, 'Radiology: CT_SCANNER01 -> PACS_MAIN, C-STORE, CT Image Storage');
  const adt = byFlow(edges, '10.30.10.10', '10.30.20.10');
  assert.equal(adt.process, 'emr');
  assert.equal(adt.handover, 'EMR: EPIC/STBRIGID -> RHAPSODY, ADT^A01, ORM^O01');
  assert.equal(byFlow(edges, '10.30.20.10', '10.40.10.10').process, 'medication-management');
  // ORU is ambiguous: the sender's process decides.
  assert.equal(byFlow(edges, '10.50.10.10', '10.30.20.10').process, 'patient-monitoring');
  assert.equal(byFlow(edges, '10.70.10.10', '10.30.20.10').process, 'diagnostics');
  const bill = byFlow(edges, '10.30.30.10', '198.51.100.20');
  assert.deepEqual([bill.process, bill.external, bill.partner], ['billing', true, 'clearinghouse']);
  const fhir = byFlow(edges, '172.16.10.40', '10.30.10.10');
  assert.equal(fhir.handover, 'EMR: patient-portal -> emr-core-01, FHIR GET Appointment, Patient');
  assert.equal(fhir.external, false);
  const web = byFlow(edges, '203.0.113.77', '172.16.10.20');
  assert.equal(web.external, true);
  assert.equal(web.partner, undefined);
  assert.equal(web.process, 'radiology');
});

test('labels without a model come from protocol facts and addresses alone', () => {
  const edges = hospitalEdges();
  classifyEdges(edges);
  assert.equal(byFlow(edges, '10.20.10.11', '10.20.20.10').handover, 'Radiology: CT_SCANNER01 -> PACS_MAIN, C-STORE, CT Image Storage');
  const bill = byFlow(edges, '10.30.30.10', '198.51.100.20');
  assert.deepEqual([bill.process, bill.external, bill.partner], ['billing', true, undefined]);
  const scan = byFlow(edges, '10.80.2.66', '10.20.20.1');
  assert.equal(scan.process, 'unknown');
  assert.equal(scan.handover, 'Unclassified: 10.80.2.66 -> 10.20.20.1, tcp/104');
  assert.equal(byFlow(edges, '10.30.10.10', '10.30.20.10').external, false);
});
