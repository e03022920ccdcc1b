import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

/**
 * How a probe connection ended when it did not go as the protocol says.
 * Every wait is bounded by an absolute deadline, and every connection by a
 * byte budget, so a hostile server (RST, garbage, never-ending or slow-drip
 * answers) costs at most the timeout.
 */
export type ProbeFailure = 'refused' | 'unreachable' | 'timeout' | 'reset' | 'closed' | 'garbage' | 'too-much-data' | 'tls-failed';

export class ProbeError extends Error {
  readonly kind: ProbeFailure;
  /** The TCP (and TLS) connection was up: a timeout then means a silent or slow server, not a filtered port. */
  readonly connected: boolean;
  constructor(kind: ProbeFailure, message: string, connected = false) {
    super(message);
    this.kind = kind;
    this.connected = connected;
  }
}

export interface TlsInfo {
  protocol: string;
  cipher: string;
  certificate?: {
    subject: string;
    issuer: string;
    validFrom: string;
    validTo: string;
    selfSigned: boolean;
    expired: boolean;
    notYetValid: boolean;
    keyBits?: number;
    /** EC keys are short by design; the 2048-bit floor applies to RSA. */
    keyType?: 'RSA' | 'EC' | 'other';
  };
  /** The chain verified against the system trust store. */
  authorized: boolean;
  authorizationError?: string;
}

export interface OpenOptions {
  host: string;
  port: number;
  /** Absolute deadline for the whole exchange (Date.now() based). */
  deadline: number;
  tls?: { servername?: string; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string };
  /** Bytes the server may send before the connection is cut (default 1 MiB). */
  maxBytes?: number;
}

/** A scanner must complete a handshake with weak servers to report them: no security-level floor. */
export const SCANNER_CIPHERS = 'DEFAULT:@SECLEVEL=0';

function classify(err: NodeJS.ErrnoException): ProbeError {
  const c = err.code ?? '';
  if (c === 'ECONNREFUSED') return new ProbeError('refused', 'connection refused');
  if (c === 'ECONNRESET' || c === 'EPIPE') return new ProbeError('reset', 'connection reset by peer');
  if (c === 'EHOSTUNREACH' || c === 'ENETUNREACH' || c === 'EADDRNOTAVAIL') return new ProbeError('unreachable', `unreachable (${c})`);
  if (c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS') || /ssl|tls|handshake/i.test(err.message)) return new ProbeError('tls-failed', `TLS handshake failed: ${err.message}`);
  return new ProbeError('reset', err.message);
}

export class ProbeSocket {
  readonly socket: Socket | TLSSocket;
  tls?: TlsInfo;
  /** Bytes received in total. */
  received = 0;
  private buf: Buffer = Buffer.alloc(0);
  private failure?: ProbeError;
  private ended = false;
  private wake?: () => void;
  private readonly maxBytes: number;

  private constructor(socket: Socket | TLSSocket, maxBytes: number) {
    this.socket = socket;
    this.maxBytes = maxBytes;
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      if (this.received > this.maxBytes) {
        this.failure = new ProbeError('too-much-data', `server sent more than ${this.maxBytes} bytes`);
        socket.destroy();
      } else {
        this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      }
      this.wake?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => { this.failure ??= classify(e); this.wake?.(); });
    socket.on('end', () => { this.ended = true; this.wake?.(); });
    socket.on('close', () => { this.ended = true; this.wake?.(); });
  }

  static open(o: OpenOptions): Promise<ProbeSocket> {
    return new Promise((resolve, reject) => {
      const left = o.deadline - Date.now();
      if (left <= 0) { reject(new ProbeError('timeout', 'no time left')); return; }
      const sock = o.tls
        ? tlsConnect({ host: o.host, port: o.port, rejectUnauthorized: false, servername: o.tls.servername, minVersion: o.tls.minVersion, maxVersion: o.tls.maxVersion, ciphers: o.tls.ciphers ?? SCANNER_CIPHERS })
        : netConnect({ host: o.host, port: o.port });
      const timer = setTimeout(() => { sock.destroy(); reject(new ProbeError('timeout', o.tls ? 'no TLS handshake before the timeout' : 'no answer to the connection attempt (filtered?)')); }, left);
      const onError = (e: NodeJS.ErrnoException) => { clearTimeout(timer); sock.destroy(); reject(classify(e)); };
      sock.once('error', onError);
      const onClose = () => { clearTimeout(timer); reject(new ProbeError(o.tls ? 'tls-failed' : 'closed', o.tls ? 'closed during the TLS handshake' : 'closed while connecting')); };
      sock.once('close', onClose);
      sock.once(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        sock.off('error', onError);
        sock.off('close', onClose);
        const ps = new ProbeSocket(sock, o.maxBytes ?? 1 << 20);
        if (o.tls) ps.tls = tlsInfo(sock as TLSSocket);
        resolve(ps);
      });
    });
  }

  write(b: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  /** Exactly n bytes, or a ProbeError. */
  async read(n: number, deadline: number): Promise<Buffer> {
    await this.waitFor(() => this.buf.length >= n, deadline, `waiting for ${n} bytes`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Bytes up to and including `end`, at most `max` long. */
  async readUntil(end: Buffer, max: number, deadline: number): Promise<Buffer> {
    let at = -1;
    await this.waitFor(() => {
      at = this.buf.indexOf(end);
      if (at < 0 && this.buf.length > max) throw new ProbeError('too-much-data', `no end marker within ${max} bytes`);
      return at >= 0;
    }, deadline, 'waiting for the end of a message');
    const out = this.buf.subarray(0, at + end.length);
    this.buf = this.buf.subarray(at + end.length);
    return out;
  }

  private async waitFor(ready: () => boolean, deadline: number, what: string): Promise<void> {
    for (;;) {
      if (ready()) return;
      if (this.failure) throw this.failure;
      if (this.ended) throw new ProbeError('closed', `connection closed by the server while ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ProbeError('timeout', `timed out ${what} (${this.received} bytes received)`, true);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.wake = () => { clearTimeout(t); res(); };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function tlsInfo(s: TLSSocket): TlsInfo {
  const cipher = s.getCipher();
  const info: TlsInfo = { protocol: s.getProtocol() ?? 'unknown', cipher: cipher?.name ?? 'unknown', authorized: s.authorized };
  if (!s.authorized && s.authorizationError) info.authorizationError = String(s.authorizationError);
  const cert = s.getPeerCertificate(false) as PeerCertificate & { bits?: number; asn1Curve?: string; modulus?: string };
  if (cert && Object.keys(cert).length) {
    const now = Date.now();
    const from = Date.parse(cert.valid_from);
    const to = Date.parse(cert.valid_to);
    const subject = dn(cert.subject);
    const issuer = dn(cert.issuer);
    info.certificate = {
      subject,
      issuer,
      validFrom: new Date(from).toISOString(),
      validTo: new Date(to).toISOString(),
      selfSigned: subject === issuer,
      expired: to < now,
      notYetValid: from > now,
      keyBits: cert.bits,
      keyType: cert.asn1Curve ? 'EC' : cert.modulus ? 'RSA' : 'other',
    };
  }
  return info;
}

function dn(o: Record<string, string | string[] | undefined> | undefined): string {
  if (!o) return '';
  return Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}
