/**
 * Real DICOM and HL7 peers for tests: Orthanc, DCMTK dcmqrscp and storescp,
 * and an MLLP ACK server (python3-hl7). Each starts inside a namespace host
 * from `netns.ts`, or on the machine's loopback with free ports when no host
 * is given, waits until it listens (timeout), and returns a handle whose
 * stop() ends it (its forked children too). Everything is also stopped when
 * the test process exits. Working files go to a fresh temp dir per peer.
 *
 * Orthanc and DCMTK cannot choose a bind address: on loopback they listen on
 * 0.0.0.0 (with a free high port); prefer a namespace when that matters.
 *
 * @example
 *   import { startOrthanc, startDcmqrscp } from '../helpers/peers.ts';
 *   const pacs = await startOrthanc({ config: { DicomCheckCalledAet: true } });
 *   const r = await execIn(null, 'echoscu', ['-aec', pacs.aet, '127.0.0.1', String(pacs.dicomPort)]);
 *   const sys = await pacs.rest('/system');          // uses the registered user
 *   await pacs.stop();
 *
 *   const net = createNet('probe'); const lan = net.addSwitch('lan');
 *   const h = net.addHost('vna', [{ sw: lan, cidr: '10.9.0.11/24' }]);
 *   const vna = await startDcmqrscp({ host: h, aet: 'VNA', port: 11112 });
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './corpus.ts';
import { freePort } from './net.ts';
import { spawnIn, waitListen } from './netns.ts';
import type { Host, Proc } from './netns.ts';

export interface PeerHandle {
  /** Where clients connect: the host's address, or 127.0.0.1. */
  readonly address: string;
  /** Working directory (config, storage, logs); removed by stop() unless keepDir. */
  readonly dir: string;
  readonly proc: Proc;
  /** Text of the peer's log so far. */
  log(): string;
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}


function peerDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `wl-peer-${kind}-`));
}

interface Started {
  proc: Proc;
  dir: string;
  address: string;
  logFile: string;
}

async function launch(
  kind: string,
  host: Host | undefined,
  dir: string,
  cmd: string,
  args: string[],
  listen: { port: number; udp?: boolean }[],
  timeoutMs: number,
): Promise<Started> {
  const logFile = join(dir, `${kind}.log`);
  const proc = spawnIn(host?.ns ?? null, cmd, args, { cwd: dir, logFile });
  try {
    for (const l of listen) await waitListen(host?.ns ?? null, l.port, { udp: l.udp, timeoutMs, proc });
  } catch (e) {
    await proc.stop(2000);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
    throw new Error(`${kind} did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }
  return { proc, dir, address: host?.ip ?? '127.0.0.1', logFile };
}

function handle(s: Started): PeerHandle {
  return {
    address: s.address,
    dir: s.dir,
    proc: s.proc,
    log: () => (existsSync(s.logFile) ? readFileSync(s.logFile, 'utf8') : ''),
    async stop(opts = {}) {
      await s.proc.stop();
      if (!opts.keepDir) rmSync(s.dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ Orthanc

export interface OrthancOptions {
  host?: Host;
  /** Merged over the defaults below; Orthanc's own keys (DicomAet, DicomCheckCalledAet, ...). */
  config?: Record<string, unknown>;
  /** Use Orthanc's built-in defaults only (plus ports and storage): what a fresh install runs. */
  builtinDefaults?: boolean;
  timeoutMs?: number;
}

export interface OrthancHandle extends PeerHandle {
  readonly aet: string;
  readonly dicomPort: number;
  readonly httpPort: number;
  /** The config file as written. */
  readonly config: Record<string, unknown>;
  /** GET/POST the REST API from the test process (loopback Orthanc only) with the first registered user. */
  rest(path: string, init?: { method?: string; body?: string }): Promise<{ status: number; body: string }>;
}

/**
 * Start Orthanc. Defaults: AE ORTHANC, DICOM 4242 / HTTP 8042 in a namespace
 * (free ports on loopback), user wardline/wardline, remote access on in a
 * namespace, DicomAssociationCloseDelay 0 (releases happen at once).
 */
export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancHandle> {
  const dir = peerDir('orthanc');
  const dicomPort = opts.host ? 4242 : await freePort();
  const httpPort = opts.host ? 8042 : await freePort();
  const base: Record<string, unknown> = opts.builtinDefaults
    ? {}
    : {
        Name: 'WARDLINE-TEST',
        DicomAet: 'ORTHANC',
        RemoteAccessAllowed: Boolean(opts.host),
        AuthenticationEnabled: true,
        RegisteredUsers: { wardline: 'wardline' },
        DicomAssociationCloseDelay: 0,
      };
  const config: Record<string, unknown> = {
    ...base,
    ...opts.config,
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    DicomPort: (opts.config?.DicomPort as number | undefined) ?? dicomPort,
    HttpPort: (opts.config?.HttpPort as number | undefined) ?? httpPort,
  };
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config, null, 2));
  const s = await launch(
    'orthanc',
    opts.host,
    dir,
    '/usr/sbin/Orthanc',
    [join(dir, 'orthanc.json')],
    [{ port: config.DicomPort as number }, { port: config.HttpPort as number }],
    opts.timeoutMs ?? 30_000,
  );
  const users = (config.RegisteredUsers ?? {}) as Record<string, string>;
  const first = Object.entries(users)[0];
  const auth = first ? 'Basic ' + Buffer.from(`${first[0]}:${first[1]}`).toString('base64') : undefined;
  return {
    ...handle(s),
    aet: (config.DicomAet as string | undefined) ?? 'ORTHANC',
    dicomPort: config.DicomPort as number,
    httpPort: config.HttpPort as number,
    config,
    async rest(path, init = {}) {
      if (opts.host) throw new Error('rest() reaches loopback Orthanc only; use host.exec("curl", ...) in a namespace');
      const r = await fetch(`http://127.0.0.1:${config.HttpPort as number}${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        body: init.body,
        headers: auth ? { authorization: auth } : {},
        signal: AbortSignal.timeout(15_000),
      });
      return { status: r.status, body: await r.text() };
    },
  };
}

// ------------------------------------------------------------------ dcmqrscp

export interface DcmqrscpOptions {
  host?: Host;
  /** Called AE title it answers to (others get A-ASSOCIATE-RJ). Default DCMQRSCP. */
  aet?: string;
  port?: number;
  /** Known peers, for C-MOVE destinations and for `peers`. */
  hostTable?: { name: string; aet: string; address: string; port: number }[];
  /** 'ANY' (default) or a list of hostTable names allowed to connect. */
  peers?: 'ANY' | string[];
  timeoutMs?: number;
}

export interface DcmqrscpHandle extends PeerHandle {
  readonly aet: string;
  readonly port: number;
}

/** Start DCMTK dcmqrscp (Q/R SCP with storage), fork-per-association (its single-process mode crashes in 3.6.7). */
export async function startDcmqrscp(opts: DcmqrscpOptions = {}): Promise<DcmqrscpHandle> {
  const dir = peerDir('dcmqrscp');
  const aet = opts.aet ?? 'DCMQRSCP';
  const port = opts.port ?? (opts.host ? 11112 : await freePort());
  mkdirSync(join(dir, 'db'));
  const table = (opts.hostTable ?? []).map((h) => `${h.name} = (${h.aet}, ${h.address}, ${h.port})`);
  const peers = opts.peers === undefined || opts.peers === 'ANY' ? 'ANY' : opts.peers.join(', ');
  writeFileSync(
    join(dir, 'dcmqrscp.cfg'),
    [
      `NetworkTCPPort = ${port}`,
      'MaxPDUSize = 16384',
      'MaxAssociations = 16',
      'HostTable BEGIN',
      ...table,
      'HostTable END',
      'VendorTable BEGIN',
      'VendorTable END',
      'AETable BEGIN',
      `${aet} ${join(dir, 'db')} RW (200, 1024mb) ${peers}`,
      'AETable END',
      '',
    ].join('\n'),
  );
  // -dhl: no reverse lookup of the caller (namespaces have no resolver: 30 s stalls)
  const s = await launch('dcmqrscp', opts.host, dir, 'dcmqrscp', ['-v', '-dhl', '-c', join(dir, 'dcmqrscp.cfg')], [{ port }], opts.timeoutMs ?? 15_000);
  return { ...handle(s), aet, port };
}

// ------------------------------------------------------------------ storescp

export interface StorescpOptions {
  host?: Host;
  aet?: string;
  port?: number;
  /** Extra storescp arguments, e.g. ['--aetitle-check'] ... */
  args?: string[];
  timeoutMs?: number;
}

export interface StorescpHandle extends PeerHandle {
  readonly aet: string;
  readonly port: number;
  /** Directory received objects are written to. */
  readonly outDir: string;
}

/** Start DCMTK storescp (C-STORE/C-ECHO SCP). */
export async function startStorescp(opts: StorescpOptions = {}): Promise<StorescpHandle> {
  const dir = peerDir('storescp');
  const aet = opts.aet ?? 'STORESCP';
  const port = opts.port ?? (opts.host ? 104 : await freePort());
  const outDir = join(dir, 'in');
  mkdirSync(outDir);
  const args = ['-v', '-dhl', '-aet', aet, '-od', outDir, ...(opts.args ?? []), String(port)];
  const s = await launch('storescp', opts.host, dir, 'storescp', args, [{ port }], opts.timeoutMs ?? 15_000);
  return { ...handle(s), aet, port, outDir };
}

// ------------------------------------------------------------------ MLLP

export interface MllpOptions {
  host?: Host;
  port?: number;
  /** MSH-3/MSH-4 of the ACKs it sends. */
  app?: string;
  facility?: string;
  timeoutMs?: number;
}

export interface MllpHandle extends PeerHandle {
  readonly port: number;
  /** One line per received message: "ip:port msg#N type=ADT^A01 ctrl=... from=APP^FAC to=APP^FAC" (no PHI). */
  messages(): string[];
}

/** Start the lab's MLLP ACK server (answers MSA|AA to every message). */
export async function startMllpAck(opts: MllpOptions = {}): Promise<MllpHandle> {
  const dir = peerDir('mllp');
  const port = opts.port ?? (opts.host ? 2575 : await freePort());
  const msgLog = join(dir, 'messages.log');
  const args = [
    join(REPO, 'lab', 'peers', 'mllp_ack_server.py'),
    opts.host?.ip ?? '127.0.0.1',
    String(port),
    msgLog,
    opts.app ?? 'WARDLINE_TEST',
    opts.facility ?? 'LAB',
  ];
  const s = await launch('mllp', opts.host, dir, '/usr/bin/python3', args, [{ port }], opts.timeoutMs ?? 15_000);
  return {
    ...handle(s),
    port,
    messages: () =>
      existsSync(msgLog)
        ? readFileSync(msgLog, 'utf8')
            .split('\n')
            .filter((l) => l.includes(' msg#'))
        : [],
  };
}
