/**
 * The sample hospital's own model, compiled and loaded into a router
 * namespace: every conduit's service connects from a host on its source
 * side, and the reverse direction and a neighbouring port of every conduit
 * get exactly the verdict `check`'s evaluator gives. So compile and check
 * agree with each other and with the kernel.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../src/outputs/compile/index.ts';
import { compilePolicy } from '../../src/graph/policy.ts';
import { Evaluator, VERDICT } from '../../src/analyses/check/evaluate.ts';
import { openModel } from '../../src/model/open.ts';
import { parseCidr } from '../../src/core/net.ts';
import type { EndpointRef, SiteModel } from '../../src/model/types.ts';
import type { FlowEdge } from '../../src/observations/types.ts';
import { REPO } from '../helpers/corpus.ts';
import { Topology } from './netns.ts';

const NOW = Date.UTC(2026, 10, 28);
const INTERNET_HOST = '203.0.113.77';

interface Probe { src: string; dst: string; transport: 'tcp' | 'udp'; port: number; expect: boolean; why: string }

function representative(model: SiteModel, ref: EndpointRef): string | undefined {
  if ('asset' in ref) return model.assets.find((a) => a.name === ref.asset)?.addresses.find((a) => parseCidr(a)?.prefix === 32);
  if ('partner' in ref) return model.partners.find((p) => p.name === ref.partner)?.addresses[0];
  const z = model.zones.find((x) => x.name === ref.zone);
  if (!z) return undefined;
  if (z.kind === 'external') return INTERNET_HOST;
  return model.assets.find((a) => a.zone === z.name && a.addresses.length)?.addresses[0];
}

function edge(src: string, dst: string, transport: 'tcp' | 'udp', port: number): FlowEdge {
  return {
    src, dst, transport, dport: port, protocol: 'unknown', protocolFrom: 'none', bytes: 0, packets: 1, sessions: 1,
    firstSeen: NOW, lastSeen: NOW, encrypted: false, phi: false, facts: {}, sources: ['test'],
  };
}

const { model } = openModel(join(REPO, 'examples', 'hospital'));
const enforced: SiteModel = { ...model, conduits: model.conduits.filter((c) => !c.expires || Date.parse(`${c.expires}T23:59:59Z`) >= NOW) };
const policy = compilePolicy(enforced);
const evaluator = new Evaluator(policy);

function expected(src: string, dst: string, transport: 'tcp' | 'udp', port: number): { cross: boolean; allowed: boolean } {
  const e = edge(src, dst, transport, port);
  const ev = evaluator.evaluate([e]);
  const s = policy.addresses.place(src);
  const d = policy.addresses.place(dst);
  return { cross: s.zone !== d.zone, allowed: ev.verdict[0] === VERDICT.ALLOWED };
}

const probes: Probe[] = [];
const seen = new Set<string>();
for (const c of enforced.conduits) {
  const src = representative(model, c.from);
  const dst = representative(model, c.to);
  if (!src || !dst) continue;
  for (const s of c.services) {
    const port = s.ports.length ? (typeof s.ports[0] === 'number' ? s.ports[0] : s.ports[0][0]) : 5555;
    const candidates: Array<[string, string, number, string]> = [
      [src, dst, port, `conduit ${c.id}`],
      [dst, src, port, `reverse of ${c.id}`],
      [src, dst, port + 1, `next port after ${c.id}`],
    ];
    for (const [a, b, p, why] of candidates) {
      const key = `${a}>${b}/${s.transport}/${p}`;
      if (a === b || seen.has(key)) continue;
      const x = expected(a, b, s.transport, p);
      if (!x.cross) continue; // a zone firewall never sees traffic inside one zone
      seen.add(key);
      probes.push({ src: a, dst: b, transport: s.transport, port: p, expect: x.allowed, why });
    }
  }
}

const addresses = [...new Set(probes.flatMap((p) => [p.src, p.dst]))].sort();
const hostName = (a: string) => `m${addresses.indexOf(a)}`;
const topo = new Topology('m', addresses.map((a) => ({ name: hostName(a), address: a })));
let dir = '';

async function run(p: Probe): Promise<boolean> {
  const from = hostName(p.src);
  if (p.transport === 'udp') {
    const r = await topo.run(from, 'socat', ['-T3', '-', `UDP:${p.dst}:${p.port}`], 'wardline-udp-probe\n', 5000);
    return r.stdout.includes('wardline-udp-probe');
  }
  const r = await topo.run(from, 'socat', ['-T1', '/dev/null', `TCP:${p.dst}:${p.port},connect-timeout=2`], undefined, 5000);
  return r.code === 0;
}

/** Probes in batches: dozens of parallel socats would starve a 2-core CI machine. */
async function runAll(): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < probes.length; i += 12) out.push(...(await Promise.all(probes.slice(i, i + 12).map(run))));
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wl-design-'));
  topo.build();
  const listeners = new Set(probes.map((p) => `${p.dst}|${p.transport}|${p.port}`));
  for (const l of listeners) {
    const [addr, transport, port] = l.split('|');
    if (transport === 'udp') topo.background(hostName(addr), 'socat', `UDP-RECVFROM:${port},bind=${addr},fork`, 'SYSTEM:cat');
    else topo.background(hostName(addr), 'socat', `TCP-LISTEN:${port},bind=${addr},reuseaddr,fork`, 'SYSTEM:true');
  }
  await topo.waitListening([...listeners].map((l) => {
    const [addr, transport, port] = l.split('|');
    return { host: hostName(addr), port: Number(port), udp: transport === 'udp' };
  }));
});

after(() => {
  topo.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test('the sample hospital yields probes both ways', () => {
  assert.ok(probes.filter((p) => p.expect).length >= 20, `allowed probes: ${probes.filter((p) => p.expect).length}`);
  assert.ok(probes.filter((p) => !p.expect).length >= 20, `blocked probes: ${probes.filter((p) => !p.expect).length}`);
});

test('control: with no policy loaded every probe connects', async () => {
  const res = await runAll();
  assert.deepEqual(probes.filter((_, i) => !res[i]).map((p) => `${p.src}->${p.dst}:${p.port}`), []);
});

for (const target of ['nftables', 'iptables'] as const) {
  test(`${target}: the kernel agrees with check's evaluator on every probe`, async () => {
    const file = join(dir, `hospital.${target}`);
    writeFileSync(file, compileModel(model, target, NOW));
    if (target === 'nftables') topo.exec(topo.router, 'nft', '-f', file);
    else topo.exec(topo.router, 'iptables-restore', file);
    try {
      const res = await runAll();
      const wrong = probes.filter((p, i) => res[i] !== p.expect).map((p) => `${p.src}->${p.dst} ${p.transport}/${p.port} (${p.why}) expected ${p.expect ? 'allowed' : 'blocked'}`);
      assert.deepEqual(wrong, []);
    } finally {
      if (target === 'nftables') topo.exec(topo.router, 'nft', 'delete', 'table', 'inet', 'wardline');
      else { topo.exec(topo.router, 'iptables', '-F'); topo.exec(topo.router, 'iptables', '-X'); topo.exec(topo.router, 'iptables', '-P', 'FORWARD', 'ACCEPT'); }
    }
  });
}
