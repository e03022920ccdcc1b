/**
 * DICOM upper-layer PDUs (PS3.8 §9.3) and the few DIMSE messages a probe
 * needs (PS3.7): just enough of an SCU to ask "would you talk to me?".
 * Everything is big-endian except DIMSE data, which is Implicit VR Little
 * Endian. Parsers are bounds-checked and return undefined on damage.
 */

export const PDU = { ASSOC_RQ: 1, ASSOC_AC: 2, ASSOC_RJ: 3, PDATA: 4, RELEASE_RQ: 5, RELEASE_RP: 6, ABORT: 7 } as const;

export const UID = {
  appContext: '1.2.840.10008.3.1.1.1',
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  verification: '1.2.840.10008.1.1',
  patientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  studyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  studyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  studyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
  worklistFind: '1.2.840.10008.5.1.4.31',
  ctStorage: '1.2.840.10008.5.1.4.1.1.2',
  mrStorage: '1.2.840.10008.5.1.4.1.1.4',
  secondaryCaptureStorage: '1.2.840.10008.5.1.4.1.1.7',
} as const;

/** Wardline's own implementation identity in the association (root under the UUID arc, PS3.5 B.2). */
export const WARDLINE_IMPL_UID = '2.25.183746158205372461827401837460523';
export const WARDLINE_IMPL_VERSION = 'WARDLINE_010';

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociateRq {
  calledAe: string;
  callingAe: string;
  contexts: ProposedContext[];
  maxPdu: number;
}

function ae(s: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(s.slice(0, 16), 'ascii');
  return b;
}

function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function uidItem(type: number, uid: string): Buffer {
  return item(type, Buffer.from(uid, 'ascii'));
}

export function buildAssociateRq(rq: AssociateRq): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  ae(rq.calledAe).copy(fixed, 4);
  ae(rq.callingAe).copy(fixed, 20);
  const parts: Buffer[] = [fixed, uidItem(0x10, UID.appContext)];
  for (const pc of rq.contexts) {
    const head = Buffer.from([pc.id, 0, 0, 0]);
    parts.push(item(0x20, Buffer.concat([head, uidItem(0x30, pc.abstractSyntax), ...pc.transferSyntaxes.map((t) => uidItem(0x40, t))])));
  }
  const maxPdu = Buffer.alloc(4);
  maxPdu.writeUInt32BE(rq.maxPdu, 0);
  parts.push(item(0x50, Buffer.concat([item(0x51, maxPdu), uidItem(0x52, WARDLINE_IMPL_UID), uidItem(0x55, WARDLINE_IMPL_VERSION)])));
  return pdu(PDU.ASSOC_RQ, Buffer.concat(parts));
}

export function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

export const RELEASE_RQ = pdu(PDU.RELEASE_RQ, Buffer.alloc(4));
export const ABORT = pdu(PDU.ABORT, Buffer.alloc(4));

export interface AcceptedContext {
  id: number;
  /** 0 acceptance, 1 user-rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  transferSyntax?: string;
}

export interface AssociateAc {
  calledAe: string;
  callingAe: string;
  contexts: AcceptedContext[];
  maxPdu?: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  /** A User Identity AC (0x59) was present: the server asked for identity. */
  userIdentityAc: boolean;
}

function ascii(b: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < b.length; i++) {
    const c = b[i];
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s.trim();
}

/** Body = the PDU after its 6-byte header. */
export function parseAssociateAc(body: Buffer): AssociateAc | undefined {
  if (body.length < 68) return undefined;
  const ac: AssociateAc = { calledAe: ascii(body, 4, 20), callingAe: ascii(body, 20, 36), contexts: [], userIdentityAc: false };
  let off = 68;
  while (off + 4 <= body.length) {
    const type = body[off];
    const len = body.readUInt16BE(off + 2);
    const start = off + 4;
    const end = start + len;
    if (end > body.length) return ac.contexts.length ? ac : undefined;
    if (type === 0x21 && len >= 4) {
      const ctx: AcceptedContext = { id: body[start], result: body[start + 2] };
      let s = start + 4;
      while (s + 4 <= end) {
        const t = body[s];
        const l = body.readUInt16BE(s + 2);
        if (s + 4 + l > end) break;
        if (t === 0x40) ctx.transferSyntax = ascii(body, s + 4, s + 4 + l);
        s += 4 + l;
      }
      ac.contexts.push(ctx);
    } else if (type === 0x50) {
      let s = start;
      while (s + 4 <= end) {
        const t = body[s];
        const l = body.readUInt16BE(s + 2);
        if (s + 4 + l > end) break;
        if (t === 0x51 && l === 4) ac.maxPdu = body.readUInt32BE(s + 4);
        else if (t === 0x52) ac.implementationClassUid = ascii(body, s + 4, s + 4 + l);
        else if (t === 0x55) ac.implementationVersionName = ascii(body, s + 4, s + 4 + l);
        else if (t === 0x59) ac.userIdentityAc = true;
        s += 4 + l;
      }
    }
    off = end;
  }
  return ac;
}

export interface AssociateRj {
  result: number;
  source: number;
  reason: number;
}

export function parseAssociateRj(body: Buffer): AssociateRj | undefined {
  if (body.length < 4) return undefined;
  return { result: body[1], source: body[2], reason: body[3] };
}

/** PS3.8 Table 9-21, for humans. */
export function describeRj(rj: AssociateRj): string {
  const result = rj.result === 1 ? 'rejected-permanent' : rj.result === 2 ? 'rejected-transient' : `result ${rj.result}`;
  const reasons: Record<number, Record<number, string>> = {
    1: { 1: 'no reason given', 2: 'application context not supported', 3: 'calling AE title not recognized', 7: 'called AE title not recognized' },
    2: { 1: 'no reason given', 2: 'protocol version not supported' },
    3: { 1: 'temporary congestion', 2: 'local limit exceeded' },
  };
  return `${result}: ${reasons[rj.source]?.[rj.reason] ?? `source ${rj.source} reason ${rj.reason}`}`;
}

/** One PDV per P-DATA-TF: message control header bit0 command, bit1 last fragment. */
export function buildPData(contextId: number, command: boolean, data: Buffer): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(data.length + 2, 0);
  pdv[4] = contextId;
  pdv[5] = (command ? 1 : 0) | 2;
  return pdu(PDU.PDATA, Buffer.concat([pdv, data]));
}

export interface Pdv {
  contextId: number;
  command: boolean;
  last: boolean;
  data: Buffer;
}

export function parsePData(body: Buffer): Pdv[] | undefined {
  const out: Pdv[] = [];
  let off = 0;
  while (off + 6 <= body.length) {
    const len = body.readUInt32BE(off);
    if (len < 2 || off + 4 + len > body.length) return undefined;
    const mch = body[off + 5];
    out.push({ contextId: body[off + 4], command: (mch & 1) === 1, last: (mch & 2) === 2, data: body.subarray(off + 6, off + 4 + len) });
    off += 4 + len;
  }
  return off === body.length ? out : undefined;
}

// ---- Implicit VR Little Endian elements -------------------------------------

function element(group: number, elem: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(elem, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}

function us(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return b;
}

/** UIDs and text are padded to even length (NUL for UI, space for text). */
function text(s: string, pad: number): Buffer {
  const b = Buffer.from(s, 'ascii');
  return b.length % 2 ? Buffer.concat([b, Buffer.from([pad])]) : b;
}

function commandSet(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(0x0000, 0x0000, len), body]);
}

export const DIMSE = { C_ECHO_RQ: 0x0030, C_ECHO_RSP: 0x8030, C_FIND_RQ: 0x0020, C_FIND_RSP: 0x8020 } as const;

export function buildEchoRq(messageId: number): Buffer {
  return commandSet([
    element(0x0000, 0x0002, text(UID.verification, 0)),
    element(0x0000, 0x0100, us(DIMSE.C_ECHO_RQ)),
    element(0x0000, 0x0110, us(messageId)),
    element(0x0000, 0x0800, us(0x0101)),
  ]);
}

export function buildFindRq(messageId: number, sopClass: string): Buffer {
  return commandSet([
    element(0x0000, 0x0002, text(sopClass, 0)),
    element(0x0000, 0x0100, us(DIMSE.C_FIND_RQ)),
    element(0x0000, 0x0110, us(messageId)),
    element(0x0000, 0x0700, us(0)),
    element(0x0000, 0x0800, us(0x0000)),
  ]);
}

/** A short-VR Explicit VR Little Endian element (CS, LO, UI all have 2-byte lengths). */
function explicitElement(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(elem, 2);
  h.write(vr, 4, 'ascii');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

/**
 * The identifier of a universal-match C-FIND: the query level and its unique
 * key, empty, and nothing else, so that a match returns as little as possible.
 * Encoded in the transfer syntax the server accepted for the context.
 */
export function buildFindIdentifier(level: 'PATIENT' | 'STUDY', transferSyntax: string = UID.implicitLE): Buffer {
  const explicit = transferSyntax === UID.explicitLE;
  const el = (g: number, e: number, vr: string, v: Buffer) => (explicit ? explicitElement(g, e, vr, v) : element(g, e, v));
  const key = level === 'PATIENT' ? el(0x0010, 0x0020, 'LO', Buffer.alloc(0)) : el(0x0020, 0x000d, 'UI', Buffer.alloc(0));
  return Buffer.concat([el(0x0008, 0x0052, 'CS', text(level, 0x20)), key]);
}

/** Command field and status of a DIMSE command set; nothing else is read. */
export function readCommand(data: Buffer): { command?: number; status?: number } | undefined {
  const out: { command?: number; status?: number } = {};
  let off = 0;
  while (off + 8 <= data.length) {
    const group = data.readUInt16LE(off);
    const elem = data.readUInt16LE(off + 2);
    const len = data.readUInt32LE(off + 4);
    if (group !== 0 || off + 8 + len > data.length) return undefined;
    if (elem === 0x0100 && len === 2) out.command = data.readUInt16LE(off + 8);
    else if (elem === 0x0900 && len === 2) out.status = data.readUInt16LE(off + 8);
    off += 8 + len;
  }
  return out;
}
