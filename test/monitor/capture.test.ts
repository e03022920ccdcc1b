/**
 * `wardline monitor --interface IF`: live capture through the capture tool on
 * the system (tcpdump or dumpcap), in a network namespace the test creates.
 * A CT host runs the monitor on its side of a veth pair; a DICOM echo and an
 * HL7 message to a PACS host cross it; the store must hold the edges and the
 * AE and HL7 application pairs, and the --bpf filter must keep other traffic
 * out. Usage errors (no interface, no permission, no capture tool) exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { findCaptureTool } from '../../src/monitor/capture-tool.ts';
import { REPO } from '../helpers/corpus.ts';
import { wardline } from '../helpers/cli.ts';
import { createNet, type Proc } from '../helpers/netns.ts';
import { startMllpAck, startStorescp } from '../helpers/peers.ts';
import { sendClinicalTraffic } from './capture-traffic.ts';
import { query, sleep } from './harness.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-capture-'));
// Readable and writable for the unprivileged user of the permission test.
chmodSync(TMP, 0o777);
after(() => rmSync(TMP, { recursive: true, force: true }));
const MODEL = join(REPO, 'examples', 'hospital');
const MAIN = join(REPO, 'src', 'cli', 'main.ts');

/** Waits for "monitor started" from a monitor in a namespace; fails at once if it exits first. */
async function startedIn(mon: Proc): Promise<void> {
  let gone = false;
  void mon.exited.then(() => { gone = true; });
  for (let i = 0; i < 300 && !gone && !mon.output().includes('"monitor started"'); i++) await sleep(100);
  assert.match(mon.output(), /"monitor started"/, mon.output().slice(-2000));
}


test('a capture tool is installed (tcpdump or dumpcap): live capture is tested for real', () => {
  const tool = findCaptureTool();
  assert.ok(tool, 'tcpdump or dumpcap must be installed on the test machine');
});

test('--interface eth0 in a namespace: DICOM echo and HL7 across the veth pair are stored as edges, AE pair and HL7 pair; --bpf keeps other traffic out', { timeout: 120_000 }, async () => {
  const net = createNet('moncap');
  const db = join(TMP, 'capture.db');
  try {
    const lan = net.addSwitch('lan');
    const pacsHost = net.addHost('pacs', [{ sw: lan, cidr: '10.77.0.10/24' }]);
    const ct = net.addHost('ct', [{ sw: lan, cidr: '10.77.0.20/24' }]);
    const [pacs, ris] = await Promise.all([startStorescp({ host: pacsHost, aet: 'PACS_MAIN', port: 104 }), startMllpAck({ host: pacsHost, port: 2575, app: 'PACS_HL7', facility: 'RAD' })]);
    const mon = ct.spawn(process.execPath, [MAIN, 'monitor', '--model', MODEL, '--interface', 'eth0', '--bpf', 'tcp port 104 or tcp port 2575',
      '--window', '300ms', '--db', db, '--no-learn', '--json'], { cwd: REPO });
    try {
      await startedIn(mon);
      assert.match(mon.output(), /"capturing from interface"/);
      await sendClinicalTraffic(ct, pacsHost.ip);
      await mon.stop(10_000);
      assert.equal(await mon.exited, 0, mon.output().slice(-2000));
    } finally {
      await Promise.all([pacs.stop(), ris.stop()]);
    }
  } finally {
    await net.destroy();
  }
  const edges = query<{ src: string; dst: string; dport: number; protocol: string; packets: number }>(db, 'SELECT src, dst, dport, protocol, packets FROM monitor_edges');
  const dicom = edges.find((e) => e.src === '10.77.0.20' && e.dst === '10.77.0.10' && Number(e.dport) === 104);
  assert.ok(dicom, JSON.stringify(edges));
  assert.equal(dicom.protocol, 'dicom');
  assert.ok(Number(dicom.packets) >= 6, 'handshake, association, echo, release');
  const hl7 = edges.find((e) => e.src === '10.77.0.20' && e.dst === '10.77.0.10' && Number(e.dport) === 2575);
  assert.ok(hl7, JSON.stringify(edges));
  assert.equal(hl7.protocol, 'hl7');
  assert.ok(!edges.some((e) => Number(e.dport) === 9999), `the filter kept UDP 9999 out: ${JSON.stringify(edges)}`);
  const known = query<{ kind: string; subject: string }>(db, 'SELECT kind, subject FROM monitor_known');
  assert.ok(known.some((k) => k.kind === 'ae-pair' && k.subject === 'CT_SCANNER01>PACS_MAIN@10.77.0.10'), JSON.stringify(known));
  assert.ok(known.some((k) => k.kind === 'hl7-pair' && k.subject === 'RIS_APP^RAD>PACS_HL7^RAD'), JSON.stringify(known));
  // Metadata only: the HL7 patient field never reaches the store.
  assert.ok(!query<{ payload_json: string }>(db, 'SELECT payload_json FROM events').some((r) => r.payload_json.includes('TESTMRN')));
});

test('the capture tool dying mid-run ends the monitor after its last window, exit 3, with the reason', { timeout: 60_000 }, async () => {
  const net = createNet('moncap');
  const db = join(TMP, 'lost.db');
  try {
    const h = net.addHost('h', [{ sw: net.addSwitch('lan'), cidr: '10.77.1.20/24' }]);
    const mon = h.spawn(process.execPath, [MAIN, 'monitor', '--model', MODEL, '--interface', 'eth0', '--window', '300ms', '--db', db], { cwd: REPO });
    await startedIn(mon);
    const line = mon.output().split('\n').find((l) => l.includes('"capturing from interface"'));
    assert.ok(line, mon.output().slice(-2000));
    const { pid } = JSON.parse(line) as { pid: number };
    // The tool the monitor started, by its id.
    process.kill(pid, 'SIGKILL');
    assert.equal(await mon.exited, 3, mon.output().slice(-2000));
    assert.match(mon.output(), /"capture from interface ended"/);
    assert.match(mon.output(), /error: capture from eth0 ended: \w+ exited \(SIGKILL\)/);
    assert.match(mon.output(), /"monitor stopped"/);
  } finally {
    await net.destroy();
  }
});

test('--interface usage errors exit 2: no such interface, a filter the tool refuses, --bpf without --interface, --interface with --pcap -', () => {
  const db = join(TMP, 'usage.db');
  const r1 = wardline(['monitor', '--model', MODEL, '--interface', 'wlnope0', '--db', db]);
  assert.equal(r1.status, 2, r1.stderr);
  assert.match(r1.stderr, /no interface 'wlnope0'/);
  const r2 = wardline(['monitor', '--model', MODEL, '--interface', 'lo', '--bpf', 'port port ((', '--db', db]);
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /--bpf: .* refused the capture filter/);
  const r3 = wardline(['monitor', '--model', MODEL, '--bpf', 'tcp', '--netflow', '0', '--db', db]);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /--bpf needs --interface/);
  const r4 = wardline(['monitor', '--model', MODEL, '--interface', 'lo', '--pcap', '-', '--db', db]);
  assert.equal(r4.status, 2);
  assert.match(r4.stderr, /one of them/);
});

test('--interface without capture permission (an unprivileged user) exits 2 and says so', () => {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, MAIN, 'monitor', '--model', MODEL, '--interface', 'lo', '--db', join(TMP, 'nobody.db')], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /permission denied/);
  assert.match(r.stderr, /setcap cap_net_raw,cap_net_admin/);
});

test('--interface where no capture tool is installed (hidden in a private mount namespace) exits 2 and says so', () => {
  // Every place the monitor looks, the way it looks: PATH and the sbin directories.
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  const tools = [...new Set(dirs.flatMap((d) => ['tcpdump', 'dumpcap'].map((n) => join(d, n))).filter((p) => existsSync(p)))];
  assert.ok(tools.length > 0);
  const hide = tools.map((p) => `mount --bind /dev/null '${p}'`).join(' && ');
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${hide} && exec "$0" "$@"`, process.execPath, MAIN, 'monitor', '--model', MODEL, '--interface', 'lo', '--db', join(TMP, 'notool.db')], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no capture tool found/);
});

test('monitor --help documents --interface, --bpf and --snaplen', () => {
  const r = wardline(['monitor', '--help']);
  assert.equal(r.status, 0);
  for (const o of ['--interface IF', '--bpf FILTER', '--snaplen N']) assert.ok(r.stdout.includes(o), o);
  assert.match(r.stdout, /tcpdump/);
  assert.match(r.stdout, /dumpcap/);
});
