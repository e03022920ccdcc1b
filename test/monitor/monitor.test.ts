/**
 * The monitor CLI as a real long-running process: softflowd exports the lab
 * capture into it and nfdump's nfcapd, and the totals agree; alerts are
 * committed before forwarding and survive kill -9 without duplicates; a pcap
 * stream on stdin and a rotating Zeek log feed the same engine.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { ZeekTailer } from '../../src/monitor/zeek-tail.ts';
import { readZeek } from '../../src/sources/zeek/index.ts';
import type { SiemEvent } from '../../src/outputs/siem/event.ts';
import { REPO, corpusFile } from '../helpers/corpus.ts';
import { exportDatagrams, metric, query, send, sleep, startMonitor, started, udpSender } from './harness.ts';

const run = promisify(execFile);
const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const MODEL = join(REPO, 'examples', 'hospital');

function udpListening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.includes(hex));
}


test('softflowd -> running monitor: flow, packet and byte totals equal nfcapd/nfdump on the same export; health, metrics, graceful SIGTERM', { timeout: 150_000 }, async () => {
  const db = join(TMP, 'peer.db');
  const m = startMonitor(['--model', MODEL, '--netflow', '0', '--health', '0', '--window', '500ms', '--db', db, '--json']);
  const nfdir = join(TMP, 'nfcapd');
  mkdirSync(nfdir, { recursive: true });
  const probe = await udpSender();
  const nfport = probe.address().port;
  probe.close();
  const nfcapd = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(nfport), '-w', nfdir, '-t', '3600'], { stdio: 'ignore' });
  try {
    const { netflow, health } = await started(m);
    assert.ok(netflow && health);
    for (let i = 0; i < 100 && !udpListening(nfport); i++) await sleep(50);
    assert.ok(udpListening(nfport), 'nfcapd listens');
    const lab = corpusFile('lab', 'lab_hospital.pcap');
    // The same softflowd export, once to the monitor and once to nfcapd (softflowd is deterministic over a file).
    await run('timeout', ['120', 'softflowd', '-d', '-r', lab, '-n', `127.0.0.1:${netflow}`, '-v', '10', '-A', 'milli', '-T', 'full']);
    await run('timeout', ['120', 'softflowd', '-d', '-r', lab, '-n', `127.0.0.1:${nfport}`, '-v', '10', '-A', 'milli', '-T', 'full']);
    // softflowd has exited: wait until the count has stood still for a second (the socket is drained).
    for (let i = 0, last = -1, still = 0; i < 100 && still < 5; i++) {
      const n = await metric(health, 'wardline_monitor_records_total');
      still = n === last && n > 0 ? still + 1 : 0;
      last = n;
      await sleep(200);
    }
    const h = await fetch(`http://127.0.0.1:${health}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    assert.ok(await metric(health, 'wardline_monitor_datagrams_total') > 0);
    assert.equal(await metric(health, 'wardline_monitor_drops_total'), 0, 'no drops (malformed, missing templates, kernel receive buffer)');
    m.proc.kill('SIGTERM');
    assert.equal(await m.exited, 0, m.stderr().slice(-2000));
  } finally {
    if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
    if (nfcapd.exitCode === null && nfcapd.signalCode === null) {
      const ex = new Promise((r) => nfcapd.once('exit', r));
      nfcapd.kill('SIGTERM');
      await ex;
    }
  }
  const { stdout } = await run('nfdump', ['-R', nfdir, '-o', 'csv'], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 64 * 1024 * 1024 });
  const lines = stdout.split('\n').filter((l) => l.trim());
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',')).filter((c) => c.length === header.length && /^\d+$/.test(c[header.indexOf('ipkt')]));
  const pk = header.indexOf('ipkt');
  const by = header.indexOf('ibyt');
  assert.ok(rows.length > 50, 'nfdump saw the flows');
  const summary = JSON.parse(m.stdout()) as { records: number; windows: number; eventsStored: number };
  assert.equal(summary.records, rows.length, `flow records: monitor vs nfdump\n${m.stderr().slice(-1500)}`);
  const [tot] = query<{ p: number; b: number }>(db, 'SELECT SUM(packets) AS p, SUM(bytes) AS b FROM monitor_edges');
  assert.equal(Number(tot.p), rows.reduce((s, c) => s + Number(c[pk]), 0), 'packets');
  assert.equal(Number(tot.b), rows.reduce((s, c) => s + Number(c[by]), 0), 'bytes');
  assert.ok(summary.windows >= 1);
  assert.match(m.stderr(), /"msg":"stopping: draining inputs and outputs"/);
  assert.match(m.stderr(), /"msg":"monitor stopped"/);
});

test('kill -9 mid-stream, restart, same stream again: committed events kept, none duplicated, alerts not re-opened', { timeout: 150_000 }, async () => {
  const db = join(TMP, 'crash.db');
  const jsonl = join(TMP, 'crash-events.jsonl');
  const datagrams = exportDatagrams(join(MODEL, 'captures', 'hospital-netflow.pcap'));
  assert.equal(datagrams.length, 9);
  const tx = await udpSender();
  const args = ['--model', MODEL, '--netflow', '0', '--window', '300ms', '--db', db, '--no-learn', '--jsonl', jsonl];
  let before: Array<{ idempotency_key: string; kind: string }>;
  // A failed assertion must not leave a monitor (or the socket) behind: the test file would never end.
  const m1 = startMonitor(args);
  try {
    const { netflow: p1 } = await started(m1);
    for (const d of datagrams) await send(tx, d, p1!);
    // Wait for the window that commits the alerts, then kill without any chance to clean up.
    for (let i = 0; i < 100 && !m1.stderr().includes('"events committed"'); i++) await sleep(50);
    assert.match(m1.stderr(), /"events committed"/);
    m1.proc.kill('SIGKILL');
    await m1.exited;
    before = query<{ idempotency_key: string; kind: string }>(db, 'SELECT idempotency_key, kind FROM events');
    assert.ok(before.length >= 10, `events committed before the kill: ${before.length}`);

    const m2 = startMonitor(args);
    try {
      const { netflow: p2 } = await started(m2);
      for (const d of datagrams) await send(tx, d, p2!);
      await sleep(1500);
      m2.proc.kill('SIGTERM');
      assert.equal(await m2.exited, 0, m2.stderr().slice(-2000));
    } finally {
      if (m2.proc.exitCode === null && m2.proc.signalCode === null) m2.proc.kill('SIGKILL');
    }
  } finally {
    if (m1.proc.exitCode === null && m1.proc.signalCode === null) m1.proc.kill('SIGKILL');
    tx.close();
  }

  const afterRows = query<{ idempotency_key: string; kind: string; payload_json: string }>(db, 'SELECT idempotency_key, kind, payload_json FROM events');
  const keys = new Set(afterRows.map((r) => r.idempotency_key));
  for (const b of before) assert.ok(keys.has(b.idempotency_key), `kept ${b.idempotency_key}`);
  assert.equal(keys.size, afterRows.length, 'no duplicate keys');
  const opens = new Map<string, number>();
  for (const r of afterRows) {
    const ev = JSON.parse(r.payload_json) as SiemEvent;
    if (ev.kind !== 'alert.open') continue;
    const alert = ev.id.replace(/#.*$/, '');
    opens.set(alert, (opens.get(alert) ?? 0) + 1);
  }
  assert.deepEqual([...opens].filter(([, n]) => n > 1), [], 'each alert opened once across the restart');
  const rules = new Set(afterRows.map((r) => (JSON.parse(r.payload_json) as SiemEvent).rule));
  for (const rule of ['check.no-conduit', 'check.phi-exposed', 'check.cleartext-phi', 'monitor.new-asset']) assert.ok(rules.has(rule), `alerts of ${rule}`);
  // Forwarded lines are a subset of the stored events (stored first), each once.
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as SiemEvent).id);
  assert.equal(new Set(lines).size, lines.length);
  for (const id of lines) assert.ok(keys.has(id));
});

test('live pcap on stdin: DICOM AE pairs and HL7 application pairs alert, violations found, PHI canary never in events or logs', { timeout: 120_000 }, async () => {
  const db = join(TMP, 'pcap.db');
  const m = startMonitor(['--model', MODEL, '--pcap', '-', '--window', '300ms', '--db', db, '--no-learn', '--jsonl', '-']);
  createReadStream(join(MODEL, 'captures', 'hospital.pcap')).pipe(m.proc.stdin!);
  assert.equal(await m.exited, 0, m.stderr().slice(-2000));
  const events = m.stdout().trim().split('\n').map((l) => JSON.parse(l) as SiemEvent);
  const rules = new Set(events.map((e) => e.rule));
  assert.ok(rules.has('monitor.new-ae-pair'), [...rules].join(','));
  assert.ok(rules.has('monitor.new-hl7-pair'), [...rules].join(','));
  assert.ok(rules.has('check.no-conduit'));
  assert.ok(events.some((e) => e.rule === 'monitor.new-ae-pair' && /->/.test(e.title)));
  const stored = query<{ payload_json: string }>(db, 'SELECT payload_json FROM events').map((r) => r.payload_json).join('\n');
  for (const text of [m.stdout(), m.stderr(), stored, readFileSync(db).toString('latin1')]) {
    assert.ok(!/ZZCANARY|PHINEAS|CANARY-7731/i.test(text), 'PHI canary must not appear');
  }
});

test('Zeek conn.log tailed across rotation: every connection once, in both files', () => {
  const dir = join(TMP, 'zeek');
  const src = readFileSync(corpusFile('zeek', 'zeek_baseline_opt.basic_conn.log'), 'utf8').split('\n');
  const head = src.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const data = src.filter((l) => l && !l.startsWith('#'));
  assert.ok(data.length >= 4, 'sample has connections');
  mkdirSync(dir, { recursive: true });
  const seen: string[] = [];
  const t = new ZeekTailer(dir, (c) => seen.push(`${c.origH}:${c.origP}>${c.respH}:${c.respP}`));
  const half = Math.ceil(data.length / 2);
  writeFileSync(join(dir, 'conn.log'), `${head.join('\n')}\n${data.slice(0, 1).join('\n')}\n`);
  t.poll();
  assert.equal(seen.length, 1);
  // A line written in two pieces is read once, whole.
  const [a, b] = [data[1].slice(0, 10), data[1].slice(10)];
  appendFileSync(join(dir, 'conn.log'), a);
  t.poll();
  appendFileSync(join(dir, 'conn.log'), `${b}\n${data.slice(2, half).join('\n')}\n`);
  t.poll();
  assert.equal(seen.length, half);
  // Rotation: more lines land in the old file just before it is renamed, then a new conn.log starts.
  appendFileSync(join(dir, 'conn.log'), `${data.slice(half, half + 1).join('\n')}\n`);
  renameSync(join(dir, 'conn.log'), join(dir, 'conn.2026-11-28-13-00-00.log'));
  writeFileSync(join(dir, 'conn.log'), `${head.join('\n')}\n${data.slice(half + 1).join('\n')}\n`);
  t.poll();
  t.stop();
  assert.equal(t.rotations, 1);
  assert.equal(seen.length, data.length);
  assert.equal(new Set(seen).size, new Set(data.map((l) => { const c = l.split('\t'); return `${c[2]}:${c[3]}>${c[4]}:${c[5]}`; })).size);
});

test('usage errors exit 2 with a clear message', () => {
  const r = spawnSyncCli(['monitor', '--model', MODEL]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no input/);
  const r2 = spawnSyncCli(['monitor', '--model', MODEL, '--netflow', '99999']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /not a port/);
  const r3 = spawnSyncCli(['monitor', '--model', MODEL, '--zeek', join(TMP, 'nope')]);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /not a directory/);
});

function spawnSyncCli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

test('--zeek DIR end to end: the running monitor tails conn.log across a rotation and counts every connection once', { timeout: 120_000 }, async () => {
  const dir = join(TMP, 'zeek-live');
  mkdirSync(dir, { recursive: true });
  const src = readFileSync(corpusFile('zeek', 'slips_test10_mixed_conn.tsv.log'), 'utf8').split('\n');
  const head = src.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const data = src.filter((l) => l && !l.startsWith('#'));
  const half = Math.floor(data.length / 2);
  writeFileSync(join(dir, 'conn.log'), `${head.join('\n')}\n${data.slice(0, half).join('\n')}\n`);
  const m = startMonitor(['--model', MODEL, '--zeek', dir, '--window', '300ms', '--db', join(TMP, 'zeek.db'), '--no-learn', '--json']);
  try {
    await started(m);
    await sleep(800);
    renameSync(join(dir, 'conn.log'), join(dir, 'conn.2026-11-28-13-00-00.log'));
    writeFileSync(join(dir, 'conn.log'), `${head.join('\n')}\n${data.slice(half).join('\n')}\n`);
    await sleep(1200);
    m.proc.kill('SIGTERM');
    assert.equal(await m.exited, 0, m.stderr().slice(-2000));
  } finally {
    if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
  }
  const summary = JSON.parse(m.stdout()) as { records: number; eventsStored: number };
  // The batch reader over the whole file is the reference (the sample has one line that is no connection).
  const ref = await readZeek(corpusFile('zeek', 'slips_test10_mixed_conn.tsv.log'));
  assert.equal(summary.records, ref.inputs[0].records);
  assert.ok(summary.eventsStored > 0);
});
