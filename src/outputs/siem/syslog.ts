/**
 * RFC 5424 syslog messages, sent over UDP (RFC 5426, one message per
 * datagram), TCP (RFC 6587 octet counting) or TLS (RFC 5425, the same
 * framing). Stream transports reconnect with backoff and keep a bounded
 * queue meanwhile, so a SIEM restart loses nothing short of the bound.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIPv6, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import type { Severity } from '../../core/severity.ts';
import { newSinkStats, type SiemEvent, type Sink, type SinkStats } from './event.ts';

/** IANA private enterprise number used for the structured-data id (wardline@PEN); 32473 is the documentation PEN (RFC 5612). */
export const SD_ID = 'wardline@32473';

const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

/** Facility names of RFC 5424 §6.2.1 that make sense for a security tool. */
const FACILITIES: Record<string, number> = {
  auth: 4, authpriv: 10, audit: 13, alert: 14, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export function facilityCode(name: string): number {
  const f = FACILITIES[name];
  if (f === undefined) throw new InputError(`unknown syslog facility '${name}'`, { hint: `one of ${Object.keys(FACILITIES).join(', ')}` });
  return f;
}

/** SD-PARAM value escaping (RFC 5424 §6.3.3): '"', '\' and ']' get a backslash. */
export function sdEscape(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** PRINTUSASCII without spaces, at most `max` characters ("-" when empty). */
function token(s: string, max: number): string {
  const t = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return t || '-';
}

export interface SyslogFormatOptions {
  facility?: number;
  host?: string;
  app?: string;
  procId?: string;
}

const HOST = hostname();

/** One RFC 5424 message (without transport framing). */
export function formatSyslog(ev: SiemEvent, o: SyslogFormatOptions = {}, msg?: string): string {
  const pri = (o.facility ?? 16) * 8 + SYSLOG_SEVERITY[ev.severity];
  const params: Array<[string, string | number | undefined]> = [
    ['id', ev.id], ['rule', ev.rule], ['severity', ev.severity], ['state', ev.state], ['subject', ev.subject],
    ['site', ev.site], ['zone', ev.zone], ['process', ev.process], ['src', ev.src], ['dst', ev.dst], ['dport', ev.dport], ['transport', ev.transport],
  ];
  const sd = params.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ` ${k}="${sdEscape(String(v))}"`).join('');
  const ts = new Date(ev.ts).toISOString();
  const text = msg ?? `${ev.title}`;
  return `<${pri}>1 ${ts} ${token(o.host ?? HOST, 255)} ${token(o.app ?? 'wardline', 48)} ${token(o.procId ?? String(process.pid), 128)} ${token(ev.kind, 32)} [${SD_ID}${sd}] \uFEFF${text}`;
}

/** RFC 6587 §3.4.1 octet counting: "LEN SP MSG", LEN in bytes. */
export function octetFrame(msg: string): Buffer {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface SyslogTarget {
  proto: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
}

/** "udp://host:port", "tcp://host:port", "tls://host:port" (IPv6 in brackets). */
export function parseSyslogUrl(spec: string, option = '--syslog'): SyslogTarget {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new InputError(`${option}: '${spec}' is not a URL`, { hint: 'e.g. udp://siem.example:514, tcp://siem.example:601, tls://siem.example:6514' });
  }
  const proto = u.protocol.replace(':', '');
  if (proto !== 'udp' && proto !== 'tcp' && proto !== 'tls') throw new InputError(`${option}: unsupported scheme '${proto}'`, { hint: 'use udp://, tcp:// or tls://' });
  const port = u.port ? Number(u.port) : proto === 'tls' ? 6514 : proto === 'tcp' ? 601 : 514;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new InputError(`${option}: '${spec}' names no host`);
  return { proto, host, port };
}

export interface SyslogSinkOptions extends SyslogFormatOptions {
  /** PEM CA bundle to verify a TLS receiver (else the system store). */
  ca?: string;
  /** Accept any TLS certificate: for labs only. */
  insecure?: boolean;
  /** Messages kept while the receiver is away. */
  maxQueue?: number;
  /** Render the message text; CEF uses this to carry its line in the MSG part. */
  render?(ev: SiemEvent): string;
  name?: string;
}

/** UDP datagrams carry at most this much; longer messages are cut (RFC 5426 §3.2 allows truncation). */
const MAX_UDP = 8192;

export class SyslogSink implements Sink {
  readonly name: string;
  readonly stats: SinkStats = newSinkStats();
  readonly #t: SyslogTarget;
  readonly #o: SyslogSinkOptions;
  #udp: UdpSocket | undefined;
  #sock: Socket | undefined;
  #connecting = false;
  #queue: Buffer[] = [];
  #inflight = 0;
  #backoff = 250;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #waiters: Array<() => void> = [];

  constructor(target: SyslogTarget, o: SyslogSinkOptions = {}) {
    this.#t = target;
    this.#o = o;
    this.name = o.name ?? `syslog ${target.proto}://${target.host}:${target.port}`;
  }

  send(ev: SiemEvent): void {
    if (this.#closed) return;
    const msg = formatSyslog(ev, this.#o, this.#o.render?.(ev));
    if (this.#t.proto === 'udp') {
      this.#sendUdp(msg);
      return;
    }
    if (this.#queue.length >= (this.#o.maxQueue ?? 10_000)) {
      this.#queue.shift();
      this.stats.dropped++;
    }
    this.#queue.push(octetFrame(msg));
    this.stats.queued = this.#queue.length;
    this.#pump();
  }

  #sendUdp(msg: string): void {
    if (!this.#udp) {
      this.#udp = createSocket(isIPv6(this.#t.host) ? 'udp6' : 'udp4');
      this.#udp.on('error', () => { this.stats.failed++; });
      this.#udp.unref();
    }
    let b = Buffer.from(msg, 'utf8');
    if (b.length > MAX_UDP) b = b.subarray(0, MAX_UDP);
    this.#inflight++;
    this.#udp.send(b, this.#t.port, this.#t.host, (err) => {
      this.#inflight--;
      if (err) this.stats.failed++;
      else this.stats.sent++;
      this.#wake();
    });
  }

  #connect(): void {
    if (this.#connecting || this.#sock || this.#closed) return;
    this.#connecting = true;
    const onReady = () => {
      this.#connecting = false;
      this.#sock = s;
      this.#backoff = 250;
      this.#pump();
    };
    const s = this.#t.proto === 'tls'
      ? tlsConnect({
        host: this.#t.host, port: this.#t.port, servername: isIPv6(this.#t.host) || /^\d+\.\d+\.\d+\.\d+$/.test(this.#t.host) ? undefined : this.#t.host,
        ca: this.#o.ca ? readFileSync(this.#o.ca) : undefined, rejectUnauthorized: !this.#o.insecure,
      }, onReady)
      : netConnect({ host: this.#t.host, port: this.#t.port }, onReady);
    s.setNoDelay(true);
    s.on('error', () => { this.stats.failed++; });
    s.on('close', () => {
      this.#connecting = false;
      if (this.#sock === s) this.#sock = undefined;
      if (this.#closed) return;
      // Reconnect with exponential backoff while there is something to send.
      if (this.#queue.length > 0 && !this.#timer) {
        this.#timer = setTimeout(() => { this.#timer = undefined; this.#connect(); }, this.#backoff);
        this.#timer.unref();
        this.#backoff = Math.min(this.#backoff * 2, 30_000);
      }
      this.#wake();
    });
  }

  #pump(): void {
    if (!this.#sock) {
      this.#connect();
      return;
    }
    const s = this.#sock;
    while (this.#queue.length > 0) {
      const frame = this.#queue.shift()!;
      this.#inflight++;
      s.write(frame, (err) => {
        this.#inflight--;
        if (err) {
          // The frame may not have reached the receiver: put it back for the next connection.
          this.#queue.unshift(frame);
          this.stats.failed++;
        } else this.stats.sent++;
        this.stats.queued = this.#queue.length;
        this.#wake();
      });
    }
    this.stats.queued = this.#queue.length;
  }

  #wake(): void {
    if (this.#inflight === 0 && (this.#queue.length === 0 || this.#closed)) {
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    }
  }

  async flush(timeoutMs = 5000): Promise<void> {
    if (this.#inflight === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async close(): Promise<void> {
    // Waiting only makes sense while connected (or for UDP sends in flight); a receiver that is away gets nothing more.
    if (this.#sock || this.#t.proto === 'udp') await this.flush();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.stats.dropped += this.#queue.length;
    this.#queue = [];
    const s = this.#sock;
    if (s) await new Promise<void>((r) => { s.once('close', () => r()); s.end(); setTimeout(() => { s.destroy(); r(); }, 1000).unref(); });
    if (this.#udp) this.#udp.close();
  }
}
