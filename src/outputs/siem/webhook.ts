/**
 * Webhooks: each event POSTed as JSON, retried with exponential backoff and
 * jitter on network errors, 429 and 5xx (honouring Retry-After); 4xx other
 * than 408/429 are final. The event id goes in Idempotency-Key so that a
 * receiver can drop the duplicate a retry after a lost response makes.
 */
import { InputError } from '../../core/errors.ts';
import { newSinkStats, type SiemEvent, type Sink, type SinkStats } from './event.ts';

export interface WebhookOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Parallel deliveries. */
  concurrency?: number;
  maxQueue?: number;
  headers?: Record<string, string>;
}

export function parseWebhookUrl(spec: string): URL {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new InputError(`--webhook: '${spec}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError(`--webhook: unsupported scheme ${u.protocol}`, { hint: 'use http:// or https://' });
  return u;
}

export class WebhookSink implements Sink {
  readonly name: string;
  readonly stats: SinkStats & { retries: number } = { ...newSinkStats(), retries: 0 };
  readonly #url: URL;
  readonly #o: Required<Omit<WebhookOptions, 'headers'>> & { headers: Record<string, string> };
  #queue: SiemEvent[] = [];
  #active = 0;
  #closed = false;
  #waiters: Array<() => void> = [];
  readonly #abort = new AbortController();

  constructor(url: URL, o: WebhookOptions = {}) {
    this.#url = url;
    this.name = `webhook ${url.origin}${url.pathname}`;
    this.#o = {
      attempts: o.attempts ?? 6, baseDelayMs: o.baseDelayMs ?? 500, maxDelayMs: o.maxDelayMs ?? 30_000,
      timeoutMs: o.timeoutMs ?? 10_000, concurrency: o.concurrency ?? 2, maxQueue: o.maxQueue ?? 10_000, headers: o.headers ?? {},
    };
  }

  send(ev: SiemEvent): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#o.maxQueue) {
      this.#queue.shift();
      this.stats.dropped++;
    }
    this.#queue.push(ev);
    this.stats.queued = this.#queue.length;
    this.#pump();
  }

  #pump(): void {
    while (this.#active < this.#o.concurrency && this.#queue.length > 0) {
      const ev = this.#queue.shift()!;
      this.stats.queued = this.#queue.length;
      this.#active++;
      void this.#deliver(ev).finally(() => {
        this.#active--;
        this.#pump();
        if (this.#active === 0 && this.#queue.length === 0) {
          const w = this.#waiters;
          this.#waiters = [];
          for (const f of w) f();
        }
      });
    }
  }

  async #deliver(ev: SiemEvent): Promise<void> {
    const body = JSON.stringify(ev);
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const res = await fetch(this.#url, {
          method: 'POST', body, signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.timeoutMs)]),
          headers: { 'content-type': 'application/json', 'idempotency-key': ev.id, 'user-agent': 'wardline-monitor', ...this.#o.headers },
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent++;
          return;
        }
        if (res.status !== 429 && res.status !== 408 && res.status < 500) {
          this.stats.failed++;
          return;
        }
        const raText = res.headers.get('retry-after');
        const ra = raText === null ? NaN : Number(raText);
        if (Number.isFinite(ra) && ra >= 0) wait = Math.min(ra * 1000, this.#o.maxDelayMs);
      } catch {
        if (this.#abort.signal.aborted) {
          this.stats.failed++;
          return;
        }
      }
      if (attempt >= this.#o.attempts) {
        this.stats.failed++;
        return;
      }
      this.stats.retries++;
      const backoff = Math.min(this.#o.baseDelayMs * 2 ** (attempt - 1), this.#o.maxDelayMs);
      // Full jitter keeps many monitors from retrying in lockstep after a receiver outage.
      const delay = wait ?? backoff / 2 + Math.random() * (backoff / 2);
      await new Promise<void>((r) => setTimeout(r, delay));
    }
  }

  async flush(timeoutMs = 30_000): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    this.#abort.abort();
    this.stats.dropped += this.#queue.length;
    this.#queue = [];
  }
}
