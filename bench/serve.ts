/**
 * Dashboard benchmark on a synthetic site of 5k assets and 50k observed
 * edges (scale 1): the in-process dashboard answers its API over loopback
 * HTTP, measured beside the naive peer, a server that ships the whole view
 * (every node and edge) as one JSON document for the browser to filter.
 * Prints wall-clock medians (ms) and response sizes, and the ratios.
 * Usage: node bench/serve.ts [scale] [runs]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIPv4 } from '../src/core/net.ts';
import type { Asset, Conduit, SiteModel, Zone } from '../src/model/types.ts';
import type { FlowEdge, HostFacts } from '../src/observations/types.ts';
import { saveObservations } from '../src/observations/persist.ts';
import { runCheck } from '../src/analyses/check/run.ts';
import { saveFindings } from '../src/analyses/check/store.ts';
import { buildSiteView } from '../src/outputs/report/site-view.ts';
import { hashPassword } from '../src/serve/password.ts';
import { startDashboard } from '../src/serve/server.ts';
import { openStore } from '../src/store/open.ts';

const scale = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 7);
let seed = 4242;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ZONES = 25;
const ASSETS = Math.round(5000 * scale);
const EDGES = Math.round(50_000 * scale);
const PROCS = ['radiology', 'emr', 'patient-monitoring', 'diagnostics', 'medication-management', 'surgery'];
const SERVICES: Array<[number, FlowEdge['protocol']]> = [[104, 'dicom'], [2575, 'hl7'], [443, 'tls'], [80, 'http'], [11112, 'dicom'], [53, 'dns']];

function model(): SiteModel {
  const zones: Zone[] = [];
  const assets: Asset[] = [];
  for (let z = 0; z < ZONES; z++) {
    zones.push({ name: `zone-${z}`, cidrs: [`10.${z}.0.0/16`], processes: [PROCS[z % PROCS.length]], kind: z === 0 ? 'dmz' : z % 5 === 1 ? 'user' : 'clinical', securityLevel: 2, internetFacing: z === 0 });
  }
  for (let i = 0; i < ASSETS; i++) {
    const z = i % ZONES;
    assets.push({
      name: `asset-${i}`, addresses: [formatIPv4((10 << 24) + (z << 16) + 256 + Math.floor(i / ZONES))], macs: [], hostnames: [], kind: pick(['ct', 'pacs', 'workstation', 'emr', 'other'] as const),
      zone: `zone-${z}`, process: PROCS[z % PROCS.length], phi: rand() < 0.3, criticality: pick(['low', 'medium', 'high', 'critical'] as const), doNotProbe: false, aeTitles: [`AE_${i}`], hl7Applications: [],
    });
  }
  const conduits: Conduit[] = [];
  const seen = new Set<string>();
  for (let i = 0; conduits.length < 300; i++) {
    const [port, proto] = pick(SERVICES);
    const from = { zone: `zone-${i % ZONES}` };
    const to = rand() < 0.5 ? { zone: `zone-${(i % ZONES + 1 + ((i * 7) % (ZONES - 1))) % ZONES}` } : { asset: pick(assets).name };
    const key = `${JSON.stringify(from)}${JSON.stringify(to)}${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    conduits.push({ id: `c${conduits.length}`, from, to,
      services: [{ transport: proto === 'dns' ? 'udp' : 'tcp', ports: [port], protocol: proto === 'tls' ? 'https' : proto }], tlsRequired: proto === 'hl7', phiAllowed: true });
  }
  return { site: { name: 'Bench General', timezone: 'UTC' }, processes: [], zones, assets, conduits, partners: [], files: [] };
}

function observations(m: SiteModel): { edges: FlowEdge[]; hosts: HostFacts[] } {
  const edges = new Map<string, FlowEdge>();
  const t0 = Date.UTC(2026, 10, 1);
  while (edges.size < EDGES) {
    const a = pick(m.assets).addresses[0];
    const b = rand() < 0.9 ? pick(m.assets).addresses[0] : `10.${Math.floor(rand() * ZONES)}.9.${1 + Math.floor(rand() * 250)}`;
    if (a === b) continue;
    const [dport, protocol] = pick(SERVICES);
    const e: FlowEdge = { src: a, dst: b, transport: protocol === 'dns' ? 'udp' : 'tcp', dport, protocol, protocolFrom: 'content', bytes: Math.floor(rand() * 1e6), packets: 10, sessions: 1 + Math.floor(rand() * 20),
      firstSeen: t0, lastSeen: t0 + Math.floor(rand() * 86_400_000), encrypted: protocol === 'tls', phi: protocol === 'dicom' || protocol === 'hl7', facts: {}, sources: ['bench'] };
    edges.set(`${a}>${b}/${dport}`, e);
  }
  const hosts: HostFacts[] = m.assets.map((x) => ({ address: x.addresses[0], macs: [], hostnames: [], roles: ['dicom-scp'], aeTitles: x.aeTitles, hl7Applications: [], modalities: [], software: [{ product: 'DCMTK', version: '3.6.7', source: 'dicom', confidence: 'high' }], listeningPorts: [], firstSeen: t0, lastSeen: t0 + 1000 }));
  return { edges: [...edges.values()], hosts };
}

async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    bytes = await fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), bytes };
}

const dir = mkdtempSync(join(tmpdir(), 'wl-show-bench-'));
try {
  const m = model();
  const obs = observations(m);
  const db = await openStore(join(dir, 'bench.db'));
  let t = performance.now();
  await saveObservations(db, { ...obs, anomalies: [], inputs: [] });
  const r = runCheck(m, obs.edges);
  await saveFindings(db, r.findings);
  console.log(`site: ${m.assets.length} assets, ${obs.edges.length} edges, ${m.conduits.length} conduits, ${r.findings.length} findings (store filled in ${Math.round(performance.now() - t)} ms)`);

  t = performance.now();
  await buildSiteView(db, { model: m });
  console.log(`view build (store read + check + inventory + blast): ${Math.round(performance.now() - t)} ms`);

  const pw = 'bench password 123456';
  const hash = await hashPassword(pw);
  const users = { origin: 'bench', find: (n: string) => (n === 'bench' ? { name: 'bench', role: 'admin' as const, passwordHash: hash } : undefined) };
  const dash = await startDashboard({ db, users, model: m, host: '127.0.0.1', port: 0, viewTtlMs: 3_600_000 });
  // The naive peer: one endpoint with the whole view, the browser does the rest.
  const { createServer } = await import('node:http');
  const view = await buildSiteView(db, { model: m });
  const naive = createServer((_req, res) => { const body = JSON.stringify({ nodes: view.nodes, edges: view.edges, findings: view.findings, assets: view.assets }); res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(body); });
  // Long keep-alive on both: the peer's multi-second JSON.stringify blocks this one process, and a
  // 5 s idle timer firing late would race the client's reuse of the socket (ECONNRESET).
  naive.keepAliveTimeout = 120_000;
  dash.server.keepAliveTimeout = 120_000;
  await new Promise<void>((res) => naive.listen(0, '127.0.0.1', res));
  const naiveUrl = `http://127.0.0.1:${(naive.address() as { port: number }).port}/`;
  try {
    const login = await fetch(`${dash.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'bench', password: pw }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const get = async (path: string) => {
      const res = await fetch(`${dash.url}${path}`, { headers: { Cookie: cookie } });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return (await res.arrayBuffer()).byteLength;
    };
    await get('/api/summary');
    const rows: Array<[string, { ms: number; bytes: number }]> = [];
    for (const p of ['/api/summary', '/api/map', '/api/map?zone=zone-3&max=300', '/api/findings?severity=high&size=50', '/api/findings?rule=check.no-conduit&page=3&size=50',
      '/api/assets?q=asset-42&size=100', '/api/assets?zone=zone-7&size=100', `/api/edges/${Math.floor(EDGES / 2)}`, '/api/zone-edges?from=zone-1&to=zone-2&size=100', '/api/blast?target=asset-17']) {
      rows.push([p, await timed(() => get(p))]);
    }
    // Before the peer: its 76 MB JSON.stringify blocks this process's event loop for seconds.
    const t2 = performance.now();
    await fetch(`${dash.url}/api/refresh`, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': ((await (await fetch(`${dash.url}/api/session`, { headers: { Cookie: cookie } })).json()) as { csrf: string }).csrf } });
    console.log(`forced view rebuild through /api/refresh: ${Math.round(performance.now() - t2)} ms`);
    const peer = await timed(async () => (await (await fetch(naiveUrl)).arrayBuffer()).byteLength);
    const naiveParse = await timed(async () => { const b = await (await fetch(naiveUrl)).text(); JSON.parse(b); return b.length; });
    console.log(`\n${'request'.padEnd(58)} ${'median ms'.padStart(10)} ${'bytes'.padStart(12)}`);
    for (const [p, x] of rows) console.log(`${p.padEnd(58)} ${x.ms.toFixed(1).padStart(10)} ${String(x.bytes).padStart(12)}`);
    console.log(`${'peer: naive whole-view JSON (fetch)'.padEnd(58)} ${peer.ms.toFixed(1).padStart(10)} ${String(peer.bytes).padStart(12)}`);
    console.log(`${'peer: naive whole-view JSON (fetch + parse)'.padEnd(58)} ${naiveParse.ms.toFixed(1).padStart(10)} ${String(naiveParse.bytes).padStart(12)}`);
    const firstPaint = rows[0][1].ms + rows[1][1].ms;
    const firstBytes = rows[0][1].bytes + rows[1][1].bytes;
    console.log(`\nfirst screen (summary + site map): ${firstPaint.toFixed(1)} ms, ${firstBytes} bytes; naive peer: ${naiveParse.ms.toFixed(1)} ms, ${naiveParse.bytes} bytes`);
    console.log(`ratio naive/dashboard: time ${(naiveParse.ms / firstPaint).toFixed(1)}x, bytes ${(naiveParse.bytes / firstBytes).toFixed(0)}x`);
  } finally {
    naive.close();
    await dash.close();
    await db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
