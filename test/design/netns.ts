/**
 * A router namespace with one point-to-point veth per host namespace: each
 * host keeps its real model address (/32) and routes everything through the
 * router, so the router's forward hook sees every cross-zone flow, exactly
 * where a zone firewall sits. Names carry the `wl-design-` prefix.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export const PREFIX = 'wl-design-';
const GW = '169.254.77.1';

export interface Host {
  name: string;
  address: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Removes namespaces left over from an interrupted run of the same test (its own tag only). */
export function cleanupStale(prefix: string): void {
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name.startsWith(prefix)) {
      try { ip('netns', 'del', name); } catch { /* already gone */ }
    }
  }
}

/**
 * Each test file passes its own tag, so test files running in parallel
 * never touch each other's namespaces.
 */
export class Topology {
  readonly prefix: string;
  readonly router: string;
  private readonly tag: string;
  readonly hosts: Host[];
  private readonly children: ChildProcess[] = [];

  constructor(tag: string, hosts: Host[]) {
    this.tag = tag;
    this.prefix = `${PREFIX}${tag}-`;
    this.router = `${this.prefix}rt`;
    this.hosts = hosts;
  }

  nsName(host: string): string {
    return `${this.prefix}${host}`;
  }

  build(): void {
    cleanupStale(this.prefix);
    ip('netns', 'add', this.router);
    this.exec(this.router, 'ip', 'link', 'set', 'lo', 'up');
    this.exec(this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    this.hosts.forEach((h, i) => {
      const ns = this.nsName(h.name);
      // Interface names carry the tag too: parallel test files must not collide.
      const r = `wd${this.tag}r${i}`;
      const l = `wd${this.tag}h${i}`;
      ip('netns', 'add', ns);
      ip('link', 'add', r, 'netns', this.router, 'type', 'veth', 'peer', 'name', l, 'netns', ns);
      this.exec(ns, 'ip', 'link', 'set', 'lo', 'up');
      this.exec(ns, 'ip', 'addr', 'add', `${h.address}/32`, 'dev', l);
      this.exec(ns, 'ip', 'link', 'set', l, 'up');
      this.exec(ns, 'ip', 'route', 'add', GW, 'dev', l);
      this.exec(ns, 'ip', 'route', 'add', 'default', 'via', GW, 'dev', l, 'onlink');
      this.exec(this.router, 'ip', 'addr', 'add', `${GW}/32`, 'dev', r);
      this.exec(this.router, 'ip', 'link', 'set', r, 'up');
      this.exec(this.router, 'ip', 'route', 'add', `${h.address}/32`, 'dev', r);
    });
  }

  exec(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  }

  execInput(ns: string, input: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** A long-running process in a host namespace, stopped by teardown. */
  background(host: string, cmd: string, ...args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', this.nsName(host), cmd, ...args], { stdio: 'ignore' });
    this.children.push(c);
    return c;
  }

  /**
   * Waits until every listed port listens in its host namespace: a loaded
   * machine may take seconds to start dozens of listeners, and a probe sent
   * before that would blame the firewall for a missing listener.
   */
  async waitListening(want: Array<{ host: string; port: number; udp?: boolean }>, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let missing = want;
    while (missing.length) {
      const byHost = new Map<string, string>();
      for (const w of missing) {
        if (!byHost.has(w.host)) byHost.set(w.host, this.exec(this.nsName(w.host), 'ss', '-Hlntu'));
      }
      missing = missing.filter((w) => !new RegExp(`^${w.udp ? 'udp' : 'tcp'}\\s.*:${w.port}\\s`, 'm').test(byHost.get(w.host)!));
      if (!missing.length) return;
      if (Date.now() > deadline) throw new Error(`listeners not up: ${missing.map((m) => `${m.host}:${m.port}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs a command in a host namespace; resolves with its exit code (never rejects). */
  run(host: string, cmd: string, args: string[], input?: string, timeoutMs = 8000): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
      const c = spawn('ip', ['netns', 'exec', this.nsName(host), cmd, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let out = '';
      c.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
      c.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
      const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
      c.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, stdout: out }); });
      if (c.stdin) {
        // The probe may exit before reading its input (a refused connection): that is a result, not an error.
        c.stdin.on('error', () => {});
        c.stdin.end(input);
      }
    });
  }

  teardown(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const h of this.hosts) {
      try { ip('netns', 'del', this.nsName(h.name)); } catch { /* gone */ }
    }
    try { ip('netns', 'del', this.router); } catch { /* gone */ }
  }
}
