import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from '../../src/model/load.ts';
import { fieldLoc } from '../../src/model/locations.ts';
import { checkModel } from '../../src/model/open.ts';
import { snapshotModel } from '../../src/model/snapshot.ts';
import { tempModel, wardline } from './cli.ts';

const cleanups: Array<() => void> = [];
after(() => { for (const c of cleanups) c(); });

const FILES = {
  'site.yaml': 'site:\n  name: Split Hospital\n  timezone: America/Chicago\nprocesses: [research]\n',
  'zones-a.yaml': 'zones:\n  - name: servers\n    kind: server\n    cidrs: [10.0.0.0/24]\n    processes: [research]\n',
  'zones-b.yml': '# more zones\nzones:\n  - name: clients\n    kind: user\n    cidr: 10.1.0.0/24\n  - name: internet\n    kind: external\n',
  'assets.yaml': 'assets:\n  - name: db\n    kind: other\n    address: 10.0.0.5\n---\nassets:\n  - name: ws\n    kind: workstation\n    address: 10.1.0.7\n',
  'conduits.yaml': 'conduits:\n  - from: clients\n    to: db\n    services: [tcp/5432:postgres]\n',
  'README.txt': 'not a model file: ignored',
  '.draft.yaml': 'this: is hidden and ignored',
};

test('a directory merges its YAML files; each section may be split across files', () => {
  const { dir, cleanup } = tempModel(FILES);
  cleanups.push(cleanup);
  const { model, problems } = checkModel(dir);
  assert.deepEqual(problems, []);
  assert.equal(model.site.name, 'Split Hospital');
  assert.equal(model.site.timezone, 'America/Chicago');
  assert.deepEqual(model.files.map((f) => f.slice(dir.length + 1)), ['assets.yaml', 'conduits.yaml', 'site.yaml', 'zones-a.yaml', 'zones-b.yml']);
  assert.deepEqual(model.zones.map((z) => z.name), ['servers', 'clients', 'internet']);
  assert.deepEqual(model.assets.map((a) => [a.name, a.zone]), [['db', 'servers'], ['ws', 'clients']]);
  assert.ok(model.processes.some((p) => p.name === 'research' && !p.builtin));
  // Each element remembers its own file and line.
  const clients = model.zones[1];
  assert.deepEqual(clients.loc, { file: join(dir, 'zones-b.yml'), line: 3, column: 5 });
  assert.deepEqual(fieldLoc(clients, 'cidrs.0'), { file: join(dir, 'zones-b.yml'), line: 5, column: 11 });
  assert.deepEqual(model.assets[1].loc, { file: join(dir, 'assets.yaml'), line: 7, column: 5 });
  // Bare endpoint names resolve across files; the id is generated.
  const c = model.conduits[0];
  assert.deepEqual([c.from, c.to, c.id], [{ zone: 'clients' }, { asset: 'db' }, 'zone:clients->asset:db']);
});

test('a section defined twice across files is an error pointing at the second', async () => {
  const { dir, cleanup } = tempModel({ ...FILES, 'zz-site.yaml': '\nsite:\n  name: Other\n' });
  cleanups.push(cleanup);
  const { problems } = loadModel(dir);
  const dup = problems.find((p) => p.code === 'site.duplicate');
  assert.ok(dup);
  assert.deepEqual(dup.location, { file: join(dir, 'zz-site.yaml'), line: 2, column: 1 });
  assert.match(dup.hint ?? '', /site\.yaml:1/);
  const r = await wardline(['model', 'validate', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /zz-site\.yaml:2:1: error: the site is defined twice/);
});

test('a zone name duplicated across files points at both files', () => {
  const { dir, cleanup } = tempModel({ ...FILES, 'zones-c.yaml': 'zones:\n  - name: servers\n    kind: server\n    cidrs: [10.9.0.0/24]\n' });
  cleanups.push(cleanup);
  const { problems } = checkModel(dir);
  const dup = problems.find((p) => p.code === 'name.duplicate');
  assert.ok(dup);
  assert.equal(dup.location?.file, join(dir, 'zones-c.yaml'));
  assert.equal(dup.location?.line, 2);
  assert.match(dup.hint ?? '', /zones-a\.yaml:2:5/);
});

test('an empty directory is an input error', async () => {
  const { dir, cleanup } = tempModel({ 'notes.txt': 'x' });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'show', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no \*\.yaml or \*\.yml files in/);
});

test('YAML merge keys share settings; x-* sections hold the anchors', () => {
  const { dir, cleanup } = tempModel({
    'm.yaml': `site: {name: M, timezone: UTC}
zones:
  - {name: icu, kind: clinical, cidrs: [10.50.0.0/24], processes: [patient-monitoring]}
x-monitor: &monitor
  kind: patient-monitor
  vendor: Philips
  criticality: critical
assets:
  - name: bed-1
    <<: *monitor
    address: 10.50.0.11
  - name: bed-2
    <<: [*monitor]
    address: 10.50.0.12
    criticality: high
  - name: bed-3
    <<: *monitor
    address: 10.50.0.13
    vendr: typo
`,
  });
  cleanups.push(cleanup);
  const { model, problems } = checkModel(dir);
  assert.deepEqual(model.assets.map((a) => [a.name, a.kind, a.vendor, a.criticality, a.process]), [
    ['bed-1', 'patient-monitor', 'Philips', 'critical', 'patient-monitoring'],
    ['bed-2', 'patient-monitor', 'Philips', 'high', 'patient-monitoring'],
    ['bed-3', 'patient-monitor', 'Philips', 'critical', 'patient-monitoring'],
  ]);
  // Merged values point at where they were written (the anchor).
  assert.deepEqual(fieldLoc(model.assets[0], 'vendor'), { file: join(dir, 'm.yaml'), line: 6, column: 11 });
  assert.deepEqual(problems.map((p) => [p.code, p.location?.line, p.location?.column, p.hint]), [['key.unknown', 19, 5, "did you mean 'vendor'?"]]);
});

test('snapshots of the same model hash equal wherever it was loaded from', () => {
  const a = tempModel(FILES);
  const b = tempModel(FILES);
  cleanups.push(a.cleanup, b.cleanup);
  const sa = snapshotModel(checkModel(a.dir).model, a.dir);
  const sb = snapshotModel(checkModel(b.dir).model, b.dir);
  assert.equal(sa.hash, sb.hash);
  assert.doesNotMatch(sa.json, /wl-model-/);
  const changed = tempModel({ ...FILES, 'zones-a.yaml': FILES['zones-a.yaml'].replace('10.0.0.0/24', '10.0.0.0/25') });
  cleanups.push(changed.cleanup);
  assert.notEqual(snapshotModel(checkModel(changed.dir).model, changed.dir).hash, sa.hash);
});
