/**
 * TLS analyzer: reads the record layer of both directions, reassembles
 * handshake messages that span records and segments, and reports the
 * ClientHello (SNI, versions, ALPN, JA4), the ServerHello choice and, where
 * visible (TLS 1.2 and older), the server certificate. Encrypted records are
 * skipped without copying.
 */
import type {
  AnalyzerSink, ConnectionInfo, Direction, StreamAnalyzer, StreamParser,
} from '../../decoders/analyzer.ts';
import type { AppProtocol, ProtocolRecord, TlsEdgeFacts } from '../../observations/types.ts';
import { isGrease, parseClientHello, parseServerHello, versionName } from './hello.ts';
import type { ClientHello, ServerHello } from './hello.ts';
import { cipherName, isWeakCipher } from './ciphers.ts';
import { ja4 } from './ja4.ts';
import { appendBytes } from '../bytes.ts';
import { parseCertificate } from './x509.ts';
import type { CertificateInfo } from './x509.ts';

export interface TlsRecord extends ProtocolRecord {
  log: 'tls';
  /** Negotiated version, e.g. "TLSv1.3"; absent when the ServerHello was not seen. */
  version?: string;
  /** Negotiated cipher suite as 4 hex digits, e.g. "c02f". */
  cipher?: string;
  /** Its IANA name, when known, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256". */
  cipherName?: string;
  /** RC4, DES/3DES, NULL, EXPORT, anonymous or MD5: not allowed by BCP 195. */
  weakCipher?: boolean;
  sni?: string;
  /** Versions the client offered (supported_versions, else its legacy version). */
  offeredVersions: string[];
  alpn: string[];
  serverAlpn?: string;
  ja4?: string;
  certificate?: CertificateInfo;
  chainLength?: number;
  /** The client presented a certificate (its subject may name a person, so it is not kept). */
  clientCertificate: boolean;
  established: boolean;
}

const MAX_RECORD = 16384 + 2048;
const MAX_HANDSHAKE = 256 * 1024;
const MAX_LIST = 64;
const EMPTY = new Uint8Array(0);

const REC_CCS = 20;
const REC_ALERT = 21;
const REC_HANDSHAKE = 22;
const REC_APPDATA = 23;
const REC_HEARTBEAT = 24;

/** Well-known ports where TLS carries a clinical protocol (DICOM PS3.15 B.1: 2762; HL7 over TLS: 12575). */
const CLINICAL_TLS_PORTS: Record<number, AppProtocol> = { 2762: 'dicom-tls', 12575: 'hl7-tls' };

function addUnique(list: string[], v: string | undefined): void {
  if (v === undefined || v === '' || list.length >= MAX_LIST || list.includes(v)) return;
  list.push(v);
}

export function tlsFacts(sink: AnalyzerSink): TlsEdgeFacts {
  const f = sink.facts();
  f.tls ??= { sni: [], versions: [], alpn: [], ja4: [], certificateSubjects: [] };
  return f.tls;
}

class DirState {
  header = new Uint8Array(5);
  headerLen = 0;
  type = 0;
  remaining = 0;
  /** After ChangeCipherSpec (or a TLS 1.3 ServerHello), handshake records are encrypted. */
  encrypted = false;
  hs: Uint8Array = EMPTY;
  hsLen = 0;
  dead = false;
}

class TlsConnection implements StreamParser {
  private readonly conn: ConnectionInfo;
  private readonly sink: AnalyzerSink;
  private readonly dirs: [DirState, DirState] = [new DirState(), new DirState()];
  private rec: TlsRecord | undefined;
  private emitted = false;
  private ts = 0;

  constructor(conn: ConnectionInfo, sink: AnalyzerSink) {
    this.conn = conn;
    this.sink = sink;
    sink.setProtocol(CLINICAL_TLS_PORTS[conn.serverPort] ?? 'tls', { encrypted: true, phi: conn.serverPort in CLINICAL_TLS_PORTS || undefined });
  }

  data(dir: Direction, chunk: Uint8Array, ts: number): void {
    this.dataAt(dir, chunk, 0, chunk.length, ts);
  }

  dataAt(dir: Direction, chunk: Uint8Array, start: number, n: number, ts: number): void {
    const d = this.dirs[dir];
    this.ts = ts;
    let i = start;
    while (i < n && !d.dead) {
      if (d.remaining === 0) {
        // Record header, possibly split across chunks.
        if (d.headerLen === 0 && n - i >= 5) {
          if (!this.header(d, chunk[i], chunk[i + 1], chunk[i + 2], (chunk[i + 3] << 8) | chunk[i + 4])) return;
          i += 5;
        } else {
          d.header[d.headerLen++] = chunk[i++];
          if (d.headerLen === 5) {
            d.headerLen = 0;
            const h = d.header;
            if (!this.header(d, h[0], h[1], h[2], (h[3] << 8) | h[4])) return;
          }
        }
        if (d.remaining === 0) this.recordDone(dir, d);
        continue;
      }
      const take = Math.min(d.remaining, n - i);
      if (d.type === REC_HANDSHAKE && !d.encrypted) this.handshakeBytes(dir, d, chunk, i, i + take);
      d.remaining -= take;
      i += take;
      if (d.remaining === 0) this.recordDone(dir, d);
    }
  }

  gap(dir: Direction, length: number): void {
    const d = this.dirs[dir];
    this.sink.anomaly('tls.gap', `${length} bytes missing in ${dir === 0 ? 'client' : 'server'} stream`);
    if (d.remaining > length && (d.type !== REC_HANDSHAKE || d.encrypted)) {
      // Lost bytes inside an encrypted record: framing survives.
      d.remaining -= length;
      return;
    }
    d.dead = true;
  }

  end(): void {
    this.emit();
  }

  /** Validates and starts a record; false when the stream is not TLS (any more). */
  private header(d: DirState, type: number, major: number, minor: number, len: number): boolean {
    if (type < REC_CCS || type > REC_HEARTBEAT || major !== 3 || minor > 4 || len > MAX_RECORD) {
      this.sink.anomaly('tls.bad-record', `invalid TLS record header (type ${type}, version ${major}.${minor}, length ${len})`);
      d.dead = true;
      return false;
    }
    d.type = type;
    d.remaining = len;
    return true;
  }

  private recordDone(dir: Direction, d: DirState): void {
    if (d.type === REC_CCS) {
      d.encrypted = true;
      // Nothing more is read from this direction's handshake: let the buffer go.
      d.hs = EMPTY;
      d.hsLen = 0;
    }
    else if (d.type === REC_APPDATA) {
      if (this.rec) this.rec.established = true;
      // The handshake is over once application data flows: report it now.
      if (dir === 1 || this.dirs[1].encrypted) this.emit();
    } else if (d.type === REC_ALERT && !d.encrypted && this.rec && !this.rec.established) {
      this.sink.anomaly('tls.alert', 'handshake alert');
    }
  }

  private handshakeBytes(dir: Direction, d: DirState, b: Uint8Array, start: number, end: number): void {
    let p = start;
    if (d.hsLen === 0) {
      // Fast path: whole messages inside this chunk are parsed in place.
      while (end - p >= 4) {
        const len = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
        if (p + 4 + len > end) break;
        this.message(dir, b[p], b, p + 4, p + 4 + len);
        p += 4 + len;
      }
      if (p < end) this.append(d, b, p, end);
      return;
    }
    this.append(d, b, p, end);
    let q = 0;
    while (d.hsLen - q >= 4) {
      const len = (d.hs[q + 1] << 16) | (d.hs[q + 2] << 8) | d.hs[q + 3];
      if (len > MAX_HANDSHAKE) {
        this.sink.anomaly('tls.handshake-too-large', `handshake message of ${len} bytes`);
        d.hsLen = 0;
        d.encrypted = true;
        return;
      }
      if (q + 4 + len > d.hsLen) break;
      this.message(dir, d.hs[q], d.hs, q + 4, q + 4 + len);
      q += 4 + len;
    }
    if (q > 0) {
      d.hs.copyWithin(0, q, d.hsLen);
      d.hsLen -= q;
    }
  }

  private append(d: DirState, b: Uint8Array, start: number, end: number): void {
    const need = d.hsLen + (end - start);
    if (need > MAX_HANDSHAKE + 4) {
      this.sink.anomaly('tls.handshake-too-large', 'handshake message larger than 256 KiB');
      d.hsLen = 0;
      d.encrypted = true;
      return;
    }
    d.hs = appendBytes(d.hs, d.hsLen, b, start, end);
    d.hsLen = need;
  }

  private message(dir: Direction, type: number, b: Uint8Array, start: number, end: number): void {
    if (dir === 0 && type === 1) {
      const ch = parseClientHello(b, start, end);
      if (ch) this.clientHello(ch);
      else this.sink.anomaly('tls.bad-client-hello', 'malformed ClientHello');
    } else if (dir === 1 && type === 2) {
      const sh = parseServerHello(b, start, end);
      if (sh) this.serverHello(sh);
      else this.sink.anomaly('tls.bad-server-hello', 'malformed ServerHello');
    } else if (type === 11) {
      this.certificate(dir, b, start, end);
    }
  }

  private current(): TlsRecord {
    this.rec ??= {
      log: 'tls', ts: this.ts, conn: this.conn.id, offeredVersions: [], alpn: [], clientCertificate: false, established: false,
    };
    return this.rec;
  }

  private clientHello(ch: ClientHello): void {
    if (this.rec?.ja4 !== undefined) {
      // A second ClientHello: renegotiation, or the answer to a HelloRetryRequest.
      if (this.rec.version !== undefined) {
        this.emit();
        this.rec = undefined;
        this.emitted = false;
      }
    }
    const rec = this.current();
    const offered = ch.supportedVersions.filter((v) => !isGrease(v));
    rec.offeredVersions = (offered.length > 0 ? offered : [ch.legacyVersion]).map(versionName);
    if (ch.sni !== undefined) rec.sni = ch.sni;
    rec.alpn = ch.alpn;
    rec.ja4 = ja4(ch);
    const f = tlsFacts(this.sink);
    addUnique(f.sni, ch.sni);
    for (const a of ch.alpn) addUnique(f.alpn, a);
    addUnique(f.ja4, rec.ja4);
    addUnique(this.sink.host(this.conn.client).roles, 'tls-client');
    if (ch.sni && !/^[\d.]+$/.test(ch.sni) && !ch.sni.includes(':')) {
      addUnique(this.sink.host(this.conn.server).hostnames, ch.sni.toLowerCase());
    }
  }

  private serverHello(sh: ServerHello): void {
    const rec = this.current();
    if (sh.helloRetry) return; // The real ServerHello follows the second ClientHello.
    rec.version = versionName(sh.selectedVersion);
    rec.cipher = sh.cipher.toString(16).padStart(4, '0');
    const name = cipherName(sh.cipher);
    if (name) rec.cipherName = name;
    if (isWeakCipher(sh.cipher)) rec.weakCipher = true;
    if (sh.alpn) rec.serverAlpn = sh.alpn;
    if (sh.selectedVersion === 0x0304) this.dirs[1].encrypted = true;
    addUnique(tlsFacts(this.sink).versions, rec.version);
    const host = this.sink.host(this.conn.server);
    addUnique(host.roles, 'tls-server');
    if (!host.listeningPorts.some((p) => p.transport === 'tcp' && p.port === this.conn.serverPort)) {
      host.listeningPorts.push({ transport: 'tcp', port: this.conn.serverPort, protocol: CLINICAL_TLS_PORTS[this.conn.serverPort] ?? 'tls' });
    }
  }

  private certificate(dir: Direction, b: Uint8Array, start: number, end: number): void {
    const rec = this.current();
    if (end - start < 3) return;
    const listEnd = Math.min(end, start + 3 + ((b[start] << 16) | (b[start + 1] << 8) | b[start + 2]));
    let i = start + 3;
    let count = 0;
    let leaf: CertificateInfo | undefined;
    while (i + 3 <= listEnd) {
      const len = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      if (i + 3 + len > listEnd) break;
      if (count === 0 && dir === 1) leaf = parseCertificate(b, i + 3, i + 3 + len);
      count++;
      i += 3 + len;
    }
    if (dir === 0) {
      if (count > 0) rec.clientCertificate = true;
      return;
    }
    rec.chainLength = count;
    if (leaf) {
      rec.certificate = leaf;
      addUnique(tlsFacts(this.sink).certificateSubjects, leaf.subject);
    } else if (count > 0) {
      this.sink.anomaly('tls.bad-certificate', 'server certificate could not be read');
    }
  }

  private emit(): void {
    if (this.rec && !this.emitted) {
      this.sink.record(this.rec);
      this.emitted = true;
    }
  }
}

/** Detects a TLS handshake record opening a ClientHello (client) or ServerHello (server), on any port. */
export function looksLikeTls(dir: Direction, b: Uint8Array): boolean {
  if (b.length < 3 || b[0] !== REC_HANDSHAKE || b[1] !== 3 || b[2] > 4) return false;
  if (b.length >= 6 && b[5] !== (dir === 0 ? 1 : 2)) return false;
  return true;
}

export const tlsAnalyzer: StreamAnalyzer = {
  name: 'tls',
  protocol: 'tls',
  detect(dir, firstBytes) {
    return looksLikeTls(dir, firstBytes);
  },
  create(conn, sink) {
    return new TlsConnection(conn, sink);
  },
};
