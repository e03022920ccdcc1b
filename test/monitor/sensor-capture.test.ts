/**
 * `wardline sensor --interface IF`: a site sensor capturing live through the
 * capture tool on the system (tcpdump or dumpcap), in a network namespace the
 * test creates, publishing to a nats-server (JetStream) on the test's
 * loopback. The sensor's namespace reaches that server through a Unix socket
 * (socat on either side): its NATS traffic stays on loopback, off the
 * captured veth. A DICOM echo and an HL7 message cross the veth pair; the
 * batches read back from the stream must carry both flows with their AE and
 * HL7 application pairs, and nothing the --bpf filter keeps out. A capture
 * tool that dies mid-run: the sensor publishes what it holds and exits 3.
 * Usage errors (no such interface, --bpf without --interface) exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'nats';
import { decodeBatch, type ObservationBatch } from '../../src/monitor/scale/batch.ts';
import type { FlowEdge } from '../../src/observations/types.ts';
import { REPO } from '../helpers/corpus.ts';
import { wardline } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { createNet, spawnIn, type Host, type Proc } from '../helpers/netns.ts';
import { startMllpAck, startStorescp } from '../helpers/peers.ts';
import { sendClinicalTraffic } from './capture-traffic.ts';
import { sleep } from './harness.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-sensor-capture-'));
const MAIN = join(REPO, 'src', 'cli', 'main.ts');
/** Where the sensor's namespace finds NATS: its own loopback, bridged to the server. */
const NS_NATS_PORT = 4222;
const SOCK = join(TMP, 'nats.sock');

let natsUrl = '';
let server: ChildProcess | undefined;
let serverLog = '';
let bridge: Proc | undefined;

/** One nats-server with JetStream on 127.0.0.1, its store in TMP. */
before(async () => {
  const port = await freePort();
  const store = join(TMP, 'js');
  mkdirSync(store);
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (c: Buffer) => { serverLog = (serverLog + c.toString()).slice(-20_000); });
  server.stderr!.on('data', (c: Buffer) => { serverLog = (serverLog + c.toString()).slice(-20_000); });
  natsUrl = `nats://127.0.0.1:${port}`;
  let last = '';
  for (let i = 0; i < 200; i++) {
    try {
      const nc = await connect({ servers: natsUrl, timeout: 1000, maxReconnectAttempts: 0 });
      try {
        if (await (await nc.jetstreamManager({ timeout: 2000 })).getAccountInfo()) break;
      } finally {
        await nc.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    assert.ok(server.exitCode === null, `nats-server exited: ${serverLog.slice(-2000)}`);
    if (i === 199) throw new Error(`JetStream not ready: ${last}\n${serverLog.slice(-2000)}`);
    await sleep(100);
  }
  // The root end of the bridge: a Unix socket (not bound to a network namespace) to the server.
  bridge = spawnIn(null, 'socat', [`UNIX-LISTEN:${SOCK},fork`, `TCP:127.0.0.1:${port}`]);
  for (let i = 0; i < 100 && !existsSync(SOCK); i++) await sleep(50);
  assert.ok(existsSync(SOCK), bridge.output());
});

after(async () => {
  await bridge?.stop();
  if (server && server.exitCode === null && server.signalCode === null) {
    await new Promise<void>((r) => { server!.once('exit', () => r()); server!.kill('SIGTERM'); setTimeout(() => server!.kill('SIGKILL'), 5000).unref(); });
  }
  rmSync(TMP, { recursive: true, force: true });
});

/** The namespace end of the bridge: 127.0.0.1:4222 inside host h, forwarded to the Unix socket. */
async function natsIn(h: Host): Promise<void> {
  h.spawn('socat', [`TCP-LISTEN:${NS_NATS_PORT},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${SOCK}`]);
  await h.waitListen(NS_NATS_PORT);
}

/** Waits for "sensor started" from a sensor in a namespace; fails at once if it exits first. */
async function startedIn(s: Proc): Promise<void> {
  let gone = false;
  void s.exited.then(() => { gone = true; });
  for (let i = 0; i < 300 && !gone && !s.output().includes('"sensor started"'); i++) await sleep(100);
  assert.match(s.output(), /"sensor started"/, s.output().slice(-2000));
}

/** Every batch the stream holds for a site, decoded, with its raw text. */
async function batchesOf(site: string): Promise<Array<{ batch: ObservationBatch; edges: FlowEdge[]; raw: string }>> {
  const nc = await connect({ servers: natsUrl });
  const out: Array<{ batch: ObservationBatch; edges: FlowEdge[]; raw: string }> = [];
  try {
    const c = await nc.jetstream().consumers.get('WARDLINE_OBS', { filterSubjects: `wardline.obs.${site}` });
    const it = await c.fetch({ max_messages: 1000, expires: 2000 });
    for await (const m of it) {
      const d = decodeBatch(m.data);
      assert.equal(d.dropped, 0);
      out.push({ batch: d.batch, edges: d.edges, raw: Buffer.from(m.data).toString('utf8') });
      if (m.info.pending === 0) break;
    }
  } finally {
    await nc.close();
  }
  return out;
}

test('sensor --interface eth0 in a namespace: the batches on JetStream carry the DICOM echo and the HL7 message seen on the veth, with AE and HL7 pairs; --bpf keeps other traffic out', { timeout: 120_000 }, async () => {
  const net = createNet('sencap');
  let output: string;
  let code: number | null;
  try {
    const lan = net.addSwitch('lan');
    const pacsHost = net.addHost('pacs', [{ sw: lan, cidr: '10.77.2.10/24' }]);
    const ct = net.addHost('ct', [{ sw: lan, cidr: '10.77.2.20/24' }]);
    await natsIn(ct);
    const [pacs, ris] = await Promise.all([startStorescp({ host: pacsHost, aet: 'PACS_MAIN', port: 104 }), startMllpAck({ host: pacsHost, port: 2575, app: 'PACS_HL7', facility: 'RAD' })]);
    const sensor = ct.spawn(process.execPath, [MAIN, 'sensor', '--site', 'capsite', '--nats', `nats://127.0.0.1:${NS_NATS_PORT}`, '--interface', 'eth0',
      '--bpf', 'tcp port 104 or tcp port 2575', '--interval', '300ms', '--json'], { cwd: REPO });
    try {
      await startedIn(sensor);
      assert.match(sensor.output(), /"capturing from interface"/);
      assert.match(sensor.output(), /"interface":"eth0"/);
      await sendClinicalTraffic(ct, pacsHost.ip);
      await sensor.stop(10_000);
      code = await sensor.exited;
      output = sensor.output();
    } finally {
      await Promise.all([pacs.stop(), ris.stop()]);
    }
  } finally {
    await net.destroy();
  }
  assert.equal(code, 0, output.slice(-2000));
  const batches = await batchesOf('capsite');
  const summary = /"batches": (\d+)/.exec(output);
  assert.ok(summary, output.slice(-2000));
  assert.ok(batches.length >= 1);
  assert.equal(batches.length, Number(summary[1]), 'every batch the sensor counted is on the stream');
  assert.ok(batches.every((b) => b.batch.site === 'capsite'));
  const edges = batches.flatMap((b) => b.edges);
  const dicom = edges.filter((e) => e.src === '10.77.2.20' && e.dst === '10.77.2.10' && e.dport === 104);
  assert.ok(dicom.length > 0, JSON.stringify(edges));
  assert.ok(dicom.every((e) => e.protocol === 'dicom' && e.transport === 'tcp'), JSON.stringify(dicom));
  assert.ok(dicom.reduce((n, e) => n + e.packets, 0) >= 6, 'handshake, association, echo, release');
  const ae = dicom.flatMap((e) => e.facts.dicom?.aePairs ?? []);
  assert.ok(ae.some((p) => p.calling === 'CT_SCANNER01' && p.called === 'PACS_MAIN' && p.outcome === 'accepted'), JSON.stringify(ae));
  const hl7 = edges.filter((e) => e.src === '10.77.2.20' && e.dst === '10.77.2.10' && e.dport === 2575);
  assert.ok(hl7.length > 0, JSON.stringify(edges));
  assert.ok(hl7.every((e) => e.protocol === 'hl7'), JSON.stringify(hl7));
  const apps = hl7.flatMap((e) => e.facts.hl7?.appPairs ?? []);
  assert.ok(apps.some((p) => p.sendingApplication === 'RIS_APP' && p.sendingFacility === 'RAD' && p.receivingApplication === 'PACS_HL7' && p.receivingFacility === 'RAD'), JSON.stringify(apps));
  assert.ok(!edges.some((e) => e.dport === 9999 || e.transport === 'udp'), `the filter kept UDP 9999 out: ${JSON.stringify(edges)}`);
  // Metadata only: the HL7 patient field never leaves the site.
  assert.ok(!batches.some((b) => b.raw.includes('TESTMRN')));
});

test('the capture tool dying mid-run: the sensor publishes what it holds, then exits 3 with the reason', { timeout: 90_000 }, async () => {
  const net = createNet('sencap');
  let output: string;
  let code: number | null;
  try {
    const lan = net.addSwitch('lan');
    const pacsHost = net.addHost('pacs', [{ sw: lan, cidr: '10.77.3.10/24' }]);
    const ct = net.addHost('ct', [{ sw: lan, cidr: '10.77.3.20/24' }]);
    await natsIn(ct);
    const pacs = await startStorescp({ host: pacsHost, aet: 'PACS_MAIN', port: 104 });
    // An interval far longer than the test: whatever is published comes from the last flush after the tool died.
    const sensor = ct.spawn(process.execPath, [MAIN, 'sensor', '--site', 'lostsite', '--nats', `nats://127.0.0.1:${NS_NATS_PORT}`, '--interface', 'eth0',
      '--interval', '10m'], { cwd: REPO });
    try {
      await startedIn(sensor);
      const line = sensor.output().split('\n').find((l) => l.includes('"capturing from interface"'));
      assert.ok(line, sensor.output().slice(-2000));
      const { pid } = JSON.parse(line) as { pid: number };
      const echo = await ct.exec('echoscu', ['-aet', 'CT_SCANNER01', '-aec', 'PACS_MAIN', pacsHost.ip, '104']);
      assert.equal(echo.code, 0, echo.stderr);
      // Let the tool hand over its last block before it is killed.
      await sleep(1500);
      assert.equal((await batchesOf('lostsite')).length, 0, 'nothing published before the capture ended');
      // The tool the sensor started, by its id.
      process.kill(pid, 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      code = await Promise.race([sensor.exited, new Promise<number>((r) => { timer = setTimeout(() => r(-1), 30_000); })]);
      clearTimeout(timer);
      output = sensor.output();
    } finally {
      await pacs.stop();
    }
  } finally {
    await net.destroy();
  }
  assert.equal(code, 3, output.slice(-2000));
  assert.match(output, /"capture from interface ended"/);
  assert.match(output, /"reason":"capture ended"/);
  assert.match(output, /error: capture from eth0 ended: \w+ exited \(SIGKILL\)/);
  const batches = await batchesOf('lostsite');
  assert.equal(batches.length, 1, 'one last batch');
  const dicom = batches[0].edges.find((e) => e.src === '10.77.3.20' && e.dst === '10.77.3.10' && e.dport === 104);
  assert.ok(dicom, JSON.stringify(batches[0].edges));
  assert.equal(dicom.protocol, 'dicom');
});

test('sensor --interface usage errors exit 2: no such interface (the tool\'s reason), --bpf without --interface, --interface with --pcap -', () => {
  const r1 = wardline(['sensor', '--site', 'usage', '--nats', natsUrl, '--interface', 'nosuch0']);
  assert.equal(r1.status, 2, r1.stderr);
  assert.match(r1.stderr, /no interface 'nosuch0' \((tcpdump|dumpcap): \S/);
  const r2 = wardline(['sensor', '--site', 'usage', '--nats', natsUrl, '--bpf', 'tcp', '--netflow', '0']);
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /--bpf needs --interface/);
  const r3 = wardline(['sensor', '--site', 'usage', '--nats', natsUrl, '--snaplen', '128', '--netflow', '0']);
  assert.equal(r3.status, 2, r3.stderr);
  assert.match(r3.stderr, /--snaplen needs --interface/);
  const r4 = wardline(['sensor', '--site', 'usage', '--nats', natsUrl, '--interface', 'lo', '--pcap', '-']);
  assert.equal(r4.status, 2, r4.stderr);
  assert.match(r4.stderr, /one of them/);
  const r5 = wardline(['sensor', '--site', 'usage', '--nats', natsUrl]);
  assert.equal(r5.status, 2, r5.stderr);
  assert.match(r5.stderr, /no input: .*--interface IF/);
});

test('sensor --help documents --interface, --bpf and --snaplen', () => {
  const r = wardline(['sensor', '--help']);
  assert.equal(r.status, 0);
  for (const o of ['--interface IF', '--bpf FILTER', '--snaplen N']) assert.ok(r.stdout.includes(o), o);
  assert.match(r.stdout, /Usage: wardline sensor .*--interface IF/);
  assert.match(r.stdout, /tcpdump/);
  assert.match(r.stdout, /dumpcap/);
});
