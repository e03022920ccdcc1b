/**
 * A site sensor: decodes its inputs locally and publishes one compact
 * observation batch per interval to JetStream (subject wardline.obs.<site>),
 * with the batch id as the message id so a retried publish is stored once.
 * Batches wait in a bounded queue while NATS is unreachable.
 */
import type { NatsConnection } from 'nats';
import { LiveInputs, type InputSpec } from '../inputs.ts';
import type { Logger } from '../log.ts';
import { newMetrics } from '../metrics.ts';
import { EdgeWindow } from '../window.ts';
import { batchId, encodeBatch } from './batch.ts';
import { ensureStream, subjectFor } from './nats.ts';

export interface SensorOptions extends InputSpec {
  site: string;
  nats: NatsConnection;
  intervalMs?: number;
  log?: Logger;
  replicas?: number;
  /** Batches kept while NATS is away. */
  maxQueue?: number;
}

export class Sensor {
  readonly window = new EdgeWindow();
  readonly metrics = newMetrics();
  readonly inputs: LiveInputs;
  readonly instance = String(Date.now());
  readonly #o: SensorOptions;
  #seq = 0;
  #queue: Array<{ id: string; data: Uint8Array }> = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  published = 0;
  publishedRecords = 0;

  constructor(o: SensorOptions) {
    this.#o = o;
    this.inputs = new LiveInputs(this.window, this.metrics, o.log);
  }

  async start(): Promise<void> {
    await ensureStream(await this.#o.nats.jetstreamManager(), this.#o.replicas ?? 1);
    await this.inputs.start(this.#o);
    this.#timer = setInterval(() => void this.flush(), this.#o.intervalMs ?? 5000);
  }

  /** Cuts a batch from what the window holds and publishes everything queued. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      this.inputs.sync();
      const w = this.window.take();
      if (w.edges.length > 0 || w.records > 0) {
        const seq = ++this.#seq;
        const id = batchId({ site: this.#o.site, sensor: this.instance, seq });
        this.#queue.push({ id, data: encodeBatch(this.#o.site, this.instance, seq, w.records, w.edges, w.hosts) });
        this.publishedRecords += w.records;
        if (this.#queue.length > (this.#o.maxQueue ?? 10_000)) {
          this.#queue.shift();
          this.metrics.drops++;
        }
      }
      const js = this.#o.nats.jetstream();
      while (this.#queue.length > 0) {
        const b = this.#queue[0];
        try {
          await js.publish(subjectFor(this.#o.site), b.data, { msgID: b.id, timeout: 5000 });
        } catch (err) {
          this.#o.log?.warn({ batch: b.id, queued: this.#queue.length, err: (err as Error).message }, 'publish failed; batch kept for the next attempt');
          return;
        }
        this.#queue.shift();
        this.published++;
      }
    });
    return this.#flushing;
  }

  get queued(): number {
    return this.#queue.length;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.inputs.stop();
    await this.flush();
  }
}
