import { ProbeError, ProbeSocket, type OpenOptions, type TlsInfo } from '../conn.ts';
import {
  ABORT, buildAssociateRq, buildEchoRq, buildFindIdentifier, buildFindRq, buildPData, describeRj, DIMSE, parseAssociateAc,
  parseAssociateRj, parsePData, PDU, readCommand, RELEASE_RQ, type AssociateAc, type AssociateRj, type ProposedContext,
} from './pdu.ts';

/** The largest PDU the probe accepts; it announces 16 KiB itself. */
const MAX_PDU_IN = 256 * 1024;
const OUR_MAX_PDU = 16384;

export type AssociationOutcome =
  | { kind: 'accepted'; ac: AssociateAc; session: DicomSession; tls?: TlsInfo }
  | { kind: 'rejected'; rj: AssociateRj; reason: string; tls?: TlsInfo }
  | { kind: 'aborted'; tls?: TlsInfo }
  | { kind: 'not-dicom'; detail: string; tls?: TlsInfo };

export interface Pdu {
  type: number;
  body: Buffer;
}

export async function readPdu(sock: ProbeSocket, deadline: number): Promise<Pdu> {
  const h = await sock.read(6, deadline);
  const type = h[0];
  const len = h.readUInt32BE(2);
  if (type < 1 || type > 7 || h[1] !== 0) throw new ProbeError('garbage', `not a DICOM PDU (first bytes ${h.subarray(0, 6).toString('hex')})`);
  if (len > MAX_PDU_IN) throw new ProbeError('garbage', `PDU of ${len} bytes announced`);
  return { type, body: await sock.read(len, deadline) };
}

/**
 * Opens a connection and proposes an association. The caller owns the
 * session on acceptance and must release or abort it.
 */
export async function associate(o: OpenOptions & { calledAe: string; callingAe: string; contexts: ProposedContext[] }): Promise<AssociationOutcome> {
  const sock = await ProbeSocket.open(o);
  try {
    sock.write(buildAssociateRq({ calledAe: o.calledAe, callingAe: o.callingAe, contexts: o.contexts, maxPdu: OUR_MAX_PDU }));
    let p: Pdu;
    try {
      p = await readPdu(sock, o.deadline);
    } catch (err) {
      if (err instanceof ProbeError && err.kind === 'garbage') { sock.close(); return { kind: 'not-dicom', detail: err.message, tls: sock.tls }; }
      throw err;
    }
    if (p.type === PDU.ASSOC_AC) {
      const ac = parseAssociateAc(p.body);
      if (!ac) { sock.close(); return { kind: 'not-dicom', detail: 'malformed A-ASSOCIATE-AC', tls: sock.tls }; }
      return { kind: 'accepted', ac, session: new DicomSession(sock, ac), tls: sock.tls };
    }
    sock.close();
    if (p.type === PDU.ASSOC_RJ) {
      const rj = parseAssociateRj(p.body);
      if (!rj) return { kind: 'not-dicom', detail: 'malformed A-ASSOCIATE-RJ', tls: sock.tls };
      return { kind: 'rejected', rj, reason: describeRj(rj), tls: sock.tls };
    }
    if (p.type === PDU.ABORT) return { kind: 'aborted', tls: sock.tls };
    return { kind: 'not-dicom', detail: `unexpected PDU type ${p.type} in answer to A-ASSOCIATE-RQ`, tls: sock.tls };
  } catch (err) {
    sock.close();
    throw err;
  }
}

export type DimseOutcome = { status: number } | { aborted: true } | { failure: string };

export interface FindCount {
  /** Pending responses = matches; the identifiers themselves are dropped unread. */
  matches: number;
  capped: boolean;
  status?: number;
  aborted: boolean;
  failure?: string;
}

export class DicomSession {
  readonly sock: ProbeSocket;
  readonly ac: AssociateAc;
  private messageId = 1;

  constructor(sock: ProbeSocket, ac: AssociateAc) {
    this.sock = sock;
    this.ac = ac;
  }

  acceptedContext(id: number): boolean {
    return this.ac.contexts.some((c) => c.id === id && c.result === 0);
  }

  async echo(contextId: number, deadline: number): Promise<DimseOutcome> {
    this.sock.write(buildPData(contextId, true, buildEchoRq(this.messageId++)));
    try {
      for (;;) {
        const p = await readPdu(this.sock, deadline);
        if (p.type === PDU.ABORT) return { aborted: true };
        if (p.type !== PDU.PDATA) return { failure: `unexpected PDU type ${p.type}` };
        const pdvs = parsePData(p.body);
        if (!pdvs) return { failure: 'malformed P-DATA-TF' };
        for (const v of pdvs) {
          if (!v.command) continue;
          const c = readCommand(v.data);
          if (c?.command === DIMSE.C_ECHO_RSP) return { status: c.status ?? -1 };
        }
      }
    } catch (err) {
      if (err instanceof ProbeError) return { failure: `${err.kind}: ${err.message}` };
      throw err;
    }
  }

  /**
   * A universal-match C-FIND that only counts: each pending response is a
   * match; identifier PDVs are skipped without being decoded, and after
   * `cap` matches the association is aborted.
   */
  async findCount(contextId: number, sopClass: string, level: 'PATIENT' | 'STUDY', cap: number, deadline: number): Promise<FindCount> {
    this.sock.write(buildPData(contextId, true, buildFindRq(this.messageId++, sopClass)));
    const ts = this.ac.contexts.find((c) => c.id === contextId)?.transferSyntax;
    this.sock.write(buildPData(contextId, false, buildFindIdentifier(level, ts)));
    const out: FindCount = { matches: 0, capped: false, aborted: false };
    try {
      for (;;) {
        const p = await readPdu(this.sock, deadline);
        if (p.type === PDU.ABORT) { out.aborted = true; return out; }
        if (p.type !== PDU.PDATA) { out.failure = `unexpected PDU type ${p.type}`; return out; }
        const pdvs = parsePData(p.body);
        if (!pdvs) { out.failure = 'malformed P-DATA-TF'; return out; }
        for (const v of pdvs) {
          if (!v.command || !v.last) continue;
          const c = readCommand(v.data);
          if (c?.command !== DIMSE.C_FIND_RSP || c.status === undefined) continue;
          if (c.status === 0xff00 || c.status === 0xff01) {
            out.matches++;
            if (out.matches >= cap) { out.capped = true; this.abort(); return out; }
          } else {
            out.status = c.status;
            return out;
          }
        }
      }
    } catch (err) {
      if (err instanceof ProbeError) { out.failure = `${err.kind}: ${err.message}`; return out; }
      throw err;
    }
  }

  /** Orderly release; falls back to an abort when the peer does not answer. */
  async release(deadline: number): Promise<void> {
    if (this.sock.socket.destroyed) return;
    this.sock.write(RELEASE_RQ);
    try {
      for (let i = 0; i < 64; i++) {
        const p = await readPdu(this.sock, Math.min(deadline, Date.now() + 2000));
        if (p.type === PDU.RELEASE_RP || p.type === PDU.ABORT) break;
      }
    } catch { /* the peer closed or went silent: abort below */ }
    this.abort();
  }

  abort(): void {
    if (!this.sock.socket.destroyed) this.sock.write(ABORT);
    this.sock.socket.end();
    setTimeout(() => this.sock.close(), 50).unref();
  }
}
