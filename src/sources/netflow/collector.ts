/**
 * A live NetFlow/IPFIX collector on a UDP socket: the decoder with one
 * long-lived template cache, templates expired when exporters stop refreshing
 * them. The monitor builds on this; `discover` reads files instead.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
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
}

export class NetflowCollector {
  readonly decoder: NetflowDecoder;
  readonly cache: TemplateCache;
  readonly #sock: Socket;
  readonly #opts: CollectorOptions;
  #timer: NodeJS.Timeout | undefined;
  #port = 0;

  constructor(opts: CollectorOptions) {
    this.#opts = opts;
    this.cache = new TemplateCache();
    this.cache.onExpire = opts.onExpire;
    this.decoder = new NetflowDecoder(opts, { cache: this.cache });
    this.decoder.file = 'udp';
    this.#sock = createSocket(isIPv6(opts.host ?? '127.0.0.1') ? 'udp6' : 'udp4');
    this.#sock.on('message', (msg, rinfo) => {
      this.decoder.decode(msg, rinfo.address, Date.now());
    });
  }

  /** Binds and starts the expiry timer; resolves once datagrams can arrive. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#sock.once('error', reject);
      this.#sock.bind(this.#opts.port, this.#opts.host ?? '127.0.0.1', () => {
        this.#sock.off('error', reject);
        resolve();
      });
    });
    if (this.#opts.receiveBufferSize) this.#sock.setRecvBufferSize(this.#opts.receiveBufferSize);
    this.#port = this.#sock.address().port;
    const timeout = this.#opts.templateTimeoutMs ?? 30 * 60_000;
    this.#timer = setInterval(() => this.cache.expire(Date.now(), timeout), Math.min(60_000, Math.max(1000, timeout / 4)));
    this.#timer.unref();
  }

  get port(): number {
    return this.#port;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await new Promise<void>((r) => this.#sock.close(() => r()));
  }
}
