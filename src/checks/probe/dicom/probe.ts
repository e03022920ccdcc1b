import { fingerprint, softwareLabel } from '../../../analyzers/dicom/fingerprint.ts';
import { sopClassName } from '../../../analyzers/dicom/uids.ts';
import { ProbeError, type TlsInfo } from '../conn.ts';
import type { PortResultBase, ProbeContext } from '../types.ts';
import { associate, type AssociationOutcome, type FindCount } from './association.ts';
import { UID, type ProposedContext } from './pdu.ts';

/** An AE title no real peer uses: acceptance means the called AE is not checked. */
export const BOGUS_CALLED_AE = 'WL-NO-SUCH-AE';
/** Our calling AE: registered nowhere, so acceptance means unknown peers are let in. */
export const PROBE_CALLING_AE = 'WARDLINE-PROBE';
/** Product default AE titles tried when the called AE is checked (Orthanc, DCMTK tools, nmap's). */
export const DEFAULT_CALLED_AES = ['ORTHANC', 'DCMQRSCP', 'STORESCP', 'ANY-SCP', 'PACS'];

const TS = [UID.implicitLE, UID.explicitLE];
const PROPOSED: Array<{ uid: string; role: 'verification' | 'query' | 'retrieve' | 'worklist' | 'storage' }> = [
  { uid: UID.verification, role: 'verification' },
  { uid: UID.patientRootFind, role: 'query' },
  { uid: UID.studyRootFind, role: 'query' },
  { uid: UID.studyRootMove, role: 'retrieve' },
  { uid: UID.studyRootGet, role: 'retrieve' },
  { uid: UID.worklistFind, role: 'worklist' },
  { uid: UID.ctStorage, role: 'storage' },
  { uid: UID.mrStorage, role: 'storage' },
  { uid: UID.secondaryCaptureStorage, role: 'storage' },
];
const CONTEXTS: ProposedContext[] = PROPOSED.map((p, i) => ({ id: 2 * i + 1, abstractSyntax: p.uid, transferSyntaxes: TS }));

export interface DicomPortResult extends PortResultBase {
  protocol: 'dicom' | 'dicom-tls';
  tls?: TlsInfo;
  /** An association with a made-up called AE title was accepted. */
  anyCalledAe?: boolean;
  /** Why the first association was refused, in PS3.8 words. */
  rejection?: string;
  /** The called AE title that worked, when the made-up one did not. */
  calledAe?: string;
  /** An association from an unregistered calling AE was accepted. */
  unknownCallingAccepted?: boolean;
  contexts?: Array<{ sopClass: string; name: string; role: string; accepted: boolean }>;
  echo?: 'success' | 'failure' | 'aborted' | 'not-offered';
  /** C-FIND with universal matching; counts only. Absent unless --intrusive. */
  find?: Partial<Record<'PATIENT' | 'STUDY', FindCount | { refused: string }>>;
  implementation?: { classUid?: string; versionName?: string; software?: string; maxPdu?: number };
  userIdentityAc?: boolean;
}

export async function probeDicom(ctx: ProbeContext, host: string, port: number, useTls: boolean, calledAeHints: string[]): Promise<DicomPortResult> {
  const r: DicomPortResult = { port, protocol: useTls ? 'dicom-tls' : 'dicom', status: 'error' };
  const open = async (calledAe: string, contexts: ProposedContext[]): Promise<AssociationOutcome> => {
    await ctx.gate();
    return associate({ host, port, deadline: Date.now() + ctx.timeoutMs, tls: useTls ? {} : undefined, calledAe, callingAe: PROBE_CALLING_AE, contexts });
  };
  let first: AssociationOutcome;
  try {
    first = await open(BOGUS_CALLED_AE, CONTEXTS);
  } catch (err) {
    return failed(r, err);
  }
  r.tls = first.tls;
  if (first.kind === 'not-dicom') { r.status = 'not-dicom'; r.detail = first.detail; return r; }
  if (first.kind === 'aborted') { r.status = 'dicom'; r.detail = 'A-ABORT in answer to A-ASSOCIATE-RQ'; r.anyCalledAe = false; return r; }
  r.status = 'dicom';
  let accepted = first.kind === 'accepted' ? first : undefined;
  if (first.kind === 'accepted') {
    r.anyCalledAe = true;
    r.unknownCallingAccepted = true;
  } else {
    r.rejection = first.reason;
    const callingRefused = first.rj.source === 1 && first.rj.reason === 3;
    r.anyCalledAe = callingRefused ? undefined : false;
    if (callingRefused) r.unknownCallingAccepted = false;
    else {
      const candidates = [...new Set([...calledAeHints, ...DEFAULT_CALLED_AES])].slice(0, 12);
      for (const ae of candidates) {
        let o: AssociationOutcome;
        try { o = await open(ae, CONTEXTS); } catch { break; }
        if (o.kind === 'accepted') { accepted = o; r.calledAe = ae; r.unknownCallingAccepted = true; break; }
        if (o.kind === 'rejected' && o.rj.source === 1 && o.rj.reason === 3) { r.calledAe = ae; r.unknownCallingAccepted = false; break; }
        if (o.kind !== 'rejected') break;
      }
    }
  }
  if (!accepted) return r;
  const { ac, session } = accepted;
  r.contexts = CONTEXTS.map((c, i) => ({ sopClass: c.abstractSyntax, name: sopClassName(c.abstractSyntax), role: PROPOSED[i].role, accepted: session.acceptedContext(c.id) }));
  const sw = fingerprint(ac.implementationClassUid, ac.implementationVersionName);
  r.implementation = { classUid: ac.implementationClassUid, versionName: ac.implementationVersionName, software: sw ? softwareLabel(sw) : undefined, maxPdu: ac.maxPdu };
  r.userIdentityAc = ac.userIdentityAc;
  const verification = CONTEXTS[0].id;
  if (session.acceptedContext(verification)) {
    const e = await session.echo(verification, Date.now() + ctx.timeoutMs);
    r.echo = 'status' in e ? (e.status === 0 ? 'success' : 'failure') : 'aborted' in e ? 'aborted' : 'failure';
  } else r.echo = 'not-offered';
  await session.release(Date.now() + ctx.timeoutMs);
  if (!ctx.intrusive) return r;
  // C-FIND reads patient data into memory: intrusive, counted, never kept.
  r.find = {};
  const calledAe = r.calledAe ?? BOGUS_CALLED_AE;
  for (const [level, sop] of [['PATIENT', UID.patientRootFind], ['STUDY', UID.studyRootFind]] as const) {
    const ctxDef = CONTEXTS.find((c) => c.abstractSyntax === sop)!;
    if (!r.contexts.find((c) => c.sopClass === sop)?.accepted) { r.find[level] = { refused: 'presentation context not accepted' }; continue; }
    let o: AssociationOutcome;
    try { o = await open(calledAe, [ctxDef]); } catch (err) { r.find[level] = { refused: err instanceof Error ? err.message : String(err) }; continue; }
    if (o.kind !== 'accepted') { r.find[level] = { refused: o.kind === 'rejected' ? o.reason : o.kind }; continue; }
    r.find[level] = await o.session.findCount(ctxDef.id, sop, level, ctx.findCap, Date.now() + ctx.timeoutMs);
    await o.session.release(Date.now() + ctx.timeoutMs);
  }
  return r;
}

export function failed<T extends PortResultBase>(r: T, err: unknown): T {
  if (!(err instanceof ProbeError)) throw err;
  r.status = err.kind === 'refused' ? 'closed' : err.kind === 'timeout' && !err.connected ? 'filtered' : err.kind === 'unreachable' ? 'unreachable' : 'error';
  r.detail = `${err.kind}: ${err.message}`;
  return r;
}
