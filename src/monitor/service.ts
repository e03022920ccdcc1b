/**
 * The long-running monitor: live inputs and/or a JetStream consumer feeding
 * the engine, a window timer, /healthz and /metrics, graceful stop (inputs
 * closed, the last window evaluated, outputs flushed, store closed).
 */
import type { Readable } from 'node:stream';
import type { NatsConnection } from 'nats';
import type { SiteModel } from '../model/types.ts';
import type { Sink } from '../outputs/siem/event.ts';
import type { Db } from '../store/db.ts';
import type { CaptureSpec } from './capture-tool.ts';
import { MonitorEngine, type WindowOutcome } from './engine.ts';
import { startHealthServer } from './health.ts';
import { LiveInputs } from './inputs.ts';
import type { Logger } from './log.ts';
import { renderMetrics } from './metrics.ts';
import { runConsumer, type ConsumerHandle } from './scale/consumer.ts';
import { loadTailPositions } from './tail-store.ts';

export interface MonitorOptions {
  db: Db;
  model?: SiteModel;
  sinks?: Sink[];
  log?: Logger;
  site?: string;
  windowMs?: number;
  resolveAfterMs?: number;
  learnFirstWindow?: boolean;
  netflowPort?: number;
  netflowHost?: string;
  templateTimeoutMs?: number;
  zeekDirs?: string[];
  pcap?: Readable;
  /** Live capture from an interface through tcpdump or dumpcap. */
  capture?: CaptureSpec;
  /** Consume sensor batches from JetStream. */
  nats?: NatsConnection;
  queue?: string;
  ackWaitMs?: number;
  replicas?: number;
  healthPort?: number;
  healthHost?: string;
  onWindow?(r: WindowOutcome): void;
}

export class MonitorService {
  readonly engine: MonitorEngine;
  readonly inputs: LiveInputs;
  readonly #o: MonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #health: { port: number; close(): Promise<void> } | undefined;
  #consumer: ConsumerHandle | undefined;
  #stopping: Promise<void> | undefined;
  #lastError: string | undefined;

  constructor(o: MonitorOptions) {
    this.#o = o;
    this.engine = new MonitorEngine({
      db: o.db, model: o.model, sinks: o.sinks, site: o.site, log: o.log, resolveAfterMs: o.resolveAfterMs, learnFirstWindow: o.learnFirstWindow,
    });
    this.inputs = new LiveInputs(this.engine.window, this.engine.metrics, o.log);
  }

  async start(): Promise<void> {
    const o = this.#o;
    // Tailed logs resume after what was committed; each window commits their positions with its edges.
    const tailPositions = o.zeekDirs?.length ? await loadTailPositions(o.db, o.site ?? '') : undefined;
    await this.inputs.start({ netflowPort: o.netflowPort, netflowHost: o.netflowHost, templateTimeoutMs: o.templateTimeoutMs, zeekDirs: o.zeekDirs, tailPositions, pcap: o.pcap, capture: o.capture });
    this.engine.checkpoint = () => this.inputs.checkpoint();
    if (o.nats) {
      this.#consumer = await runConsumer(o.nats, this.engine, { durable: o.queue ?? 'workers', ackWaitMs: o.ackWaitMs ?? 30_000, log: o.log, replicas: o.replicas });
    }
    if (o.healthPort !== undefined) {
      this.#health = await startHealthServer(o.healthPort, {
        healthy: () => this.#healthy(),
        metrics: () => {
          this.inputs.counters();
          return renderMetrics(this.engine.metrics, { sink_drops: this.engine.sinkDrops(), templates: this.inputs.collector?.cache.size ?? 0 });
        },
      }, o.healthHost);
      o.log?.info({ port: this.#health.port }, 'health and metrics listening');
    }
    const every = o.windowMs ?? 10_000;
    this.#timer = setInterval(() => void this.tick(), every);
  }

  #healthy(): { ok: boolean; detail: Record<string, unknown> } {
    const every = this.#o.windowMs ?? 10_000;
    const last = this.engine.lastWindowAt;
    // Unhealthy when windows stopped completing (store down, event loop stuck) or the consumer lost NATS.
    const stale = last > 0 && Date.now() - last > 3 * every + 5000;
    const natsDown = this.#consumer ? this.#consumer.closed : false;
    return {
      ok: !stale && !natsDown && !this.#lastError,
      detail: { windows: this.engine.metrics.windows, records: this.engine.metrics.records, lastWindow: last ? new Date(last).toISOString() : null, nats: this.#consumer ? (natsDown ? 'down' : 'up') : undefined, error: this.#lastError },
    };
  }

  get healthPort(): number | undefined {
    return this.#health?.port;
  }

  get netflowPort(): number | undefined {
    return this.inputs.port;
  }

  /** One window now; the timer calls this. */
  async tick(now = Date.now()): Promise<WindowOutcome | undefined> {
    this.inputs.sync();
    try {
      const r = await this.engine.evaluateWindow(now);
      this.#lastError = undefined;
      this.#o.onWindow?.(r);
      return r;
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.#o.log?.error({ err: this.#lastError }, 'window evaluation failed; records of this window are lost');
      return undefined;
    }
  }

  /** Graceful: stop taking input, evaluate what is left, flush outputs, close. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#timer) clearInterval(this.#timer);
      await this.inputs.stop();
      if (this.#consumer) await this.#consumer.stop();
      await this.tick();
      await this.engine.drain();
      await this.engine.closeSinks();
      if (this.#health) await this.#health.close();
      this.#o.log?.info({ records: this.engine.metrics.records, windows: this.engine.metrics.windows, events: this.engine.metrics.eventsStored }, 'monitor stopped');
    })();
    return this.#stopping;
  }
}
