import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeByShape, mergeFactsInto, MAX_FACT_ARRAY } from '../../src/observations/merge-facts.ts';
import { codeCounts, type EdgeFacts } from '../../src/observations/types.ts';

// A small seeded generator: the same cases on every run.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 4294967296;
  };
}

function facts(r: () => number): EdgeFacts {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const some = (xs: string[]): string[] => [...new Set(Array.from({ length: Math.floor(r() * 4) }, () => pick(xs)))];
  const countMap = (keys: string[]): Record<string, number> => Object.fromEntries(some(keys).map((k) => [k, 1 + Math.floor(r() * 5)]));
  // Analyzers never list the same pair twice in one edge's facts.
  const uniquePairs = <T extends object>(xs: T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify({ ...x, count: 0 }), x])).values()];
  const f: EdgeFacts = {};
  if (r() < 0.6) {
    f.dicom = {
      aePairs: uniquePairs(Array.from({ length: Math.floor(r() * 3) }, () => ({ calling: pick(['CT1', 'MR1', 'WS']), called: pick(['PACS', 'ORTHANC']), outcome: pick(['accepted', 'rejected'] as const), count: 1 + Math.floor(r() * 3) }))),
      sopClasses: some(['1.2.840.10008.1.1', '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4']),
      commands: countMap(['C-ECHO', 'C-STORE', 'C-FIND']),
      moveDestinations: some(['WS', 'VIEWER']),
      implementationClassUids: some(['1.2.276.0.7230010.3.0.3.6.7']),
      implementationVersions: some(['OFFIS_DCMTK_367', 'ORTHANC']),
    };
  }
  if (r() < 0.4) {
    f.hl7 = {
      appPairs: uniquePairs(Array.from({ length: Math.floor(r() * 3) }, () => ({ sendingApplication: pick(['EPIC', 'LAB']), sendingFacility: pick(['', 'MAIN']), receivingApplication: pick(['RIS', 'PHARM']), receivingFacility: '', count: 1 }))),
      messageTypes: countMap(['ADT^A01', 'ORU^R01', 'ACK']), versions: some(['2.3', '2.5.1']), segments: some(['MSH', 'PID', 'IN1']),
      fields: some(['PID-3', 'PID-5']), acks: countMap(['AA', 'AE']),
    };
  }
  if (r() < 0.4) {
    f.http = {
      hosts: some(['portal', 'pacs']), requests: countMap(['GET /a', 'POST /b']), fhirResources: some(['Patient', 'Observation']), dicomweb: some(['QIDO']),
      servers: some(['nginx']), userAgents: some(['curl']), cleartextCredentials: r() < 0.3, statuses: countMap(['200', '404']),
    };
  }
  if (r() < 0.3) f.tls = { sni: some(['a.example', 'b.example']), versions: some(['1.2', '1.3']), alpn: some(['h2']), ja4: some(['t13d']), certificateSubjects: some(['CN=a']) };
  if (r() < 0.3) f.dns = { names: some(['pacs.local', 'ehr.local']) };
  return f;
}

test('the typed fact mergers give what the shape rule gives, for every fact kind', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const a = facts(r);
    const b = facts(r);
    const typed = structuredClone(a);
    const shaped = structuredClone(a) as Record<string, unknown>;
    mergeFactsInto(typed, structuredClone(b));
    mergeByShape(shaped, structuredClone(b) as Record<string, unknown>);
    assert.deepEqual(typed, shaped, `case ${i}`);
  }
});

test('merging without take leaves the merged-in facts untouched and shares nothing with them', () => {
  const r = rng(11);
  for (let i = 0; i < 200; i++) {
    const a = facts(r);
    const b = facts(r);
    const before = structuredClone(b);
    mergeFactsInto(a, b);
    assert.deepEqual(b, before);
    // Mutating the result must not reach b.
    for (const p of a.dicom?.aePairs ?? []) p.count += 100;
    a.dicom?.sopClasses.push('x');
    assert.deepEqual(b, before);
  }
});

test('kinds without a typed merger are merged by shape; lists stop growing at the cap', () => {
  const a = { future: { names: ['x'], hits: { k: 1 } } } as unknown as EdgeFacts;
  mergeFactsInto(a, { future: { names: ['y'], hits: { k: 2, j: 1 } } } as unknown as EdgeFacts);
  assert.deepEqual((a as unknown as Record<string, unknown>).future, { names: ['x', 'y'], hits: { k: 3, j: 1 } });

  const big: EdgeFacts = { dns: { names: Array.from({ length: MAX_FACT_ARRAY }, (_, i) => `n${i}`) } };
  mergeFactsInto(big, { dns: { names: ['one-more'] } });
  assert.equal(big.dns!.names.length, MAX_FACT_ARRAY);
  const pairs: EdgeFacts = { dicom: { aePairs: [], sopClasses: [], commands: {}, moveDestinations: [], implementationClassUids: [], implementationVersions: [] } };
  for (let i = 0; i < 3; i++) {
    mergeFactsInto(pairs, { dicom: { aePairs: Array.from({ length: 400 }, (_, j) => ({ calling: `C${j}`, called: 'PACS', outcome: 'accepted' as const, count: 1 })), sopClasses: [], commands: {}, moveDestinations: [], implementationClassUids: [], implementationVersions: [] } });
  }
  assert.equal(pairs.dicom!.aePairs.length, 400);
  assert.ok(pairs.dicom!.aePairs.every((p) => p.count === 3));
});

test('status-code counts read, serialise and merge like a plain record, and keep codes out of an element array', () => {
  const codes = [503, 200, 404, 200, 101, 999, 200, 401];
  const cheap = codeCounts();
  const plain: Record<string, number> = {};
  for (const c of codes) {
    cheap[String(c)] = (cheap[String(c)] ?? 0) + 1;
    plain[String(c)] = (plain[String(c)] ?? 0) + 1;
  }
  assert.deepEqual(Object.keys(cheap), Object.keys(plain));
  assert.equal(JSON.stringify(cheap), JSON.stringify(plain));
  assert.deepEqual(cheap, plain);
  // A plain record made this way holds a slot per index up to the largest code; ours does not.
  // Measured by heap growth over many of them, with room for noise.
  const perObject = (make: () => Record<string, number>) => {
    const keep: Array<Record<string, number>> = [];
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 4000; i++) {
      const o = make();
      for (const c of codes) o[String(c)] = (o[String(c)] ?? 0) + 1;
      keep.push(o);
    }
    return (process.memoryUsage().heapUsed - before) / keep.length;
  };
  const plainBytes = perObject(() => ({}));
  const cheapBytes = perObject(codeCounts);
  assert.ok(cheapBytes * 4 < plainBytes, `${cheapBytes.toFixed(0)} bytes per record, against ${plainBytes.toFixed(0)} for a plain one`);

  const a: EdgeFacts = { http: { hosts: [], requests: {}, fhirResources: [], dicomweb: [], servers: [], userAgents: [], cleartextCredentials: false, statuses: codeCounts() } };
  a.http!.statuses['200'] = 2;
  mergeFactsInto(a, { http: { hosts: [], requests: {}, fhirResources: [], dicomweb: [], servers: [], userAgents: [], cleartextCredentials: false, statuses: { 200: 1, 404: 3 } } });
  assert.deepEqual(a.http!.statuses, { 200: 3, 404: 3 });
});
