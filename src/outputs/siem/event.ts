/**
 * What the SIEM outputs forward: one alert transition. Metadata only (rule,
 * addresses, zones, AE titles, counts); never PHI, never payload bytes.
 */
import type { Severity } from '../../core/severity.ts';

export type AlertState = 'open' | 'active' | 'resolved';

export interface SiemEvent {
  /** Idempotency key: the same transition always gets the same id, so receivers can de-duplicate redeliveries. */
  id: string;
  /** Epoch milliseconds. */
  ts: number;
  /** "alert.open", "alert.active", "alert.resolved", "alert.suppressed". */
  kind: string;
  rule: string;
  severity: Severity;
  state: AlertState;
  title: string;
  /** What it is about: a flow key, an address, a conduit. */
  subject: string;
  site?: string;
  zone?: string;
  process?: string;
  /** Flow endpoints, when the alert is about one flow (CEF src/dst/dpt). */
  src?: string;
  dst?: string;
  dport?: number;
  transport?: string;
  evidence: Record<string, unknown>;
}

/** A destination for events. `send` queues and returns; delivery problems are counted, never thrown at the monitor. */
export interface Sink {
  readonly name: string;
  send(ev: SiemEvent): void;
  /** Waits until everything queued was delivered or given up on. */
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  readonly stats: SinkStats;
}

export interface SinkStats {
  sent: number;
  failed: number;
  dropped: number;
  queued: number;
}

export function newSinkStats(): SinkStats {
  return { sent: 0, failed: 0, dropped: 0, queued: 0 };
}

/** Splits "src>dst/tcp/104/dicom" flow keys into CEF/syslog endpoint fields. */
export function flowEndpoints(subject: string): Pick<SiemEvent, 'src' | 'dst' | 'dport' | 'transport'> {
  const m = /^([^>]+)>([^/]+)\/([a-z]+)\/(\d+)\//.exec(subject);
  if (!m) return {};
  return { src: m[1], dst: m[2], transport: m[3], dport: Number(m[4]) };
}
