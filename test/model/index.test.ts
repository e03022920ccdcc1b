import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, parseIPv4, parseIp, cidrContains, formatIPv4 } from '../../src/core/net.ts';
import { ModelIndex } from '../../src/model/index.ts';
import { rng } from '../../fuzz/lib.ts';
import { loadModelSources } from '../../src/model/load.ts';
import type { SiteModel, Zone } from '../../src/model/types.ts';

function zone(name: string, cidrs: string[], kind: Zone['kind'] = 'server'): Zone {
  return { name, cidrs, processes: [], kind, securityLevel: 2, internetFacing: kind === 'external' };
}

function model(zones: Zone[]): SiteModel {
  return { site: { name: 't', timezone: 'UTC' }, processes: [], zones, assets: [], conduits: [], partners: [], files: [] };
}

test('longest prefix wins for nested zones; the external zone is the fallback', () => {
  const idx = new ModelIndex(model([
    zone('internet', [], 'external'),
    zone('corp', ['10.0.0.0/8']),
    zone('campus', ['10.1.0.0/16']),
    zone('ward', ['10.1.2.0/24']),
    zone('host', ['10.1.2.3/32']),
  ]));
  const cases: Array<[string, string]> = [
    ['10.1.2.3', 'host'], ['10.1.2.4', 'ward'], ['10.1.2.0', 'ward'], ['10.1.2.255', 'ward'], ['10.1.3.0', 'campus'],
    ['10.1.255.255', 'campus'], ['10.2.0.0', 'corp'], ['10.0.0.0', 'corp'], ['10.255.255.255', 'corp'],
    ['9.255.255.255', 'internet'], ['11.0.0.0', 'internet'], ['0.0.0.0', 'internet'], ['255.255.255.255', 'internet'],
    ['2001:db8::1', 'internet'],
  ];
  for (const [ip, want] of cases) {
    assert.equal(idx.zoneFor(ip)?.name, want, ip);
    const v4 = parseIPv4(ip);
    if (v4 !== undefined) assert.equal(idx.zoneForV4(v4)?.name, want, `${ip} as a number`);
  }
  assert.equal(idx.zoneFor('not an ip'), undefined);
});

test('identical prefixes: the first definition wins (validation reports the clash)', () => {
  const idx = new ModelIndex(model([zone('first', ['10.0.0.0/24']), zone('second', ['10.0.0.0/24', '10.0.1.0/24'])]));
  assert.equal(idx.zoneFor('10.0.0.1')?.name, 'first');
  assert.equal(idx.zoneFor('10.0.1.1')?.name, 'second');
});

test('without an external zone, unzoned addresses have no zone', () => {
  const idx = new ModelIndex(model([zone('a', ['192.168.0.0/16'])]));
  assert.equal(idx.zoneFor('192.168.4.4')?.name, 'a');
  assert.equal(idx.zoneFor('192.169.0.0'), undefined);
  assert.equal(idx.zoneFor('fd00::1'), undefined);
});

test('IPv6 zones, nesting and IPv4-mapped forms', () => {
  const idx = new ModelIndex(model([
    zone('internet', ['0.0.0.0/0', '::/0'], 'external'),
    zone('site', ['fd00:20::/48']),
    zone('imaging', ['fd00:20:0:10::/64', '10.20.20.0/24']),
    zone('mapped', ['::ffff:192.0.2.0/120']),
  ]));
  assert.equal(idx.zoneFor('fd00:20:0:10::5')?.name, 'imaging');
  assert.equal(idx.zoneFor('fd00:20:0:10:ffff:ffff:ffff:ffff')?.name, 'imaging');
  assert.equal(idx.zoneFor('fd00:20:0:11::1')?.name, 'site');
  assert.equal(idx.zoneFor('fd00:21::1')?.name, 'internet');
  assert.equal(idx.zoneFor('::ffff:192.0.2.7')?.name, 'mapped');
  assert.equal(idx.zoneFor('10.20.20.9')?.name, 'imaging');
  assert.equal(idx.zoneForV6(parseIp('fd00:20:0:10::1')!.value)?.name, 'imaging');
  assert.equal(idx.zoneFor('8.8.8.8')?.name, 'internet');
});

test('assets by exact address or CIDR, partners, hostnames, MACs, AE titles', () => {
  const { model: m, problems } = loadModelSources([{ file: 'm.yaml', text: `
site: {name: t, timezone: UTC}
zones:
  - {name: lan, kind: server, cidrs: [10.0.0.0/16, "fd00::/64"]}
  - {name: internet, kind: external}
assets:
  - {name: pumps, kind: infusion-pump, addresses: [10.0.8.0/24]}
  - {name: pump-7, kind: infusion-pump, address: 10.0.8.7, mac: 00-1B-63-84-45-E6}
  - {name: pacs, kind: pacs, addresses: [10.0.0.10, "fd00::10"], hostname: pacs.example, aeTitle: PACS_MAIN}
  - {name: ie, kind: interface-engine, address: 10.0.0.20, hl7Application: RHAPSODY^STBRIGID}
partners:
  - {name: insurer, kind: insurer, address: 203.0.113.10, hostname: api.insurer.example}
` }]);
  assert.deepEqual(problems, []);
  const idx = new ModelIndex(m);
  assert.equal(idx.assetFor('10.0.8.7')?.name, 'pump-7');
  assert.equal(idx.assetFor('10.0.8.8')?.name, 'pumps');
  assert.equal(idx.assetFor('fd00::10')?.name, 'pacs');
  assert.equal(idx.assetFor('fd00::11'), undefined);
  assert.equal(idx.assetFor('10.0.0.11'), undefined);
  assert.equal(idx.assetForV4(parseIPv4('10.0.0.10')!)?.name, 'pacs');
  assert.equal(idx.partnerFor('203.0.113.10')?.name, 'insurer');
  assert.equal(idx.partnerFor('203.0.113.11'), undefined);
  assert.equal(idx.byHost('API.insurer.example.')?.name, 'insurer');
  assert.equal(idx.byHost('pacs.example')?.name, 'pacs');
  assert.equal(idx.assetByMac('00:1b:63:84:45:e6')?.name, 'pump-7');
  assert.equal(idx.assetByAeTitle('PACS_MAIN')?.name, 'pacs');
  assert.equal(idx.assetByHl7Application('RHAPSODY', 'STBRIGID')?.name, 'ie');
  assert.equal(idx.assetByHl7Application('RHAPSODY')?.name, 'ie');
  assert.deepEqual(idx.assetsInZone('lan').map((a) => a.name), ['pumps', 'pump-7', 'pacs', 'ie']);
  assert.equal(idx.endpointContains({ zone: 'lan' }, '10.0.200.1'), true);
  assert.equal(idx.endpointContains({ zone: 'internet' }, '10.0.200.1'), false);
  assert.equal(idx.endpointContains({ asset: 'pumps' }, '10.0.8.9'), true);
  assert.equal(idx.endpointContains({ partner: 'insurer' }, '203.0.113.10'), true);
});


/** The definition of longest-prefix match, by brute force; earlier zones win ties on identical prefixes. */
function bruteForce(zones: Zone[], ip: string): string | undefined {
  let best: { name: string; prefix: number } | undefined;
  for (const z of zones) {
    for (const text of z.cidrs) {
      const c = parseCidr(text)!;
      if (cidrContains(c, ip) && (!best || c.prefix > best.prefix)) best = { name: z.name, prefix: c.prefix };
    }
  }
  return best?.name;
}

test('the prefix table agrees with brute force on random nested and overlapping prefixes', () => {
  const r = rng(20261128);
  for (let round = 0; round < 20; round++) {
    const zones: Zone[] = [];
    const base = Math.floor(r() * 0xffffffff) >>> 0;
    for (let i = 0; i < 40; i++) {
      const prefix = 8 + Math.floor(r() * 25);
      // Cluster prefixes around one base so that they nest and overlap a lot.
      const addr = (base ^ (Math.floor(r() * 0xffff) << Math.floor(r() * 16))) >>> 0;
      const cidrs = [`${formatIPv4(addr)}/${prefix}`];
      if (r() < 0.3) cidrs.push(`fd00:${(addr >>> 16).toString(16)}::/${32 + Math.floor(r() * 60)}`);
      zones.push(zone(`z${i}`, cidrs));
    }
    const idx = new ModelIndex(model(zones));
    for (let k = 0; k < 500; k++) {
      const ip = formatIPv4((base ^ Math.floor(r() * 0xffffff)) >>> 0);
      assert.equal(idx.zoneFor(ip)?.name, bruteForce(zones, ip), `round ${round} ${ip}`);
      const v6 = `fd00:${((base ^ Math.floor(r() * 0xffffff)) >>> 16).toString(16)}::${Math.floor(r() * 0xffff).toString(16)}`;
      assert.equal(idx.zoneFor(v6)?.name, bruteForce(zones, v6), `round ${round} ${v6}`);
    }
  }
});
