/** Shared by the monitor tests and the bench: the monitor CLI as a child process, export datagrams, a NetFlow v5 generator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { PcapUdpWalker } from '../../src/sources/netflow/index.ts';
import { looksLikeExport } from '../../src/sources/netflow/sniff.ts';
import { REPO } from '../helpers/corpus.ts';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface MonitorChild {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function startMonitor(args: string[], env: Record<string, string> = {}): MonitorChild {
  const proc = spawn(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), 'monitor', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Waits until the monitor logs "monitor started"; returns the logged ports. */
export async function started(m: MonitorChild, ms = 30_000): Promise<{ netflow?: number; health?: number }> {
  const end = Date.now() + ms;
  for (;;) {
    const line = m.stderr().split('\n').find((l) => l.includes('"monitor started"'));
    if (line) {
      const j = JSON.parse(line) as { netflow?: number; health?: number };
      return { netflow: j.netflow, health: j.health };
    }
    if (m.proc.exitCode !== null || Date.now() > end) {
      // Never leave a half-started monitor behind.
      if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
      throw new Error(`monitor did not start:\n${m.stderr().slice(-2000)}`);
    }
    await sleep(50);
  }
}

export async function metric(healthPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

/** The UDP payloads of a pcap of export traffic, in order. */
export function exportDatagrams(pcapPath: string): Buffer[] {
  const out: Buffer[] = [];
  const w = new PcapUdpWalker((d) => {
    if (looksLikeExport(d.payload)) out.push(Buffer.from(d.payload));
  });
  w.push(readFileSync(pcapPath));
  w.end();
  return out;
}

export async function udpSender(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

export function send(s: Socket, d: Uint8Array, port: number): Promise<void> {
  return new Promise((res, rej) => s.send(d, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
}

/**
 * NetFlow v5 datagrams of `perDatagram` records each, over `flows` distinct
 * flows (10.<a>.<b>.<c> -> 10.20.20.10:104/tcp and friends); every record has
 * packets = 1 and bytes = 100 so that totals are easy to check.
 */
export function v5Datagrams(count: number, perDatagram = 30, flows = 1000, start = Date.now()): Buffer[] {
  const out: Buffer[] = [];
  let seq = 0;
  for (let d = 0; d < count; d++) {
    const b = Buffer.alloc(24 + perDatagram * 48);
    b.writeUInt16BE(5, 0);
    b.writeUInt16BE(perDatagram, 2);
    b.writeUInt32BE(100_000, 4);
    b.writeUInt32BE(Math.floor(start / 1000), 8);
    b.writeUInt32BE((start % 1000) * 1e6, 12);
    b.writeUInt32BE(seq, 16);
    seq += perDatagram;
    for (let i = 0; i < perDatagram; i++) {
      const o = 24 + i * 48;
      const f = (d * perDatagram + i) % flows;
      b.writeUInt32BE(((10 << 24) | (40 << 16) | ((f >> 8) << 8) | (f & 255)) >>> 0, o);
      b.writeUInt32BE(((10 << 24) | (20 << 16) | (20 << 8) | 10) >>> 0, o + 4);
      b.writeUInt32BE(1, o + 16);
      b.writeUInt32BE(100, o + 20);
      b.writeUInt32BE(99_000, o + 24);
      b.writeUInt32BE(99_500, o + 28);
      b.writeUInt16BE(40_000 + (f % 20_000), o + 32);
      b.writeUInt16BE(104, o + 34);
      b[o + 37] = 0x1b;
      b[o + 38] = 6;
    }
    out.push(b);
  }
  return out;
}

/**
 * Sends `datagrams` (cycled) to every port at `rate` records/s for `seconds`,
 * pacing in 10 ms steps and waiting for each send. Returns the records sent
 * and the rate achieved.
 */
export function flood(ports: number[], datagrams: Buffer[], perDatagram: number, rate: number, seconds: number): Promise<{ records: number; datagrams: number; rate: number }> {
  return paced(ports, datagrams, perDatagram, rate, seconds, false);
}

/**
 * `flood` without waiting for each send: every 5 ms the datagrams due are
 * handed to the socket at once and the step waits for their callbacks, so the
 * sender's own round trips do not cap the rate (the bench looks for the
 * receivers' limits, well above what `flood` reaches).
 */
export function floodBatched(ports: number[], datagrams: Buffer[], perDatagram: number, rate: number, seconds: number): Promise<{ records: number; datagrams: number; rate: number }> {
  return paced(ports, datagrams, perDatagram, rate, seconds, true);
}

async function paced(ports: number[], datagrams: Buffer[], perDatagram: number, rate: number, seconds: number, batched: boolean): Promise<{ records: number; datagrams: number; rate: number }> {
  const tx = await udpSender();
  tx.setSendBufferSize(8 * 1024 * 1024);
  const start = performance.now();
  let sent = 0;
  let i = 0;
  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.min(rate * elapsed, rate * seconds);
    if (!batched) {
      while (sent * perDatagram < due) {
        const d = datagrams[i++ % datagrams.length];
        for (const p of ports) await send(tx, d, p);
        sent++;
      }
      await sleep(10);
      continue;
    }
    let pending = 0;
    let failed: Error | undefined;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => { done = r; });
    const cb = (e: Error | null): void => {
      if (e) failed = e;
      if (--pending === 0) done();
    };
    while (sent * perDatagram < due) {
      const d = datagrams[i++ % datagrams.length];
      for (const p of ports) {
        pending++;
        tx.send(d, p, '127.0.0.1', cb);
      }
      sent++;
    }
    if (pending > 0) await all;
    if (failed) throw failed;
    await sleep(5);
  }
  const took = (performance.now() - start) / 1000;
  tx.close();
  return { records: sent * perDatagram, datagrams: sent, rate: (sent * perDatagram) / took };
}

/** Rows from a monitor's SQLite store, read-only; the monitor may be writing meanwhile, so a busy store is retried. */
export function query<T>(db: string, sql: string): T[] {
  for (let i = 0; ; i++) {
    try {
      const d = new DatabaseSync(db, { readOnly: true });
      try {
        return d.prepare(sql).all() as T[];
      } finally {
        d.close();
      }
    } catch (err) {
      if (i > 50 || !/locked|busy|no such table/i.test((err as Error).message)) throw err;
    }
  }
}
