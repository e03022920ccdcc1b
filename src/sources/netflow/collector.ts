/**
 * A live NetFlow/IPFIX collector on a UDP socket: the decoder with one
 * long-lived template cache, templates expired when exporters stop refreshing
 * them. The monitor builds on this; `discover` reads files instead.
 *
 * The socket is read by a worker thread of its own that only copies
 * datagrams into batches and hands them over every few milliseconds. The
 * kernel's receive buffer (capped by net.core.rmem_max, a few MB) holds a
 * fraction of a second of a fast exporter; a window evaluation or a store
 * commit that keeps this thread busy longer than that lost datagrams when the
 * socket was read here. Decoding stays on this thread, in arrival order.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { NetflowDecoder, type DecoderHooks } from './decoder.ts';
import { TemplateCache, type TemplateEvent } from './template.ts';

export interface CollectorOptions extends DecoderHooks {
  /** Address to bind; loopback by default so nothing is exposed by accident. */
  host?: string;
  /** UDP port; 0 picks a free one (see `port`). */
  port: number;
  /** Drop templates not refreshed for this long (RFC 7011 §8.4 suggests a few refresh intervals). Default 30 min. */
  templateTimeoutMs?: number;
  onExpire?(e: TemplateEvent): void;
  /** Receive buffer size asked of the kernel, to ride out bursts. */
  receiveBufferSize?: number;
  /** Datagrams received but not yet decoded, at most (bytes); beyond it the receiver drops and counts. Default 64 MiB. */
  maxQueuedBytes?: number;
}

/** What the receiver thread is started with. */
interface ReceiverConfig {
  wardlineNetflowReceiver: true;
  host: string;
  port: number;
  receiveBufferSize: number;
  maxQueuedBytes: number;
}

/** A run of datagrams in arrival order: `ends[i]` is where datagram i ends in `data`, `from[i]` indexes `exporters`. */
interface Batch {
  data: ArrayBuffer;
  ends: Uint32Array;
  from: Uint16Array;
  exporters: string[];
  /** Receive time of the batch's first datagram (epoch ms). */
  at: number;
  /** Datagrams the receiver dropped since the last batch because too much was queued. */
  dropped: number;
}

type FromReceiver = { kind: 'listening'; port: number } | { kind: 'error'; message: string; code?: string } | { kind: 'batch'; batch: Batch } | { kind: 'closed'; dropped: number };
type ToReceiver = { kind: 'ack'; bytes: number } | { kind: 'close' };

/** Batches are handed over when this full or this old. */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 2;

export class NetflowCollector {
  readonly decoder: NetflowDecoder;
  readonly cache: TemplateCache;
  readonly #opts: CollectorOptions;
  #worker: Worker | undefined;
  #closed: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #port = 0;

  constructor(opts: CollectorOptions) {
    this.#opts = opts;
    this.cache = new TemplateCache();
    this.cache.onExpire = opts.onExpire;
    this.decoder = new NetflowDecoder(opts, { cache: this.cache });
    this.decoder.file = 'udp';
  }

  /** Binds and starts the expiry timer; resolves once datagrams can arrive. */
  async start(): Promise<void> {
    const config: ReceiverConfig = {
      wardlineNetflowReceiver: true, host: this.#opts.host ?? '127.0.0.1', port: this.#opts.port,
      receiveBufferSize: this.#opts.receiveBufferSize ?? 0, maxQueuedBytes: this.#opts.maxQueuedBytes ?? 64 * 1024 * 1024,
    };
    const w = new Worker(new URL(import.meta.url), { workerData: config });
    this.#worker = w;
    let closedWith: (() => void) | undefined;
    this.#closed = new Promise<void>((r) => { closedWith = r; });
    await new Promise<void>((resolve, reject) => {
      w.on('message', (m: FromReceiver) => {
        if (m.kind === 'batch') this.#decode(m.batch);
        else if (m.kind === 'listening') {
          this.#port = m.port;
          resolve();
        } else if (m.kind === 'error') {
          reject(Object.assign(new Error(m.message), { code: m.code }));
          void w.terminate();
        } else {
          this.#noteDropped(m.dropped);
          closedWith?.();
        }
      });
      w.once('error', reject);
      w.once('exit', () => {
        reject(new Error('the NetFlow receiver thread exited'));
        closedWith?.();
      });
    });
    const timeout = this.#opts.templateTimeoutMs ?? 30 * 60_000;
    this.#timer = setInterval(() => this.cache.expire(Date.now(), timeout), Math.min(60_000, Math.max(1000, timeout / 4)));
    this.#timer.unref();
  }

  #decode(b: Batch): void {
    const data = new Uint8Array(b.data);
    let start = 0;
    for (let i = 0; i < b.ends.length; i++) {
      const end = b.ends[i];
      this.decoder.decode(data.subarray(start, end), b.exporters[b.from[i]], b.at);
      start = end;
    }
    this.#noteDropped(b.dropped);
    this.#worker?.postMessage({ kind: 'ack', bytes: start } satisfies ToReceiver);
  }

  #noteDropped(n: number): void {
    for (let i = 0; i < n; i++) this.decoder.anomalies.add('netflow.queue-overflow', 'datagram dropped: more than the receive queue limit was waiting to be decoded', 'udp');
  }

  get port(): number {
    return this.#port;
  }

  /** Closes the socket; every datagram received before is decoded when this resolves. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const w = this.#worker;
    if (!w) return;
    this.#worker = undefined;
    w.postMessage({ kind: 'close' } satisfies ToReceiver);
    await this.#closed;
    await w.terminate();
  }
}

/** The receiver thread: reads the socket, batches, hands over; drops (and says so) when the decoder is too far behind. */
function receive(c: ReceiverConfig, port: NonNullable<typeof parentPort>): void {
  const post = (m: FromReceiver, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const sock = createSocket(isIPv6(c.host) ? 'udp6' : 'udp4');
  let data = new Uint8Array(new ArrayBuffer(BATCH_BYTES));
  let off = 0;
  let ends: number[] = [];
  let from: number[] = [];
  let exporters: string[] = [];
  // Exporters are few: their addresses travel once per batch, each datagram names one by number.
  let exporterNo = new Map<string, number>();
  let at = 0;
  let queued = 0;
  let dropped = 0;
  // Armed by the first datagram of a batch: an idle receiver does not wake up.
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (ends.length === 0 && dropped === 0) return;
    // A full buffer is handed over as it is; a slow trickle is copied out so the buffer can be reused.
    const full = off >= BATCH_BYTES / 4;
    const batch: Batch = { data: full ? data.buffer : data.slice(0, off).buffer, ends: Uint32Array.from(ends), from: Uint16Array.from(from), exporters, at, dropped };
    post({ kind: 'batch', batch }, [batch.data, batch.ends.buffer as ArrayBuffer, batch.from.buffer as ArrayBuffer]);
    queued += off;
    if (full) data = new Uint8Array(new ArrayBuffer(BATCH_BYTES));
    off = 0;
    ends = [];
    from = [];
    exporters = [];
    exporterNo = new Map();
    dropped = 0;
  };
  sock.on('message', (msg, rinfo) => {
    if (queued + off + msg.length > c.maxQueuedBytes) {
      dropped++;
      timer ??= setTimeout(flush, BATCH_MS);
      return;
    }
    if (off + msg.length > data.length || exporters.length >= 65535) flush();
    if (ends.length === 0) {
      at = Date.now();
      timer ??= setTimeout(flush, BATCH_MS);
    }
    data.set(msg, off);
    off += msg.length;
    ends.push(off);
    let n = exporterNo.get(rinfo.address);
    if (n === undefined) {
      n = exporters.push(rinfo.address) - 1;
      exporterNo.set(rinfo.address, n);
    }
    from.push(n);
  });
  port.on('message', (m: ToReceiver) => {
    if (m.kind === 'ack') queued -= m.bytes;
    else {
      // Datagrams the same poll found readable are read first.
      setImmediate(() => sock.close(() => {
        flush();
        post({ kind: 'closed', dropped: 0 });
        port.close();
      }));
    }
  });
  sock.once('error', (err: NodeJS.ErrnoException) => {
    post({ kind: 'error', message: err.message, code: err.code });
    if (timer) clearTimeout(timer);
    port.close();
  });
  sock.bind(c.port, c.host, () => {
    if (c.receiveBufferSize) sock.setRecvBufferSize(c.receiveBufferSize);
    post({ kind: 'listening', port: sock.address().port });
  });
}

if (parentPort && (workerData as ReceiverConfig | undefined)?.wardlineNetflowReceiver) receive(workerData as ReceiverConfig, parentPort);
