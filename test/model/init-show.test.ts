import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SiteModel } from '../../src/model/types.ts';
import { tempModel, wardline } from './cli.ts';

const cleanups: Array<() => void> = [];
after(() => { for (const c of cleanups) c(); });

test('init writes a commented starter model that validates, and refuses to overwrite', async () => {
  const { dir, cleanup } = tempModel({});
  cleanups.push(cleanup);
  const r = await wardline(['init'], dir);
  assert.equal(r.code, 0, r.stderr);
  const file = join(dir, 'wardline.yaml');
  assert.ok(existsSync(file));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# Wardline site model/);
  for (const section of ['site:', 'processes:', 'zones:', 'assets:', 'partners:', 'conduits:']) assert.ok(text.includes(`\n${section}`), section);
  // Found without a path: wardline.yaml in the working directory.
  const v = await wardline(['model', 'validate'], dir);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(v.stdout, '');
  writeFileSync(file, text + '\n# my edits\n');
  const again = await wardline(['init'], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /wardline\.yaml: a model file already exists here/);
  assert.match(readFileSync(file, 'utf8'), /# my edits/);
  const forced = await wardline(['init', '--force'], dir);
  assert.equal(forced.code, 0);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /# my edits/);
  const sub = await wardline(['init', 'site-model', '--json'], dir);
  assert.equal(sub.code, 0);
  assert.deepEqual(JSON.parse(sub.stdout), { written: join('site-model', 'wardline.yaml') });
});

test('without a path and without a model, validate says where it looked', async () => {
  const { dir, cleanup } = tempModel({});
  cleanups.push(cleanup);
  const r = await wardline(['model', 'validate'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no site model given and none found/);
  assert.match(r.stderr, /wardline\.yaml or wardline\.yml or model/);
});

test('model show --json prints the normalised model with defaults applied', async () => {
  const { dir, cleanup } = tempModel({
    'model/a.yaml': `site: {name: Defaults, timezone: UTC}
zones:
  - {name: modalities, kind: clinical, cidrs: [10.20.10.0/24], processes: [radiology]}
  - {name: office, kind: user, cidrs: [10.90.0.0/24]}
  - {name: internet, kind: external}
assets:
  - {name: ct, kind: ct, address: 10.20.10.11}
  - {name: printer, kind: other, address: 10.90.0.5}
conduits:
  - {from: office, to: asset:printer, services: [{transport: tcp, ports: [9100, 515-516]}]}
  - {from: office, to: modalities, services: ["dicom/104,11112", "tcp/2575:hl7", udp/53, https]}
`,
  });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'show', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as SiteModel;
  assert.equal(m.processes.length, 6);
  const modalities = m.zones.find((z) => z.name === 'modalities')!;
  assert.equal(modalities.securityLevel, 2);
  assert.equal(modalities.internetFacing, false);
  assert.equal(m.zones.find((z) => z.name === 'internet')!.internetFacing, true);
  const ct = m.assets.find((a) => a.name === 'ct')!;
  assert.deepEqual([ct.zone, ct.process, ct.phi, ct.doNotProbe, ct.criticality], ['modalities', 'radiology', true, true, 'medium']);
  const printer = m.assets.find((a) => a.name === 'printer')!;
  assert.deepEqual([printer.zone, printer.process, printer.phi, printer.doNotProbe], ['office', undefined, false, false]);
  const [c1, c2] = m.conduits;
  assert.equal(c1.id, 'zone:office->asset:printer');
  assert.deepEqual(c1.services, [{ transport: 'tcp', ports: [9100, [515, 516]] }]);
  assert.equal(c1.phiAllowed, false, 'no PHI at either end');
  assert.equal(c1.tlsRequired, false);
  assert.equal(c2.phiAllowed, true, 'the modalities zone holds PHI');
  assert.deepEqual(c2.services, [
    { transport: 'tcp', ports: [104, 11112], protocol: 'dicom' },
    { transport: 'tcp', ports: [2575], protocol: 'hl7' },
    { transport: 'udp', ports: [53] },
    { transport: 'tcp', ports: [443], protocol: 'https' },
  ]);
  assert.deepEqual(ct.loc, { file: join('model', 'a.yaml'), line: 7, column: 5 });
  const table = await wardline(['model', 'show'], dir);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /Defaults \(UTC\): 3 zones, 2 assets, 2 conduits/);
  assert.match(table.stdout, /zone:office->asset:printer\s+zone:office\s+asset:printer\s+tcp\/9100,515-516/);
});

test('model show refuses a model with errors', async () => {
  const { dir, cleanup } = tempModel({ 'wardline.yaml': 'zones:\n  - {name: a, kind: server, cidrs: [10.0.0.0/8]}\n  - {name: b, kind: server, cidrs: [10.1.0.0/16]}\n' });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'show', '--json'], dir);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /wardline\.yaml:3:37: zone 'b' CIDR 10\.1\.0\.0\/16 overlaps zone 'a'/);
});
