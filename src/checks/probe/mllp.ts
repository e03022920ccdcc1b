import { ProbeError, ProbeSocket, type TlsInfo } from './conn.ts';
import type { PortResultBase, ProbeContext } from './types.ts';

export interface MllpPortResult extends PortResultBase {
  protocol: 'hl7' | 'hl7-tls';
  tls?: TlsInfo;
  /** Intrusive test message: what came back. */
  ack?: { code?: string; messageType?: string; sendingApplication?: string; raw: 'mllp-frame' | 'no-frame' };
}

const VT = 0x0b;
const END = Buffer.from([0x1c, 0x0d]);

/**
 * The intrusive test message: an application-management query (NMQ^N01,
 * HL7 v2 chapter 14) with processing ID "T" (training/test) and no patient
 * segment, so that no receiving system files anything about a patient.
 */
export function testMessage(now: Date): string {
  const ts = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const ctl = `WL${ts}`;
  return [
    `MSH|^~\\&|WARDLINE|PROBE|||${ts}||NMQ^N01^NMQ_N01|${ctl}|T|2.5`,
    `QRD|${ts}|R|I|${ctl}|||1^RD|WARDLINE|APP STATUS`,
  ].join('\r') + '\r';
}

/**
 * Safe: connect (and, on TLS ports, handshake) and leave without sending a
 * byte. Intrusive: one framed test message and its acknowledgement.
 */
export async function probeMllp(ctx: ProbeContext, host: string, port: number, useTls: boolean): Promise<MllpPortResult> {
  const r: MllpPortResult = { port, protocol: useTls ? 'hl7-tls' : 'hl7', status: 'error' };
  let s: ProbeSocket;
  const deadline = Date.now() + ctx.timeoutMs;
  try {
    await ctx.gate();
    s = await ProbeSocket.open({ host, port, deadline, tls: useTls ? {} : undefined, maxBytes: 256 * 1024 });
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    r.status = err.kind === 'refused' ? 'closed' : err.kind === 'timeout' ? 'filtered' : err.kind === 'unreachable' ? 'unreachable' : 'error';
    r.detail = `${err.kind}: ${err.message}`;
    return r;
  }
  r.tls = s.tls;
  r.status = 'open';
  if (!ctx.intrusive) { s.close(); return r; }
  try {
    s.write(Buffer.concat([Buffer.from([VT]), Buffer.from(testMessage(new Date()), 'latin1'), END]));
    const frame = await s.readUntil(END, 64 * 1024, deadline);
    const start = frame.indexOf(VT);
    if (start < 0) { r.status = 'not-hl7'; r.ack = { raw: 'no-frame' }; return r; }
    // Only MSH-3, MSH-9 and MSA-1 are read; the rest of the answer is dropped.
    const segs = frame.subarray(start + 1, frame.length - 2).toString('latin1').split(/\r\n?|\n/);
    const msh = segs.find((x) => x.startsWith('MSH'));
    const msa = segs.find((x) => x.startsWith('MSA'));
    if (!msh) { r.status = 'not-hl7'; r.ack = { raw: 'mllp-frame' }; return r; }
    const sep = msh[3] ?? '|';
    const f = msh.split(sep);
    r.status = 'hl7';
    r.ack = { raw: 'mllp-frame', sendingApplication: (f[2] ?? '').split('^')[0].slice(0, 64), messageType: (f[8] ?? '').slice(0, 32), code: msa ? msa.split(sep)[1]?.slice(0, 2) : undefined };
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    r.detail = `${err.kind}: ${err.message}`;
    if (err.kind === 'garbage' || err.kind === 'too-much-data') r.status = 'not-hl7';
  } finally {
    s.close();
  }
  return r;
}
