/**
 * A central worker: pulls sensor batches from the shared durable consumer,
 * commits each through the engine (batch id, edge totals, alerts and events
 * in one transaction) and acknowledges only after the commit. A batch whose
 * id was committed before (redelivered after a worker died between commit
 * and ack) is acknowledged without effect. Malformed messages are
 * terminated (never redelivered) and counted as drops.
 */
import type { ConsumerMessages, NatsConnection } from 'nats';
import type { MonitorEngine } from '../engine.ts';
import type { Logger } from '../log.ts';
import { batchId, decodeBatch } from './batch.ts';
import { STREAM, ensureConsumer, ensureStream } from './nats.ts';

/** Deliveries of one batch before it is terminated (a store outage of ~10 minutes at the capped backoff). */
const MAX_DELIVERIES = 25;

export interface ConsumerHandle {
  readonly closed: boolean;
  stop(): Promise<void>;
}

export async function runConsumer(nc: NatsConnection, engine: MonitorEngine, o: { durable: string; ackWaitMs: number; log?: Logger; replicas?: number }): Promise<ConsumerHandle> {
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, o.replicas ?? 1);
  await ensureConsumer(jsm, o.durable, o.ackWaitMs);
  const consumer = await nc.jetstream().consumers.get(STREAM, o.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });
  let closed = false;
  let connected = true;
  void nc.closed().then(() => { closed = true; });
  // Health follows the connection: down while the client is reconnecting to the cluster.
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false;
        o.log?.warn({ server: String(s.data) }, 'NATS disconnected; reconnecting');
      } else if (s.type === 'reconnect') {
        connected = true;
        o.log?.info({ server: String(s.data) }, 'NATS reconnected');
      }
    }
  })().catch(() => undefined);
  const lag = setInterval(() => {
    consumer.info(true).then((i) => { engine.metrics.pending = i.num_pending + i.num_ack_pending; }, () => undefined);
  }, 2000);
  lag.unref();
  const loop = (async () => {
    for await (const m of messages) {
      let decoded;
      try {
        decoded = decodeBatch(m.data);
      } catch (err) {
        engine.metrics.drops++;
        o.log?.warn({ subject: m.subject, seq: m.seq, err: (err as Error).message }, 'malformed batch terminated');
        m.term();
        continue;
      }
      const { batch, edges, hosts, dropped } = decoded;
      if (dropped > 0) {
        engine.metrics.drops += dropped;
        o.log?.warn({ batch: batchId(batch), dropped }, 'malformed edges, hosts or facts dropped from a batch');
      }
      try {
        engine.metrics.records += batch.records;
        const r = await engine.processBatch(edges, hosts, { id: batchId(batch), site: batch.site, seq: batch.seq, records: batch.records });
        // The commit is done: from here a crash means redelivery, which the batch id turns into a no-op.
        m.ack();
        if (!r.fresh) o.log?.info({ batch: batchId(batch) }, 'redelivered batch was already committed');
      } catch (err) {
        engine.metrics.records -= batch.records;
        if (m.info.redeliveryCount >= MAX_DELIVERIES) {
          // A batch the store keeps refusing would block nothing (other batches flow) but retry forever: give up on it, loudly.
          engine.metrics.drops++;
          o.log?.error({ batch: batchId(batch), deliveries: m.info.redeliveryCount, err: (err as Error).message }, 'batch failed repeatedly; terminated');
          m.term();
        } else {
          o.log?.error({ batch: batchId(batch), err: (err as Error).message }, 'batch not committed; will be redelivered');
          m.nak(Math.min(30_000, 1000 * 2 ** Math.min(5, m.info.redeliveryCount)));
        }
      }
    }
  })();
  return {
    get closed() {
      return closed || !connected;
    },
    async stop() {
      clearInterval(lag);
      messages.stop();
      await loop.catch(() => undefined);
    },
  };
}
