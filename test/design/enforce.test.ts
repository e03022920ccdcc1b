/**
 * Proof with real packets: the compiled policy is loaded into a router
 * namespace (nft -f, then iptables-restore) and real TCP/UDP connections
 * and a real DICOM association (DCMTK echoscu → storescp) go through it.
 * A control pass with no policy first shows every probe connects, so a
 * failure later is the firewall's doing, not a missing listener.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../src/outputs/compile/index.ts';
import { hospitalModel } from './hospital.ts';
import { Topology } from './netns.ts';

const NOW = Date.UTC(2026, 10, 28);

const HOSTS = [
  { name: 'ct', address: '10.20.10.11' },
  { name: 'pacs', address: '10.20.20.10' },
  { name: 'ws', address: '10.80.1.17' },
  { name: 'emr', address: '10.30.10.10' },
  { name: 'engine', address: '10.30.20.10' },
  { name: 'pharm', address: '10.40.10.10' },
  { name: 'kiosk', address: '172.16.10.30' },
  { name: 'portal', address: '172.16.10.40' },
  { name: 'inet', address: '203.0.113.77' },
  { name: 'billing', address: '10.30.30.10' },
  { name: 'clear', address: '198.51.100.20' },
  { name: 'dns', address: '10.99.0.53' },
];
const addr = (h: string) => HOSTS.find((x) => x.name === h)!.address;

/** TCP listeners per host; each accepts and closes. */
const LISTEN: Record<string, number[]> = {
  pacs: [8042, 4242], ws: [11114], emr: [8080, 2575], engine: [2575], pharm: [2575], kiosk: [2575],
  portal: [443, 8080], clear: [2575, 443], dns: [22], ct: [4000], inet: [443],
};

interface Probe {
  from: string;
  to: string;
  port: number;
  /** Conduit that should allow it; undefined = must be blocked. */
  conduit?: string;
  udp?: boolean;
}

const PROBES: Probe[] = [
  { from: 'pacs', to: 'ws', port: 11114, conduit: 'pacs-move-to-ws' },
  { from: 'emr', to: 'engine', port: 2575, conduit: 'emr-to-engine' },
  { from: 'engine', to: 'pharm', port: 2575, conduit: 'engine-to-pharmacy' },
  { from: 'engine', to: 'kiosk', port: 2575, conduit: 'engine-to-kiosk' },
  { from: 'billing', to: 'clear', port: 2575, conduit: 'billing-to-clearinghouse' },
  { from: 'portal', to: 'emr', port: 8080, conduit: 'portal-to-emr-fhir' },
  { from: 'inet', to: 'portal', port: 443, conduit: 'internet-to-portal' },
  { from: 'billing', to: 'dns', port: 53, conduit: 'dns', udp: true },
  // Everything else: blocked.
  { from: 'ct', to: 'pacs', port: 8042 },
  { from: 'ct', to: 'engine', port: 2575 },
  { from: 'inet', to: 'pacs', port: 8042 },
  { from: 'inet', to: 'portal', port: 8080 },
  { from: 'kiosk', to: 'emr', port: 2575 },
  { from: 'pacs', to: 'ct', port: 4000 },
  { from: 'engine', to: 'emr', port: 8080 },
  { from: 'billing', to: 'inet', port: 443 },
  { from: 'billing', to: 'clear', port: 443 },
  { from: 'ws', to: 'dns', port: 22 }, // only an expired conduit allowed this
  { from: 'portal', to: 'dns', port: 53, udp: true },
];

const topo = new Topology('p', HOSTS);
let dir = '';

async function probe(p: Probe): Promise<boolean> {
  if (p.udp) {
    // A UDP echo: allowed only when the answer comes back.
    const r = await topo.run(p.from, 'socat', ['-T3', '-', `UDP:${addr(p.to)}:${p.port}`], 'wardline-udp-probe\n', 5000);
    return r.stdout.includes('wardline-udp-probe');
  }
  const r = await topo.run(p.from, 'socat', ['-T1', '/dev/null', `TCP:${addr(p.to)}:${p.port},connect-timeout=2`], undefined, 5000);
  return r.code === 0;
}

async function echoscu(from: string, callingAe: string): Promise<boolean> {
  const r = await topo.run(from, 'echoscu', ['-to', '2', '-ta', '2', '-aet', callingAe, '-aec', 'PACS_MAIN', addr('pacs'), '104'], undefined, 8000);
  return r.code === 0;
}

async function assertPolicy(label: string): Promise<void> {
  const results = await Promise.all(PROBES.map(async (p) => ({ p, ok: await probe(p) })));
  for (const { p, ok } of results) {
    assert.equal(ok, p.conduit !== undefined, `${label}: ${p.from} -> ${p.to}:${p.port}${p.udp ? '/udp' : ''} should be ${p.conduit ? `allowed by ${p.conduit}` : 'blocked'}`);
  }
  const [ct, kiosk] = await Promise.all([echoscu('ct', 'CT_SCANNER01'), echoscu('kiosk', 'KIOSK01')]);
  assert.equal(ct, true, `${label}: CT C-ECHO to PACS through modalities-to-pacs`);
  assert.equal(kiosk, false, `${label}: kiosk DICOM association to PACS must fail`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wl-design-'));
  topo.build();
  for (const [host, ports] of Object.entries(LISTEN)) {
    for (const port of ports) topo.background(host, 'socat', `TCP-LISTEN:${port},bind=${addr(host)},reuseaddr,fork`, 'SYSTEM:true');
  }
  topo.background('dns', 'socat', `UDP-RECVFROM:53,bind=${addr('dns')},fork`, 'SYSTEM:cat');
  topo.background('pacs', 'storescp', '-dhl', '-aet', 'PACS_MAIN', '--fork', '-od', dir, '104');
  await topo.waitListening([
    ...Object.entries(LISTEN).flatMap(([host, ports]) => ports.map((port) => ({ host, port }))),
    { host: 'dns', port: 53, udp: true }, { host: 'pacs', port: 104 },
  ]);
});

after(() => {
  topo.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test('control: without a policy every probe connects', async () => {
  const results = await Promise.all(PROBES.map(probe));
  assert.deepEqual(results.map((ok, i) => (ok ? '' : `${PROBES[i].from}->${PROBES[i].to}:${PROBES[i].port}`)).filter(Boolean), []);
  assert.equal(await echoscu('kiosk', 'KIOSK01'), true);
});

test('nftables policy loaded with nft -f: conduits connect, everything else is dropped', async () => {
  const file = join(dir, 'policy.nft');
  writeFileSync(file, compileModel(hospitalModel(), 'nftables', NOW));
  topo.exec(topo.router, 'nft', '-f', file);
  const listing = topo.exec(topo.router, 'nft', 'list', 'table', 'inet', 'wardline');
  assert.match(listing, /comment "modalities-to-pacs: /);
  await assertPolicy('nftables');
  // Loading it twice replaces the table instead of stacking rules.
  topo.exec(topo.router, 'nft', '-f', file);
  const rules = topo.exec(topo.router, 'nft', 'list', 'table', 'inet', 'wardline').match(/ct state new accept/g) ?? [];
  assert.equal(rules.length, 13);
  // Denied packets were logged and counted by the final rule.
  assert.match(listing, /log prefix "wardline-deny "/);
  await assertPolicy('nftables (reloaded)');
  const drops = /counter packets (\d+) bytes \d+ drop comment "default deny"/.exec(topo.exec(topo.router, 'nft', 'list', 'table', 'inet', 'wardline'));
  assert.ok(drops && Number(drops[1]) > 0, 'default-deny counter moved');
  topo.exec(topo.router, 'nft', 'delete', 'table', 'inet', 'wardline');
});

test('iptables policy loaded with iptables-restore behaves the same', async () => {
  const file = join(dir, 'policy.iptables');
  writeFileSync(file, compileModel(hospitalModel(), 'iptables', NOW));
  execFileSync('ip', ['netns', 'exec', topo.router, 'iptables-restore', file]);
  try {
    await assertPolicy('iptables');
  } finally {
    execFileSync('ip', ['netns', 'exec', topo.router, 'iptables', '-F']);
    execFileSync('ip', ['netns', 'exec', topo.router, 'iptables', '-P', 'FORWARD', 'ACCEPT']);
  }
});
