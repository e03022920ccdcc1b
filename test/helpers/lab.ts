/**
 * The project's own lab (lab/hospital.sh) as a source of fresh captures for
 * tests. Building it takes ~30 s, so `labCapture()` builds it once per test
 * run and shares the result between test files (separate processes) through
 * a directory under the OS temp dir, guarded by a lock directory.
 *
 * @example
 *   import { labCapture } from '../helpers/lab.ts';
 *   const lab = await labCapture();      // { pcap, netflowPcap, trafficLog, ... }
 *   // decode lab.pcap and compare with tshark
 *
 * Needs root (namespaces, dumpcap). The committed, pre-made captures are in
 * examples/hospital/captures/ (see `committedCaptures`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './corpus.ts';
import { sleep } from './net.ts';

export interface LabCapture {
  dir: string;
  /** Classic pcap, Ethernet, taken on the lab's bridge. */
  pcap: string;
  /** softflowd's NetFlow v9 (udp/2055) and IPFIX (udp/4739) export datagrams for pcap. */
  netflowPcap: string;
  /** Every client command of the traffic plan with its output and exit code. */
  trafficLog: string;
  /** Server logs (Orthanc, dcmqrscp, MLLP metadata, ...). */
  logsDir: string;
}

export const LAB_SCRIPT = join(REPO, 'lab', 'hospital.sh');

function files(dir: string): LabCapture {
  return {
    dir,
    pcap: join(dir, 'hospital.pcap'),
    netflowPcap: join(dir, 'hospital-netflow.pcap'),
    trafficLog: join(dir, 'traffic.log'),
    logsDir: join(dir, 'logs'),
  };
}

/** The captures committed in examples/hospital/captures/. */
export function committedCaptures(): { pcap: string; netflowPcap: string } {
  const dir = join(REPO, 'examples', 'hospital', 'captures');
  return { pcap: join(dir, 'hospital.pcap'), netflowPcap: join(dir, 'hospital-netflow.pcap') };
}

/** Build the lab, run the traffic plan, capture it into outDir, tear it down (~30 s). */
export function runLab(outDir: string, timeoutMs = 240_000): Promise<LabCapture> {
  mkdirSync(outDir, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [LAB_SCRIPT, 'all', outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b: Buffer): void => {
      out = (out + b.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // SIGTERM lets the script's EXIT trap stop its servers and delete its namespaces
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    const onExit = (): void => {
      child.kill('SIGTERM');
    };
    process.once('exit', onExit);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      if (code === 0 && existsSync(join(outDir, 'hospital.pcap'))) resolve(files(outDir));
      else reject(new Error(`lab/hospital.sh all failed (exit ${code}):\n${out}`));
    });
  });
}


function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let mine: Promise<LabCapture> | undefined;

/**
 * One lab capture per test run, shared by every test file of the run. The run
 * is identified by WARDLINE_LAB_RUN, else by the parent process (node --test
 * runs each file as a child of one runner).
 */
export function labCapture(): Promise<LabCapture> {
  mine ??= shared();
  return mine;
}

async function shared(): Promise<LabCapture> {
  const key = process.env.WARDLINE_LAB_RUN ?? String(process.ppid);
  // a changed lab script never reuses a capture made by the old one
  const script = createHash('md5').update(readFileSync(LAB_SCRIPT)).digest('hex').slice(0, 8);
  const dir = join(tmpdir(), `wardline-lab-${key}-${script}`);
  const lock = `${dir}.lock`;
  const done = join(dir, 'DONE');
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (existsSync(done)) return files(dir);
    try {
      mkdirSync(lock);
    } catch {
      // someone else builds it; take over only if that process died
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (owner && !pidAlive(owner)) rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    writeFileSync(join(lock, 'pid'), String(process.pid));
    try {
      rmSync(dir, { recursive: true, force: true });
      const r = await runLab(dir);
      writeFileSync(done, new Date().toISOString());
      return r;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  throw new Error(`timed out waiting for the shared lab capture in ${dir}`);
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
