import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseScope, planTargets } from '../../src/checks/probe/scope.ts';
import { ModelIndex } from '../../src/model/index.ts';
import { openModel } from '../../src/model/open.ts';
import { REPO } from '../helpers/corpus.ts';

test('the sample hospital model: do-not-probe assets are skipped, DMZ assets are exposed, AE titles are hints', async () => {
  const index = new ModelIndex(openModel(join(REPO, 'examples', 'hospital')).model);
  const fragile = index.model.assets.find((a) => a.doNotProbe && a.addresses.length)!;
  const dmzZones = new Set(index.model.zones.filter((z) => z.internetFacing || z.kind === 'dmz').map((z) => z.name));
  const exposed = index.model.assets.find((a) => a.zone && dmzZones.has(a.zone) && !a.doNotProbe && a.addresses.length)!;
  const pacs = index.model.assets.find((a) => a.kind === 'pacs' && !a.doNotProbe && a.aeTitles.length)!;
  assert.ok(fragile && exposed && pacs, 'the sample model has a fragile device, a DMZ asset and a PACS');
  const addr = (a: { addresses: string[] }) => a.addresses[0].split('/')[0];
  const plan = await planTargets([addr(fragile), addr(exposed), addr(pacs)], parseScope(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']), index);
  assert.deepEqual(plan.skipped.map((s) => s.asset), [fragile.name]);
  const byAsset = new Map(plan.targets.map((t) => [t.asset, t]));
  assert.ok(byAsset.get(exposed.name)!.exposedVia!.some((v) => v.startsWith(`in zone ${exposed.zone}`)));
  assert.deepEqual(byAsset.get(pacs.name)!.aeTitles, pacs.aeTitles);
});

test('scope parsing and target expansion', async () => {
  assert.throws(() => parseScope(['10.0.0.0/33']), /not an address or CIDR/);
  const plan = await planTargets(['10.9.9.0/30'], parseScope(['10.9.9.0/24']));
  assert.deepEqual(plan.targets.map((t) => t.address), ['10.9.9.1', '10.9.9.2'], 'network and broadcast addresses are not hosts');
  await assert.rejects(planTargets(['localhost'], parseScope(['10.0.0.0/8'])), /outside the scope/);
});
