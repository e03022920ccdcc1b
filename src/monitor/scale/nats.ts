/**
 * The JetStream side of scale-out: one stream (WARDLINE_OBS, subjects
 * wardline.obs.<site>) replicated across the cluster, file storage, a
 * duplicate window so a sensor's retried publish of the same batch id is
 * stored once; and one durable pull consumer that every central worker
 * shares, so each batch goes to one worker at a time and is redelivered to
 * another if that worker dies before acknowledging.
 */
import { AckPolicy, DeliverPolicy, StorageType, connect, nanos, type JetStreamManager, type NatsConnection } from 'nats';
import { InputError } from '../../core/errors.ts';

export const STREAM = 'WARDLINE_OBS';
export const SUBJECT_PREFIX = 'wardline.obs';

export function subjectFor(site: string): string {
  return `${SUBJECT_PREFIX}.${site}`;
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  const servers = url.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of servers) if (!/^(nats|tls):\/\/[^/]+$/.test(s) && !/^[^/:]+:\d+$/.test(s)) throw new InputError(`--nats: '${s}' is not a NATS server URL`, { hint: 'e.g. nats://127.0.0.1:4222 (comma-separate several cluster members)' });
  try {
    return await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 5000 });
  } catch (err) {
    throw new InputError(`cannot connect to NATS at ${servers.join(', ')}: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates the stream when missing (replicas = min(3, cluster size) is the operator's choice: pass it). */
export async function ensureStream(jsm: JetStreamManager, replicas = 1): Promise<void> {
  try {
    await jsm.streams.info(STREAM);
    return;
  } catch {
    // not there yet
  }
  try {
    await jsm.streams.add({
      name: STREAM, subjects: [`${SUBJECT_PREFIX}.>`], storage: StorageType.File, num_replicas: replicas,
      duplicate_window: nanos(10 * 60_000), max_age: nanos(7 * 24 * 3600_000),
    });
  } catch (err) {
    // Another sensor or worker created it first.
    if (!/already in use|exists/i.test((err as Error).message)) throw err;
  }
}

export async function ensureConsumer(jsm: JetStreamManager, durable: string, ackWaitMs: number): Promise<void> {
  try {
    await jsm.consumers.info(STREAM, durable);
    return;
  } catch {
    // not there yet
  }
  try {
    await jsm.consumers.add(STREAM, {
      durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(ackWaitMs), max_ack_pending: 1000,
    });
  } catch (err) {
    if (!/already in use|exists/i.test((err as Error).message)) throw err;
  }
}
