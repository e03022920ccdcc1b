/**
 * Live capture from an interface through a capture tool already on the
 * system: tcpdump, or Wireshark's dumpcap. Both are libpcap programs that
 * write a capture stream to stdout, which the pcap-stream input reads exactly
 * as it reads `tcpdump -i eth1 -w - | wardline monitor --pcap -`. Wardline
 * needs no native code and no capture privilege of its own: the tool's
 * privileges (root, or CAP_NET_RAW/CAP_NET_ADMIN on the tool) apply, and its
 * failures (no such interface, permission, a filter it refuses) become
 * usage errors with the tool's own words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../core/errors.ts';

export type CaptureToolName = 'tcpdump' | 'dumpcap';

export interface CaptureTool {
  name: CaptureToolName;
  path: string;
}

export interface CaptureSpec {
  iface: string;
  /** Bytes kept per packet; the tool's default (the whole packet) when unset. */
  snaplen?: number;
  /** A BPF capture filter, applied in the kernel. */
  bpf?: string;
  /** Which tool; found on PATH (and the sbin directories) when unset. */
  tool?: CaptureTool;
}

/** Where capture tools live even when PATH (of a non-root user, of a service) leaves them out. */
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
/** tcpdump first: its -U writes every packet as it comes; dumpcap hands packets over in ~250 ms blocks. */
const PREFERENCE: readonly CaptureToolName[] = ['tcpdump', 'dumpcap'];

export function findCaptureTool(path = process.env.PATH ?? '', only?: CaptureToolName): CaptureTool | undefined {
  const dirs = [...path.split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const name of only ? [only] : PREFERENCE) {
    for (const d of dirs) {
      const p = join(d, name);
      try {
        if (!statSync(p).isFile()) continue;
        accessSync(p, constants.X_OK);
        return { name, path: p };
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The tool's command line: capture on iface, write the stream to stdout, packet by packet. */
export function captureArgs(tool: CaptureToolName, s: CaptureSpec): string[] {
  const snap = s.snaplen !== undefined ? ['-s', String(s.snaplen)] : [];
  if (tool === 'tcpdump') return ['-i', s.iface, '-U', '-n', '-w', '-', ...snap, ...(s.bpf ? ['--', s.bpf] : [])];
  return ['-i', s.iface, '-q', '-w', '-', ...snap, ...(s.bpf ? ['-f', s.bpf] : [])];
}

/** What each tool prints on stderr once the interface is open and capturing. */
const READY: Record<CaptureToolName, RegExp> = {
  tcpdump: /listening on /,
  dumpcap: /^File: /m,
};

export class LiveCapture {
  readonly tool: CaptureTool;
  readonly iface: string;
  readonly proc: ChildProcess;
  /** The capture stream (pcap from tcpdump, pcapng from dumpcap). */
  readonly stream: Readable;
  /** Resolves when the tool exits: how it ended, and whether we asked it to. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; requested: boolean }>;
  #stderr = '';
  #stopping = false;
  /** Set when the tool could not be started at all (ENOENT, EACCES). */
  #spawnError: Error | undefined;

  private constructor(tool: CaptureTool, iface: string, proc: ChildProcess) {
    this.tool = tool;
    this.iface = iface;
    this.proc = proc;
    this.stream = proc.stdout!;
    proc.stderr!.on('data', (c: Buffer) => {
      // Only the tail is kept: it holds the reason when the tool stops.
      this.#stderr = (this.#stderr + c.toString()).slice(-8192);
    });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal, requested: this.#stopping }));
      proc.once('error', (err) => {
        this.#spawnError = err;
        resolve({ code: null, signal: null, requested: this.#stopping });
      });
    });
  }

  /**
   * Starts the tool and waits until it captures (its ready line on stderr);
   * a tool that exits first fails with an InputError that says why.
   */
  static async start(s: CaptureSpec, opts: { readyTimeoutMs?: number } = {}): Promise<LiveCapture> {
    if (!s.iface || s.iface.startsWith('-') || /[\s/]/.test(s.iface)) throw new InputError(`--interface: '${s.iface}' is not an interface name`, { hint: 'list them with: ip link' });
    const tool = s.tool ?? findCaptureTool();
    if (!tool) {
      throw new InputError('--interface: no capture tool found: live capture runs tcpdump or dumpcap (libpcap), and neither is installed', {
        hint: 'install tcpdump (or Wireshark\'s dumpcap), or pipe a capture from another host into --pcap -',
      });
    }
    const proc = spawn(tool.path, captureArgs(tool.name, s), { stdio: ['ignore', 'pipe', 'pipe'] });
    const cap = new LiveCapture(tool, s.iface, proc);
    let check: (() => void) | undefined;
    const outcome = await new Promise<'ready' | 'exited' | 'timeout'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), opts.readyTimeoutMs ?? 10_000);
      const done = (o: 'ready' | 'exited') => {
        clearTimeout(t);
        resolve(o);
      };
      check = () => {
        if (READY[tool.name].test(cap.#stderr)) done('ready');
      };
      proc.stderr!.on('data', check);
      void cap.exited.then(() => done('exited'));
    });
    proc.stderr!.off('data', check!);
    if (cap.#spawnError) throw spawnFailure(tool, cap.#spawnError);
    if (outcome === 'exited') {
      // 'exit' can come before the last of stderr, which holds the reason.
      await Promise.race([new Promise((r) => proc.stderr!.once('close', r)), new Promise((r) => setTimeout(r, 1000))]);
      throw captureFailure(s, tool, cap.#stderr);
    }
    // 'timeout': the tool runs but printed nothing we know; it is capturing as far as we can tell.
    return cap;
  }

  /** The tool's last words (for logs when it stops by itself). */
  get stderr(): string {
    return summary(this.#stderr);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM (both tools flush and close the stream), SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** The tool's message without its banner and advice: the lines that say what went wrong. */
function summary(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim().replace(/^(tcpdump|dumpcap): /, ''))
    .filter((l) => l && !/^(Capturing on|File: |Packets (captured|received)|\d+ packets? )/.test(l));
  return lines.slice(0, 2).join(' ');
}

function spawnFailure(tool: CaptureTool, err: Error): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(`--interface: permission denied: cannot run ${tool.path}`, { cause: err, hint: 'run the monitor as a user allowed to run the capture tool' });
  }
  return new InputError(`--interface: cannot run ${tool.path}: ${err.message}`, { cause: err });
}

/** A tool that exited before capturing: the user's to fix (interface, permission, filter). */
export function captureFailure(s: CaptureSpec, tool: CaptureTool, stderr: string): InputError {
  const why = summary(stderr) || 'it exited without a message';
  if (/permission|not permitted|EPERM|EACCES|privilege/i.test(stderr)) {
    return new InputError(`--interface ${s.iface}: permission denied to capture (${tool.name}: ${why})`, {
      hint: `run as root, or give the capture tool the capabilities: setcap cap_net_raw,cap_net_admin=eip ${tool.path}`,
    });
  }
  if (/no such device|no device named|doesn't exist|does not exist|not found|SIOCGIF/i.test(stderr)) {
    return new InputError(`--interface: no interface '${s.iface}' (${tool.name}: ${why})`, { hint: 'list the interfaces with: ip link' });
  }
  if (s.bpf && /filter|syntax|parse/i.test(stderr)) {
    return new InputError(`--bpf: ${tool.name} refused the capture filter '${s.bpf}': ${why}`, { hint: 'the filter is pcap-filter(7) syntax, e.g. "tcp port 104 or tcp port 2575"' });
  }
  return new InputError(`--interface ${s.iface}: ${tool.name} could not capture: ${why}`);
}
