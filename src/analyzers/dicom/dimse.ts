/**
 * DIMSE command sets (PS3.7 §9.3, §10.3): always Implicit VR Little Endian,
 * group 0000 only. Only the elements Wardline reports are read; the command
 * set carries no patient data, but the parser still never keeps more than
 * these few fields.
 */
import { readText, STOP_NUL } from './text.ts';

export interface DimseCommand {
  /** Command Field (0000,0100). */
  field: number;
  /** Affected (0000,0002) or Requested (0000,0003) SOP Class UID. */
  sopClass?: string;
  /** Message ID (0000,0110) on requests, Message ID Being Responded To (0000,0120) on responses. */
  messageId: number;
  /** Status (0000,0900), responses only. */
  status?: number;
  /** Move Destination (0000,0600), C-MOVE-RQ only. */
  moveDestination?: string;
  /** Move Originator AE Title (0000,1030) present: a C-MOVE sub-operation, sent by an archive. */
  moveSubOperation: boolean;
  /** Command Data Set Type (0000,0800): 0x0101 means no data set follows. */
  hasDataSet: boolean;
}

const NAMES: Record<number, string> = {
  0x0001: 'C-STORE', 0x0010: 'C-GET', 0x0020: 'C-FIND', 0x0021: 'C-MOVE', 0x0030: 'C-ECHO', 0x0fff: 'C-CANCEL',
  0x0100: 'N-EVENT-REPORT', 0x0110: 'N-GET', 0x0120: 'N-SET', 0x0130: 'N-ACTION', 0x0140: 'N-CREATE', 0x0150: 'N-DELETE',
};

/** "C-STORE" for both the request and the response code; undefined for unknown codes. */
export function commandName(field: number): string | undefined {
  return NAMES[field & 0x7fff];
}

export function isResponse(field: number): boolean {
  return (field & 0x8000) !== 0;
}

export type StatusClass = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

/** PS3.7 Annex C status classes. */
export function statusClass(status: number): StatusClass {
  if (status === 0x0000) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116 || (status >= 0xb000 && status <= 0xbfff)) return 'warning';
  return 'failure';
}

export function statusHex(status: number): string {
  return `0x${status.toString(16).padStart(4, '0')}`;
}

/** Printable ASCII up to the first NUL, trimmed; interned (see text.ts). */
function ascii(b: Uint8Array, start: number, end: number): string {
  return readText(b, start, end, end - start, STOP_NUL);
}

/**
 * Parses a complete command set. Returns undefined when it is malformed or
 * has no Command Field; never throws.
 */
export function parseCommandSet(b: Uint8Array, start: number, end: number): DimseCommand | undefined {
  let field = -1;
  let sopClass: string | undefined;
  let messageId = -1;
  let responded = -1;
  let status: number | undefined;
  let moveDestination: string | undefined;
  let dataSetType = 0x0101;
  let moveSub = false;
  let p = start;
  while (p + 8 <= end) {
    const group = b[p] | (b[p + 1] << 8);
    const elem = b[p + 2] | (b[p + 3] << 8);
    const len = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    p += 8;
    if (group !== 0 || len > end - p) return undefined;
    const v = p;
    p += len;
    const u16 = len >= 2 ? b[v] | (b[v + 1] << 8) : -1;
    switch (elem) {
      case 0x0002: sopClass ??= ascii(b, v, v + len); break;
      case 0x0003: sopClass ??= ascii(b, v, v + len); break;
      case 0x0100: field = u16; break;
      case 0x0110: messageId = u16; break;
      case 0x0120: responded = u16; break;
      case 0x0600: moveDestination = ascii(b, v, v + len); break;
      case 0x0800: dataSetType = u16; break;
      case 0x0900: status = u16; break;
      case 0x1030: moveSub = true; break;
      default: break;
    }
  }
  if (field < 0) return undefined;
  return {
    field,
    sopClass: sopClass || undefined,
    messageId: isResponse(field) ? responded : messageId,
    status,
    moveDestination,
    moveSubOperation: moveSub,
    hasDataSet: dataSetType !== 0x0101,
  };
}
