/**
 * A real NATS JetStream cluster for tests: three nats-server processes on
 * loopback ports, each with its own store_dir, routed to each other, in a
 * temp directory. Resolves once JetStream has a meta leader and answers.
 *
 *   const nats = await startNatsCluster();
 *   ... nats.urls (comma-separated client URLs) ...
 *   await nats.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from './net.ts';
import { sleep } from './net.ts';

export interface NatsNode {
  name: string;
  port: number;
  clusterPort: number;
  proc: ChildProcess;
  log(): string;
}

export interface NatsClusterHandle {
  /** Client URLs of every node, comma-separated (what --nats takes). */
  urls: string;
  nodes: NatsNode[];
  dir: string;
  /** Stops one node abruptly (SIGKILL); `restart` brings it back with its store. */
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}


export async function startNatsCluster(size = 3): Promise<NatsClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'wl-monitor-nats-'));
  const ports: Array<{ port: number; clusterPort: number }> = [];
  for (let i = 0; i < size; i++) ports.push({ port: await freePort(), clusterPort: await freePort() });
  const nodes: NatsNode[] = [];
  const launch = (i: number): NatsNode => {
    const name = `n${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store, { recursive: true });
    const conf = join(dir, `${name}.conf`);
    const routes = ports.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p.clusterPort}`);
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${ports[i].port}`,
      `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 1GB }`,
      `cluster { name: wl-monitor, listen: 127.0.0.1:${ports[i].clusterPort}, routes: [${routes.join(', ')}] }`,
      '',
    ].join('\n'));
    let out = '';
    const proc = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
    proc.stderr!.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
    return { name, port: ports[i].port, clusterPort: ports[i].clusterPort, proc, log: () => out };
  };
  for (let i = 0; i < size; i++) nodes.push(launch(i));
  const urls = nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => (n.proc.exitCode === null && n.proc.signalCode === null
      ? new Promise<void>((r) => { n.proc.once('exit', () => r()); n.proc.kill('SIGTERM'); setTimeout(() => n.proc.kill('SIGKILL'), 5000).unref(); })
      : Promise.resolve())));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitJetStream(urls, 60_000);
  } catch (err) {
    const logs = nodes.map((n) => `--- ${n.name}\n${n.log().slice(-1500)}`).join('\n');
    await stopAll();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  return {
    urls, nodes, dir,
    async kill(i) {
      const n = nodes[i];
      if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
      await new Promise<void>((r) => { n.proc.once('exit', () => r()); n.proc.kill('SIGKILL'); });
    },
    async restart(i) {
      nodes[i] = launch(i);
      await waitJetStream(urls, 60_000);
    },
    stop: stopAll,
  };
}

/** JetStream answers account info once the cluster has a meta leader. */
async function waitJetStream(urls: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    try {
      const nc = await connect({ servers: urls.split(','), timeout: 1000, maxReconnectAttempts: 0 });
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2000 });
        const info = await jsm.getAccountInfo();
        if (info) return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`JetStream not ready: ${last}`);
}
