/**
 * Private networks of Linux network namespaces for tests (root only).
 *
 * A `Net` owns switches (a bridge, each in a namespace of its own) and hosts
 * (a namespace each, eth0..ethN plugged into switches). Everything it creates
 * carries a unique prefix `wl-<tag>-<id>-`, is registered for cleanup when the
 * process exits or gets SIGINT/SIGTERM, and is removed by `net.destroy()`.
 * Offloads are off on every veth (captures then hold real 1514-byte frames
 * with valid checksums) and IPv6 is off (no RS/MLD noise).
 *
 * @example
 *   import { createNet } from '../helpers/netns.ts';
 *   const net = createNet('probe');
 *   const lan = net.addSwitch('lan');
 *   const srv = net.addHost('srv', [{ sw: lan, cidr: '10.9.0.10/24' }]);
 *   const cli = net.addHost('cli', [{ sw: lan, cidr: '10.9.0.20/24' }]);
 *   const web = srv.spawn('python3', ['-m', 'http.server', '8080']);
 *   await srv.waitListen(8080);
 *   const r = await cli.exec('curl', ['-s', 'http://10.9.0.10:8080/']);
 *   await web.stop();
 *   net.destroy();
 *
 * A router: a host with one link per switch and `forward: true`; other hosts
 * name it with `gateway`. Hosts with `onLink: true` get a /32-style on-link
 * default route, so any address on the same switch is reached directly.
 * `capture(sw.ns, 'br0', file)` records everything on a switch with dumpcap.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { sleep } from './net.ts';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this many ms (default 30 000). */
  timeoutMs?: number;
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Write stdout+stderr to this file; otherwise the last 64 KB are kept in memory. */
  logFile?: string;
  /** Signal for stop() (default SIGTERM). dumpcap wants SIGINT to flush. */
  stopSignal?: NodeJS.Signals;
}

/** A long-running process started by `spawnIn`/`host.spawn`. */
export interface Proc {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Output so far (when no logFile was given). */
  output(): string;
  /** stopSignal, then SIGKILL after graceMs (default 5000); also stops the children it forked. */
  stop(graceMs?: number): Promise<void>;
}

export interface Link {
  sw: Switch;
  /** Address with prefix length, e.g. '10.20.20.10/24' or '203.0.113.7/32'. */
  cidr: string;
  /** Fixed MAC; default 02:00:<the four address bytes>. */
  mac?: string;
}

export interface HostOptions {
  /** Default route via this address. */
  gateway?: string;
  /** Default route on-link out of eth0 (every address on the switch is a neighbour). */
  onLink?: boolean;
  /** Enable IPv4 forwarding (a router). */
  forward?: boolean;
}

export interface Switch {
  readonly name: string;
  /** Namespace holding the bridge `br0`; capture there with `-i br0`. */
  readonly ns: string;
}

export interface Host {
  readonly name: string;
  readonly ns: string;
  /** First address of eth0, without prefix length. */
  readonly ip: string;
  readonly ips: string[];
  exec(cmd: string, args?: string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(cmd: string, args?: string[], opts?: SpawnOptions): Proc;
  /** Wait until a socket listens on port inside this host (checked with ss: sends no packet). */
  waitListen(port: number, opts?: { udp?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface Net {
  /** Prefix of every namespace of this net, e.g. 'wl-probe-k3f9a1-'. */
  readonly prefix: string;
  addSwitch(name: string): Switch;
  addHost(name: string, links: Link[], opts?: HostOptions): Host;
  readonly hosts: Map<string, Host>;
  /** Stop processes spawned in this net's hosts and delete its namespaces. Idempotent. */
  destroy(): Promise<void>;
}

// ---------------------------------------------------------------- cleanup

const liveNamespaces = new Set<string>();
const liveProcs = new Set<Proc>();
let hooksInstalled = false;

function cleanupSync(): void {
  for (const p of liveProcs) {
    for (const pid of [...descendants(p.pid), p.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  liveProcs.clear();
  for (const ns of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  liveNamespaces.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const handler = (): void => {
      cleanupSync();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** PIDs whose parent chain leads to pid (dcmqrscp forks one child per association). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      // the comm field may contain spaces and parentheses: parse after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop() as number;
    for (const [c, pp] of parent) {
      if (pp === p) {
        out.push(c);
        todo.push(c);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- processes

function wrap(ns: string | null, cmd: string, args: string[]): [string, string[]] {
  // 'ip netns exec' execs the command in place: the child PID is the command itself
  return ns ? ['ip', ['netns', 'exec', ns, cmd, ...args]] : [cmd, args];
}

/** Run a command to completion inside ns (null: the current namespace). Never throws on exit codes. */
export function execIn(ns: string | null, cmd: string, args: string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
  const [c, a] = wrap(ns, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(c, a, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      for (const pid of descendants(child.pid ?? -1)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Start a long-running command inside ns (null: the current namespace). */
export function spawnIn(ns: string | null, cmd: string, args: string[] = [], opts: SpawnOptions = {}): Proc {
  installHooks();
  const [c, a] = wrap(ns, cmd, args);
  let fd: number | null = null;
  if (opts.logFile) fd = openSync(opts.logFile, 'a');
  const child = spawn(c, a, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  let buf = '';
  const keep = (b: Buffer): void => {
    buf += b.toString();
    if (buf.length > 65_536) buf = buf.slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const pid = child.pid;
  const proc: Proc = {
    pid,
    child,
    exited,
    output: () => buf,
    async stop(graceMs = 5000) {
      const kids = descendants(pid);
      if (!done) {
        child.kill(opts.stopSignal ?? 'SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      for (const k of [...kids, ...descendants(pid)]) {
        try {
          process.kill(k, 'SIGKILL');
        } catch {
          // gone
        }
      }
      liveProcs.delete(proc);
    },
  };
  liveProcs.add(proc);
  void exited.then(() => {
    if (descendants(pid).length === 0) liveProcs.delete(proc);
  });
  return proc;
}


/** Wait until something listens on port in ns (null: current namespace); uses ss, sends no packet. */
export async function waitListen(
  ns: string | null,
  port: number,
  opts: { udp?: boolean; timeoutMs?: number; proc?: Proc } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let exited = false;
  void opts.proc?.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    const r = await execIn(ns, 'ss', [opts.udp ? '-Hlun' : '-Hltn', `sport = :${port}`], { timeoutMs: 5000 });
    if (r.stdout.trim()) return;
    if (exited) throw new Error(`process exited before listening on ${port}: ${opts.proc?.output().slice(-2000)}`);
    await sleep(100);
  }
  throw new Error(`nothing listens on ${ns ?? 'local'}:${port} after ${opts.timeoutMs ?? 20_000} ms`);
}

// ---------------------------------------------------------------- networks

function run(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr ?? String(e)}`, { cause: e });
  }
}

function quiet(ns: string, cmd: string, args: string[]): void {
  try {
    execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'ignore' });
  } catch {
    // ethtool may lack a feature on some kernels; the remaining ones are off
  }
}

function newNamespace(name: string): void {
  run(['netns', 'add', name]);
  liveNamespaces.add(name);
  quiet(name, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  run(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** 02:00 followed by the four bytes of an IPv4 address. */
export function macFor(ip: string): string {
  return '02:00:' + ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':');
}

let netCounter = 0;

/** A new private network; tag is your area (e.g. 'probe'), used in namespace names. */
export function createNet(tag: string): Net {
  installHooks();
  const id = `${process.pid.toString(36)}${(netCounter++).toString(36)}`;
  const prefix = `wl-${tag}-${id}-`;
  const own = new Set<string>();
  const procs = new Set<Proc>();
  const hosts = new Map<string, Host>();
  const ports = new Map<string, number>();

  const net: Net = {
    prefix,
    hosts,
    addSwitch(name) {
      const ns = prefix + name;
      newNamespace(ns);
      own.add(ns);
      run(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      run(['-n', ns, 'link', 'set', 'br0', 'up']);
      ports.set(ns, 0);
      return { name, ns };
    },
    addHost(name, links, opts = {}) {
      const ns = prefix + name;
      newNamespace(ns);
      own.add(ns);
      const ips: string[] = [];
      links.forEach((l, i) => {
        const n = (ports.get(l.sw.ns) ?? 0) + 1;
        ports.set(l.sw.ns, n);
        const port = `p${n}`;
        const dev = `eth${i}`;
        const ip = l.cidr.split('/')[0];
        ips.push(ip);
        run(['-n', l.sw.ns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns]);
        run(['-n', ns, 'link', 'set', dev, 'address', l.mac ?? macFor(ip)]);
        run(['-n', ns, 'addr', 'add', l.cidr, 'dev', dev]);
        run(['-n', ns, 'link', 'set', dev, 'up']);
        run(['-n', l.sw.ns, 'link', 'set', port, 'master', 'br0', 'up']);
        quiet(ns, 'ethtool', ['-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
        quiet(l.sw.ns, 'ethtool', ['-K', port, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      });
      if (opts.gateway) run(['-n', ns, 'route', 'add', 'default', 'via', opts.gateway]);
      else if (opts.onLink) run(['-n', ns, 'route', 'add', 'default', 'dev', 'eth0', 'scope', 'link']);
      if (opts.forward) quiet(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      const host: Host = {
        name,
        ns,
        ip: ips[0],
        ips,
        exec: (cmd, args = [], o) => execIn(ns, cmd, args, o),
        spawn: (cmd, args = [], o) => {
          const p = spawnIn(ns, cmd, args, o);
          procs.add(p);
          return p;
        },
        waitListen: (port, o = {}) => waitListen(ns, port, o),
      };
      hosts.set(name, host);
      return host;
    },
    async destroy() {
      await Promise.all([...procs].map((p) => p.stop(3000)));
      procs.clear();
      for (const ns of own) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          // already gone
        }
        liveNamespaces.delete(ns);
      }
      own.clear();
      hosts.clear();
    },
  };
  return net;
}

/**
 * Capture with dumpcap (classic pcap, Ethernet on a bridge) on iface inside ns
 * until the returned Proc is stopped (SIGINT makes dumpcap flush and close).
 * Capture a whole Net on its switch: `capture(sw.ns, 'br0', file)`.
 */
export async function capture(ns: string | null, iface: string, file: string, filter?: string): Promise<Proc> {
  const args = ['-q', '-P', '-i', iface, '-w', file, ...(filter ? ['-f', filter] : [])];
  const p = spawnIn(ns, 'dumpcap', args, { stopSignal: 'SIGINT' });
  const deadline = Date.now() + 10_000;
  // dumpcap writes the file header once it captures: then nothing is missed
  while (Date.now() < deadline) {
    try {
      if (statSync(file).size > 0) {
        await sleep(200);
        // dumpcap reads the kernel's packet ring in blocks that are handed
        // over after a timeout; a SIGINT right after the last packet loses
        // the open block, so give it time to be delivered first
        return { ...p, output: p.output, stop: async (graceMs?: number) => { await sleep(1200); await p.stop(graceMs); } };
      }
    } catch {
      // not created yet
    }
    await sleep(50);
  }
  await p.stop();
  throw new Error(`dumpcap did not start on ${ns ?? 'local'}/${iface}: ${p.output().slice(-1000)}`);
}
