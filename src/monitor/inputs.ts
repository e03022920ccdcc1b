/**
 * The live inputs shared by the monitor and the sensor: NetFlow/IPFIX on UDP
 * (the flows collector: templates per exporter and domain, expiry), Zeek log
 * directories tailed across rotation, a capture stream on stdin or from an
 * interface (through tcpdump or dumpcap, see capture-tool.ts). All of them
 * feed one EdgeWindow. The Zeek tailers' positions are what a restart resumes
 * from: `checkpoint()` snapshots them when a window is taken.
 */
import type { Readable } from 'node:stream';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../core/errors.ts';
import { NetflowCollector } from '../sources/netflow/index.ts';
import { LiveCapture, type CaptureSpec } from './capture-tool.ts';
import type { WindowCheckpoint } from './engine.ts';
import type { Logger } from './log.ts';
import type { MonitorMetrics } from './metrics.ts';
import { PcapInput } from './pcap-input.ts';
import type { EdgeWindow } from './window.ts';
import { saveTailPositions } from './tail-store.ts';
import { ZeekTailer, type TailPosition } from './zeek-tail.ts';

export interface InputSpec {
  /** UDP port for NetFlow/IPFIX (0: any free port). */
  netflowPort?: number;
  netflowHost?: string;
  templateTimeoutMs?: number;
  zeekDirs?: string[];
  /** Committed tail positions by input key (zeekInputKey): the tailers resume there. */
  tailPositions?: ReadonlyMap<string, TailPosition>;
  /** A capture stream: stdin for "--pcap -". */
  pcap?: Readable;
  /** Live capture from an interface (exclusive with pcap). */
  capture?: CaptureSpec;
}

export class LiveInputs {
  collector: NetflowCollector | undefined;
  readonly tailers: ZeekTailer[] = [];
  pcap: PcapInput | undefined;
  capture: LiveCapture | undefined;
  /** Resolves with the reason when the capture tool stops without being asked to. */
  captureLost: Promise<string> | undefined;
  #pcapDone: Promise<void> | undefined;
  #pcapStream: Readable | undefined;
  readonly #window: EdgeWindow;
  readonly #metrics: MonitorMetrics;
  readonly #log: Logger | undefined;

  constructor(window: EdgeWindow, metrics: MonitorMetrics, log?: Logger) {
    this.#window = window;
    this.#metrics = metrics;
    this.#log = log;
  }

  static validate(s: InputSpec): void {
    if (s.pcap && s.capture) throw new InputError('--pcap - and --interface are one capture input each: give one of them');
    for (const d of s.zeekDirs ?? []) {
      if (!existsSync(d) || !statSync(d).isDirectory()) throw new InputError(`--zeek: ${d} is not a directory`, { location: { file: d }, hint: 'give the Zeek log directory that holds conn.log' });
    }
    if (s.netflowPort !== undefined && !(Number.isInteger(s.netflowPort) && s.netflowPort >= 0 && s.netflowPort < 65536)) {
      throw new InputError(`--netflow: '${s.netflowPort}' is not a UDP port`);
    }
  }

  async start(s: InputSpec): Promise<void> {
    LiveInputs.validate(s);
    const w = this.#window;
    const m = this.#metrics;
    // First: of all inputs the capture tool is the likeliest to refuse (interface, permission).
    if (s.capture) {
      const cap = await LiveCapture.start(s.capture);
      this.capture = cap;
      this.#log?.info({ interface: cap.iface, tool: cap.tool.path, pid: cap.proc.pid, snaplen: s.capture.snaplen, bpf: s.capture.bpf }, 'capturing from interface');
      this.captureLost = cap.exited.then((e) => {
        if (e.requested) return new Promise<string>(() => undefined);
        const why = `${cap.tool.name} exited (${e.signal ?? `code ${e.code}`})${cap.stderr ? `: ${cap.stderr}` : ''}`;
        this.#log?.error({ interface: cap.iface, reason: why }, 'capture from interface ended');
        return why;
      });
      this.#startPcap(cap.iface, cap.stream);
    }
    if (s.netflowPort !== undefined) {
      this.collector = new NetflowCollector({
        port: s.netflowPort, host: s.netflowHost, templateTimeoutMs: s.templateTimeoutMs, receiveBufferSize: 32 * 1024 * 1024,
        onRecord(r) {
          m.records++;
          w.record(r);
        },
        onExpire: (e) => this.#log?.info({ exporter: e.exporter, domain: e.domain, template: e.templateId }, 'template expired'),
      });
      try {
        await this.collector.start();
      } catch (err) {
        throw new InputError(`--netflow: cannot listen on UDP ${s.netflowHost ?? '127.0.0.1'}:${s.netflowPort}: ${(err as Error).message}`, { cause: err });
      }
      this.#log?.info({ port: this.collector.port, host: s.netflowHost ?? '127.0.0.1' }, 'NetFlow/IPFIX collector listening');
    }
    for (const d of s.zeekDirs ?? []) {
      const at = s.tailPositions?.get(zeekInputKey(d));
      const t = new ZeekTailer(d, (c) => {
        m.records++;
        m.zeekLines++;
        w.conn(c);
      }, { resume: at });
      t.start();
      this.tailers.push(t);
      if (t.resume === 'stale') this.#log?.warn({ dir: d, file: at?.file, offset: at?.offset }, 'the file of the stored Zeek position is gone or was replaced; lines it had after that offset were not read; starting conn.log from its beginning');
      this.#log?.info({ dir: d, resume: t.resume, offset: at && t.resume !== 'stale' ? at.offset : undefined }, 'tailing Zeek conn.log');
    }
    if (s.pcap) this.#startPcap('stdin', s.pcap);
  }

  #startPcap(name: string, stream: Readable): void {
    const p = new PcapInput(name);
    this.pcap = p;
    this.#pcapStream = stream;
    this.#pcapDone = p.run(stream).catch((err: unknown) => {
      this.#log?.error({ err: (err as Error).message }, 'capture stream failed');
    }).finally(() => this.#log?.info({ input: name, packets: p.packets, warnings: p.warnings.length ? p.warnings : undefined }, 'capture stream ended'));
  }

  /**
   * The tailers' positions as of now (call it when the window is taken): the
   * write that commits them with that window; undefined without tailers.
   */
  checkpoint(): WindowCheckpoint | undefined {
    const rows: Array<[string, TailPosition]> = [];
    for (const t of this.tailers) {
      const p = t.position();
      if (p) rows.push([zeekInputKey(t.dir), p]);
    }
    return rows.length ? (t, site) => saveTailPositions(t, site, rows) : undefined;
  }

  /** Before each window: counters from the decoder, finished pcap connections. */
  sync(): void {
    this.counters();
    if (this.pcap) this.pcap.drainInto(this.#window);
  }

  /** Decoder counters into the metrics (cheap; /metrics calls it). */
  counters(): void {
    const c = this.collector;
    if (c) {
      this.#metrics.datagrams = c.decoder.stats.datagrams;
      const anomalies = c.decoder.anomalies.list().reduce((n, a) => n + a.count, 0);
      this.#metrics.drops = anomalies + c.decoder.stats.missingTemplate + kernelDrops(c.port);
    }
    if (this.pcap) this.#metrics.packets = this.pcap.packets;
  }

  get port(): number | undefined {
    return this.collector?.port;
  }

  /** True when the only input was a finite stream that has ended. */
  get finished(): boolean {
    return !!this.pcap?.done && !this.collector && this.tailers.length === 0;
  }

  async stop(): Promise<void> {
    if (this.collector) await this.collector.stop();
    for (const t of this.tailers) t.stop();
    // The tool flushes and closes its stream on SIGTERM: the packets in flight are read to the end.
    if (this.capture) await this.capture.stop();
    else if (this.pcap && !this.pcap.done) this.#pcapStream?.destroy();
    await this.#pcapDone;
    this.sync();
  }
}

/** The store key of a Zeek directory's tail position: its absolute path. */
export function zeekInputKey(dir: string): string {
  return `zeek:${resolve(dir)}`;
}

/** Datagrams the kernel dropped on our socket (receive buffer full): the last column of /proc/net/udp{,6}; 0 where unavailable. */
export function kernelDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 12 && cols[1].endsWith(hex)) n += Number(cols[cols.length - 1]) || 0;
    }
  }
  return n;
}
