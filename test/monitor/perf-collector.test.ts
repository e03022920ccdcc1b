/**
 * The collector reads its socket on a receiver thread, so a busy main thread
 * (a long window evaluation, a store commit) no longer loses datagrams: every
 * record sent while this thread is blocked is decoded afterwards, in order.
 * When more than the queue limit is waiting, the receiver drops and the
 * drops are counted: decoded + dropped == sent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kernelDrops } from '../../src/monitor/inputs.ts';
import { NetflowCollector } from '../../src/sources/netflow/index.ts';
import { sleep, v5Datagrams } from './harness.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-perf-collector-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

const PER = 30;
const SIZE = 24 + PER * 48;

/**
 * A separate process sends `count` datagrams to the port over about `ms`.
 * spawnSync: this thread is blocked until the last one is sent, as during a
 * long window evaluation.
 */
function sendBlocked(port: number, count: number, ms: number): void {
  const file = join(TMP, `d-${port}.bin`);
  writeFileSync(file, Buffer.concat(v5Datagrams(count, PER, 500, 1_800_000_000_000)));
  const js = `
    const dgram = require('node:dgram'); const fs = require('node:fs');
    const all = fs.readFileSync(${JSON.stringify(file)}); const s = dgram.createSocket('udp4');
    const n = ${count}, per = Math.max(1, Math.ceil(n / (${ms} / 5))); let i = 0;
    const step = () => { let k = 0; while (i < n && k++ < per) { const d = all.subarray(i * ${SIZE}, (i + 1) * ${SIZE}); i++; s.send(d, ${port}, '127.0.0.1', i === n ? () => s.close() : undefined); } if (i < n) setTimeout(step, 5); };
    step();`;
  const r = spawnSync(process.execPath, ['-e', js], { stdio: 'ignore', timeout: 30_000 });
  assert.equal(r.status, 0, 'the sender sent everything');
}

async function settle(c: NetflowCollector, expect: number): Promise<void> {
  for (let i = 0, last = -1; i < 100 && c.decoder.stats.datagrams < expect; i++) {
    if (c.decoder.stats.datagrams === last && i > 20) break;
    last = c.decoder.stats.datagrams;
    await sleep(50);
  }
}

test('a blocked main thread loses nothing: datagrams wait on the receiver thread', { timeout: 60_000 }, async () => {
  let records = 0;
  let packets = 0;
  const c = new NetflowCollector({ port: 0, receiveBufferSize: 4 * 1024 * 1024, onRecord(r) { records++; packets += r.packets; } });
  await c.start();
  try {
    // Longer than the kernel buffer lasts at this rate when nothing reads it.
    sendBlocked(c.port, 10_000, 1500);
    await settle(c, 10_000);
    assert.equal(kernelDrops(c.port), 0, 'the kernel dropped nothing');
    assert.equal(c.decoder.stats.datagrams, 10_000);
    assert.equal(records, 10_000 * PER);
    assert.equal(packets, 10_000 * PER, 'each v5 record of the generator carries one packet');
    assert.deepEqual(c.decoder.anomalies.list(), []);
  } finally {
    await c.stop();
  }
});

test('over the queue limit the receiver drops and counts: decoded + dropped == sent', { timeout: 60_000 }, async () => {
  const c = new NetflowCollector({ port: 0, receiveBufferSize: 4 * 1024 * 1024, maxQueuedBytes: 100 * SIZE, onRecord() {} });
  await c.start();
  try {
    sendBlocked(c.port, 1000, 300);
    await settle(c, 1000);
    const dropped = c.decoder.anomalies.list().filter((a) => a.kind === 'netflow.queue-overflow').reduce((n, a) => n + a.count, 0);
    assert.equal(kernelDrops(c.port), 0);
    assert.ok(dropped > 0, 'the limit was reached');
    assert.ok(c.decoder.stats.datagrams >= 100, 'what fitted was kept');
    assert.equal(c.decoder.stats.datagrams + dropped, 1000);
  } finally {
    await c.stop();
  }
});

test('stop decodes everything received before it', { timeout: 60_000 }, async () => {
  let records = 0;
  const c = new NetflowCollector({ port: 0, receiveBufferSize: 4 * 1024 * 1024, onRecord() { records++; } });
  await c.start();
  sendBlocked(c.port, 500, 100);
  // Still blocked a moment, so the receiver thread has read the last datagrams off the socket.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  // Nothing decoded yet: this thread was blocked; the batches wait in its queue.
  assert.equal(records, 0);
  await c.stop();
  assert.equal(records, 500 * PER);
});
