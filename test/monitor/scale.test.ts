/**
 * Scale-out against real servers: a 3-node nats-server JetStream cluster and
 * PostgreSQL, a sensor fed NetFlow v5 on loopback, two central workers
 * sharing one durable consumer. One worker is killed with SIGKILL mid-stream
 * (and later restarted): every record sent is committed exactly once, no
 * event is duplicated, every alert opens once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { connect } from 'nats';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startNatsCluster, type NatsClusterHandle } from '../helpers/nats.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';
import { REPO } from '../helpers/corpus.ts';
import { send, sleep, startMonitor, udpSender, v5Datagrams, type MonitorChild } from './harness.ts';

let nats: NatsClusterHandle;
let pgh: PostgresHandle;
before(async () => {
  [nats, pgh] = await Promise.all([startNatsCluster(3), startPostgres()]);
});
after(async () => {
  await Promise.allSettled([nats?.stop(), pgh?.stop()]);
});

function startSensor(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): MonitorChild {
  const proc = spawn(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), 'sensor', ...args], { cwd: REPO, stdio: [stdin, 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

async function logged(c: MonitorChild, msg: string, ms = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  for (;;) {
    const line = c.stderr().split('\n').find((l) => l.includes(`"msg":"${msg}"`));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (c.proc.exitCode !== null || Date.now() > end) throw new Error(`no "${msg}" in:\n${c.stderr().slice(-3000)}`);
    await sleep(50);
  }
}

test('sensor -> JetStream (3 nodes) -> two workers -> PostgreSQL; SIGKILL one worker mid-stream: nothing lost, nothing duplicated', { timeout: 240_000 }, async () => {
  const db = new pg.Client({ connectionString: pgh.url });
  await db.connect();
  const workerArgs = ['--nats', nats.urls, '--queue', 'workers', '--db', pgh.url, '--model', join(REPO, 'examples', 'hospital'), '--ack-wait', '2s', '--replicas', '3', '--no-learn', '--window', '1s'];
  const sensor = startSensor(['--site', 'north', '--nats', nats.urls, '--netflow', '0', '--interval', '250ms', '--replicas', '3', '--json']);
  const workers: MonitorChild[] = [];
  try {
    const s = await logged(sensor, 'sensor started');
    const port = Number(s.netflow);
    workers.push(startMonitor(workerArgs), startMonitor(workerArgs));
    await Promise.all(workers.map((w) => logged(w, 'monitor started')));

    const tx = await udpSender();
    const datagrams = v5Datagrams(400, 30, 500);
    const sent = datagrams.length * 30;
    for (let i = 0; i < datagrams.length; i++) {
      await send(tx, datagrams[i], port);
      if (i % 20 === 19) await sleep(40);
      // Mid-stream, once the victim has committed something: kill -9.
      if (i === 200) {
        for (let k = 0; k < 100; k++) {
          const r = await db.query('SELECT COUNT(*)::int AS n FROM monitor_batches');
          if (r.rows[0].n > 2) break;
          await sleep(100);
        }
        workers[0].proc.kill('SIGKILL');
        await workers[0].exited;
      }
    }
    tx.close();
    await sleep(500);
    sensor.proc.kill('SIGTERM');
    assert.equal(await sensor.exited, 0, sensor.stderr().slice(-2000));
    const summary = JSON.parse(sensor.stdout()) as { batches: number; records: number; queued: number };
    assert.equal(summary.records, sent, 'the sensor decoded every record sent');
    assert.equal(summary.queued, 0);

    // The killed worker comes back; both drain the rest, including whatever the victim held unacknowledged.
    workers[0] = startMonitor(workerArgs);
    await logged(workers[0], 'monitor started');
    let committed = 0;
    for (let k = 0; k < 600 && committed < summary.batches; k++) {
      committed = (await db.query('SELECT COUNT(*)::int AS n FROM monitor_batches')).rows[0].n as number;
      if (committed < summary.batches) await sleep(100);
    }
    assert.equal(committed, summary.batches, 'every batch committed once');
    const totals = (await db.query("SELECT SUM(records)::bigint AS r FROM monitor_batches WHERE site = 'north'")).rows[0];
    assert.equal(Number(totals.r), sent, 'records committed == records sent');
    const edges = (await db.query("SELECT SUM(bytes)::bigint AS b, SUM(packets)::bigint AS p, COUNT(*)::int AS n FROM monitor_edges WHERE site = 'north'")).rows[0];
    assert.equal(Number(edges.p), sent, 'packets: one per record, each counted once');
    assert.equal(Number(edges.b), sent * 100, 'bytes: 100 per record, each counted once');
    assert.equal(edges.n, 500, 'one edge per distinct flow');

    const ev = (await db.query('SELECT COUNT(*)::int AS n, COUNT(DISTINCT idempotency_key)::int AS d FROM events')).rows[0];
    assert.ok(ev.n > 0, 'alerts were raised');
    assert.equal(ev.n, ev.d);
    const opens = (await db.query("SELECT payload_json FROM events WHERE kind = 'alert.open'")).rows.map((r) => (JSON.parse(r.payload_json as string) as { id: string }).id.replace(/#.*$/, ''));
    assert.equal(new Set(opens).size, opens.length, 'each alert opened once across both workers');
    const hosts = (await db.query("SELECT COUNT(*)::int AS n FROM events WHERE payload_json LIKE '%monitor.new-asset%'")).rows[0].n as number;
    assert.equal(hosts, 501, 'one new-asset alert per host (500 clients + the PACS), however many workers saw it');
    assert.ok(workers.slice(1).every((w) => w.proc.exitCode === null), 'the surviving worker kept running');
  } finally {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    if (sensor.proc.exitCode === null) sensor.proc.kill('SIGKILL');
    await db.end();
  }
});

test('a worker reports NATS trouble on /healthz (503) while the whole cluster is down, and recovers', { timeout: 120_000 }, async () => {
  const w = startMonitor(['--nats', nats.urls, '--queue', 'health-check', '--db', pgh.url, '--model', join(REPO, 'examples', 'hospital'), '--health', '0', '--window', '500ms']);
  try {
    const s = await logged(w, 'monitor started');
    const health = Number(s.health);
    const status = async () => (await fetch(`http://127.0.0.1:${health}/healthz`)).status;
    assert.equal(await status(), 200);
    for (let i = 0; i < nats.nodes.length; i++) await nats.kill(i);
    let st = 0;
    for (let k = 0; k < 100 && st !== 503; k++) {
      st = await status();
      if (st !== 503) await sleep(100);
    }
    assert.equal(st, 503);
    assert.match(JSON.stringify(await (await fetch(`http://127.0.0.1:${health}/healthz`)).json()), /"nats":"down"/);
    // Each restart waits for JetStream, which needs a quorum: start them together.
    await Promise.all(nats.nodes.map((_, i) => nats.restart(i)));
    for (let k = 0; k < 300 && st !== 200; k++) {
      st = await status();
      if (st !== 200) await sleep(100);
    }
    assert.equal(st, 200, 'healthy again once the cluster is back');
  } finally {
    if (w.proc.exitCode === null) w.proc.kill('SIGTERM');
    await w.exited;
  }
});

test('sensor --pcap -: AE-pair and HL7-pair facts reach a worker as alerts; the published batches carry no PHI (canary absent from the stream)', { timeout: 120_000 }, async () => {
  const sensor = startSensor(['--site', 'east', '--nats', nats.urls, '--pcap', '-', '--interval', '300ms', '--replicas', '3', '--json'], 'pipe');
  createReadStream(join(REPO, 'examples', 'hospital', 'captures', 'hospital.pcap')).pipe(sensor.proc.stdin!);
  assert.equal(await sensor.exited, 0, sensor.stderr().slice(-2000));
  const summary = JSON.parse(sensor.stdout()) as { batches: number };
  assert.ok(summary.batches >= 1);
  // Every byte that left the site, read back from the stream.
  const nc = await connect({ servers: nats.urls.split(',') });
  const raw: string[] = [];
  try {
    const c = await nc.jetstream().consumers.get('WARDLINE_OBS', { filterSubjects: 'wardline.obs.east' });
    const it = await c.fetch({ max_messages: 1000, expires: 2000 });
    for await (const m of it) {
      raw.push(Buffer.from(m.data).toString('utf8'));
      if (m.info.pending === 0) break;
    }
  } finally {
    await nc.close();
  }
  assert.equal(raw.length, summary.batches);
  const all = raw.join('\n');
  assert.ok(all.includes('aePairs') && all.includes('appPairs'), 'DICOM and HL7 facts travel');
  assert.ok(!/ZZCANARY|PHINEAS|CANARY-7731/i.test(all), 'PHI canary must not leave the site');

  const db = new pg.Client({ connectionString: pgh.url });
  await db.connect();
  const w = startMonitor(['--nats', nats.urls, '--queue', 'east-workers', '--db', pgh.url, '--model', join(REPO, 'examples', 'hospital'), '--no-learn', '--window', '500ms']);
  try {
    await logged(w, 'monitor started');
    let rules: string[] = [];
    for (let k = 0; k < 200; k++) {
      rules = (await db.query("SELECT DISTINCT payload_json::json->>'rule' AS r FROM events WHERE payload_json::json->>'site' = 'east'")).rows.map((r) => r.r as string);
      if (rules.includes('monitor.new-ae-pair') && rules.includes('monitor.new-hl7-pair')) break;
      await sleep(100);
    }
    assert.ok(rules.includes('monitor.new-ae-pair'), `${rules.join(',')}\n${w.stderr().slice(-3000)}`);
    assert.ok(rules.includes('monitor.new-hl7-pair'), rules.join(','));
    const stored = (await db.query("SELECT payload_json FROM events WHERE payload_json::json->>'site' = 'east'")).rows.map((r) => r.payload_json as string).join('\n');
    assert.ok(!/ZZCANARY|PHINEAS|CANARY-7731/i.test(stored));
  } finally {
    w.proc.kill('SIGTERM');
    await w.exited;
    await db.end();
  }
});
