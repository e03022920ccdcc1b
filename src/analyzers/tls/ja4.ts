/**
 * JA4 TLS client fingerprint, per FoxIO's JA4 specification
 * (technical_details/JA4.md in FoxIO-LLC/ja4): a readable prefix
 * (transport, version, SNI, counts, ALPN) and two truncated SHA-256 hashes
 * of the sorted cipher list and of the sorted extensions plus signature
 * algorithms. GREASE values are ignored everywhere.
 */
import { isGrease } from './hello.ts';
import type { ClientHello } from './hello.ts';

function ja4Version(v: number): string {
  switch (v) {
    case 0x0304: return '13';
    case 0x0303: return '12';
    case 0x0302: return '11';
    case 0x0301: return '10';
    case 0x0300: return 's3';
    case 0x0002: return 's2';
    case 0xfeff: return 'd1';
    case 0xfefd: return 'd2';
    case 0xfefc: return 'd3';
    default: return '00';
  }
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** First and last characters of the first ALPN value; hex nibbles when either end is not alphanumeric. */
export function ja4Alpn(first: Uint8Array | undefined): string {
  if (!first || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlnum(a) && isAlnum(z)) return String.fromCharCode(a) + String.fromCharCode(z);
  const hex = (a >> 4).toString(16) + (z & 0x0f).toString(16);
  return hex;
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function two(n: number): string {
  return n > 99 ? '99' : n.toString().padStart(2, '0');
}

/** SHA-256 of text, first 12 hex characters. */
export function ja4Hash(text: string): string {
  // Loaded on first use: most captures have no TLS, and node:crypto costs milliseconds at start-up.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** The raw (unhashed, sorted) JA4 parts: prefix, cipher list, extension list and signature algorithms. */
export function ja4Parts(ch: ClientHello, transport: 't' | 'q' | 'd' = 't'): { prefix: string; ciphers: string; extensions: string } {
  const ciphers = ch.ciphers.filter((c) => !isGrease(c));
  const exts = ch.extensions.filter((e) => !isGrease(e));
  const versions = ch.supportedVersions.filter((v) => !isGrease(v));
  const version = versions.length > 0 ? Math.max(...versions) : ch.legacyVersion;
  const sni = ch.extensions.includes(0x0000) ? 'd' : 'i';
  const prefix = `${transport}${ja4Version(version)}${sni}${two(ciphers.length)}${two(exts.length)}${ja4Alpn(ch.alpnFirst)}`;
  const sortedCiphers = ciphers.map(hex4).sort().join(',');
  const sortedExts = exts.filter((e) => e !== 0x0000 && e !== 0x0010).map(hex4).sort().join(',');
  const sigs = ch.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4).join(',');
  return { prefix, ciphers: sortedCiphers, extensions: sigs ? `${sortedExts}_${sigs}` : sortedExts };
}

export function ja4(ch: ClientHello, transport: 't' | 'q' | 'd' = 't'): string {
  const p = ja4Parts(ch, transport);
  const b = p.ciphers === '' ? '000000000000' : ja4Hash(p.ciphers);
  const c = p.extensions === '' || p.extensions.startsWith('_') ? '000000000000' : ja4Hash(p.extensions);
  return `${p.prefix}_${b}_${c}`;
}
