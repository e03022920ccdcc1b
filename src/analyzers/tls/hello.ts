/**
 * ClientHello and ServerHello bodies (RFC 8446 4.1.2/4.1.3, RFC 5246 7.4.1).
 * Parsers take the handshake message body (after the 4-byte handshake
 * header) as buffer + bounds and return undefined on malformed input.
 */

export interface ClientHello {
  legacyVersion: number;
  ciphers: number[];
  /** Extension types in wire order, GREASE included (JA4 drops them). */
  extensions: number[];
  sni?: string;
  alpn: string[];
  /** Raw bytes of the first ALPN protocol name (JA4 needs them when not alphanumeric). */
  alpnFirst?: Uint8Array;
  supportedVersions: number[];
  signatureAlgorithms: number[];
}

export interface ServerHello {
  version: number;
  /** The version chosen via supported_versions (TLS 1.3), else the legacy version. */
  selectedVersion: number;
  cipher: number;
  extensions: number[];
  alpn?: string;
  helloRetry: boolean;
}

const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

export function versionName(v: number): string {
  switch (v) {
    case 0x0304: return 'TLSv1.3';
    case 0x0303: return 'TLSv1.2';
    case 0x0302: return 'TLSv1.1';
    case 0x0301: return 'TLSv1.0';
    case 0x0300: return 'SSLv3';
    case 0x0002: return 'SSLv2';
    case 0xfeff: return 'DTLSv1.0';
    case 0xfefd: return 'DTLSv1.2';
    case 0xfefc: return 'DTLSv1.3';
    default: return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

const latin1 = new TextDecoder('latin1');

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

/** Parses a ClientHello body in b[start..end). */
export function parseClientHello(b: Uint8Array, start: number, end: number): ClientHello | undefined {
  let i = start;
  if (end - i < 2 + 32 + 1) return undefined;
  const legacyVersion = u16(b, i);
  i += 2 + 32;
  const sidLen = b[i++];
  i += sidLen;
  if (i + 2 > end) return undefined;
  const csLen = u16(b, i);
  i += 2;
  if (i + csLen > end || csLen % 2 !== 0) return undefined;
  const ciphers: number[] = [];
  for (let k = 0; k < csLen; k += 2) ciphers.push(u16(b, i + k));
  i += csLen;
  if (i + 1 > end) return undefined;
  const compLen = b[i++];
  i += compLen;
  if (i > end) return undefined;
  const hello: ClientHello = { legacyVersion, ciphers, extensions: [], alpn: [], supportedVersions: [], signatureAlgorithms: [] };
  if (i === end) return hello; // No extensions (SSLv3-era clients).
  if (i + 2 > end) return undefined;
  const extEnd = i + 2 + u16(b, i);
  i += 2;
  if (extEnd > end) return undefined;
  while (i + 4 <= extEnd) {
    const type = u16(b, i);
    const len = u16(b, i + 2);
    const d = i + 4;
    const dEnd = d + len;
    if (dEnd > extEnd) return undefined;
    hello.extensions.push(type);
    if (type === 0x0000) readSni(b, d, dEnd, hello);
    else if (type === 0x0010) readAlpn(b, d, dEnd, hello);
    else if (type === 0x002b) {
      const n = b[d];
      for (let k = d + 1; k + 1 < Math.min(dEnd, d + 1 + n); k += 2) hello.supportedVersions.push(u16(b, k));
    } else if (type === 0x000d && len >= 2) {
      const n = u16(b, d);
      for (let k = d + 2; k + 1 < Math.min(dEnd, d + 2 + n); k += 2) hello.signatureAlgorithms.push(u16(b, k));
    }
    i = dEnd;
  }
  return hello;
}

function readSni(b: Uint8Array, d: number, end: number, hello: ClientHello): void {
  if (end - d < 2) return;
  const listEnd = Math.min(end, d + 2 + u16(b, d));
  let i = d + 2;
  while (i + 3 <= listEnd) {
    const type = b[i];
    const len = u16(b, i + 1);
    if (i + 3 + len > listEnd) return;
    if (type === 0 && hello.sni === undefined) hello.sni = latin1.decode(b.subarray(i + 3, i + 3 + len)).slice(0, 255);
    i += 3 + len;
  }
}

function readAlpn(b: Uint8Array, d: number, end: number, hello: ClientHello): void {
  if (end - d < 2) return;
  const listEnd = Math.min(end, d + 2 + u16(b, d));
  let i = d + 2;
  while (i < listEnd) {
    const len = b[i];
    if (i + 1 + len > listEnd) return;
    const name = b.subarray(i + 1, i + 1 + len);
    if (hello.alpnFirst === undefined) hello.alpnFirst = name.slice();
    if (hello.alpn.length < 16) hello.alpn.push(latin1.decode(name).slice(0, 64));
    i += 1 + len;
  }
}

/** Parses a ServerHello body in b[start..end). */
export function parseServerHello(b: Uint8Array, start: number, end: number): ServerHello | undefined {
  let i = start;
  if (end - i < 2 + 32 + 1) return undefined;
  const version = u16(b, i);
  let random = '';
  for (let k = 0; k < 32; k++) random += b[i + 2 + k].toString(16).padStart(2, '0');
  i += 2 + 32;
  const sidLen = b[i++];
  i += sidLen;
  if (i + 3 > end) return undefined;
  const cipher = u16(b, i);
  i += 3; // cipher + compression method
  const sh: ServerHello = { version, selectedVersion: version, cipher, extensions: [], helloRetry: random === HRR_RANDOM };
  if (i + 2 > end) return sh;
  const extEnd = Math.min(end, i + 2 + u16(b, i));
  i += 2;
  while (i + 4 <= extEnd) {
    const type = u16(b, i);
    const len = u16(b, i + 2);
    const d = i + 4;
    if (d + len > extEnd) break;
    sh.extensions.push(type);
    if (type === 0x002b && len >= 2) sh.selectedVersion = u16(b, d);
    else if (type === 0x0010 && len >= 3) {
      const n = b[d + 2];
      if (d + 3 + n <= d + len) sh.alpn = latin1.decode(b.subarray(d + 3, d + 3 + n)).slice(0, 64);
    }
    i = d + len;
  }
  return sh;
}
