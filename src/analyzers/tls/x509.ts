/**
 * Just enough DER to read an X.509 certificate's subject, issuer and
 * validity (RFC 5280 4.1). Anything unexpected yields undefined.
 */

export interface CertificateInfo {
  /** "CN=pacs.example.org, O=Example" in certificate order. */
  subject: string;
  issuer: string;
  /** ISO 8601. */
  notBefore?: string;
  notAfter?: string;
  /** Subject equals issuer. */
  selfSigned: boolean;
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Uint8Array, i: number, end: number): Tlv | undefined {
  if (i + 2 > end) return undefined;
  const tag = b[i];
  let len = b[i + 1];
  let p = i + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return undefined;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[p + k];
    p += n;
  }
  if (p + len > end) return undefined;
  return { tag, start: p, end: p + len };
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC',
  '2.5.4.9': 'street', '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

function oid(b: Uint8Array, s: number, e: number): string {
  if (s >= e) return '';
  const parts = [Math.floor(b[s] / 40), b[s] % 40];
  let v = 0;
  for (let i = s + 1; i < e; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

function text(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  if (t.tag === 0x1e) {
    // BMPString: UTF-16BE.
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return s;
  }
  return t.tag === 0x0c ? utf8.decode(bytes) : latin1.decode(bytes);
}

function name(b: Uint8Array, seq: Tlv): string {
  const out: string[] = [];
  let i = seq.start;
  while (i < seq.end && out.length < 32) {
    const set = tlv(b, i, seq.end);
    if (!set) break;
    let j = set.start;
    while (j < set.end) {
      const atv = tlv(b, j, set.end);
      if (!atv) break;
      const o = tlv(b, atv.start, atv.end);
      const v = o ? tlv(b, o.end, atv.end) : undefined;
      if (o && v && o.tag === 0x06) {
        const id = oid(b, o.start, o.end);
        out.push(`${NAMES[id] ?? id}=${text(b, v).slice(0, 128)}`);
      }
      j = atv.end;
    }
    i = set.end;
  }
  return out.join(', ');
}

function time(b: Uint8Array, t: Tlv): string | undefined {
  const s = latin1.decode(b.subarray(t.start, t.end));
  let m: RegExpExecArray | null;
  if (t.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s))) {
    const yy = Number(m[1]);
    return `${yy >= 50 ? 1900 + yy : 2000 + yy}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
  }
  if (t.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  }
  return undefined;
}

/** Reads one DER certificate in b[start..end). */
export function parseCertificate(b: Uint8Array, start: number, end: number): CertificateInfo | undefined {
  const cert = tlv(b, start, end);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = tlv(b, cert.start, cert.end);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  let i = tbs.start;
  let f = tlv(b, i, tbs.end);
  if (f && f.tag === 0xa0) {
    i = f.end;
    f = tlv(b, i, tbs.end);
  }
  if (!f || f.tag !== 0x02) return undefined; // serial
  const sigAlg = tlv(b, f.end, tbs.end);
  if (!sigAlg || sigAlg.tag !== 0x30) return undefined;
  const issuer = tlv(b, sigAlg.end, tbs.end);
  if (!issuer || issuer.tag !== 0x30) return undefined;
  const validity = tlv(b, issuer.end, tbs.end);
  if (!validity || validity.tag !== 0x30) return undefined;
  const subject = tlv(b, validity.end, tbs.end);
  if (!subject || subject.tag !== 0x30) return undefined;
  const nb = tlv(b, validity.start, validity.end);
  const na = nb ? tlv(b, nb.end, validity.end) : undefined;
  const subj = name(b, subject);
  const iss = name(b, issuer);
  return {
    subject: subj,
    issuer: iss,
    notBefore: nb ? time(b, nb) : undefined,
    notAfter: na ? time(b, na) : undefined,
    selfSigned: subj === iss,
  };
}
