/**
 * The DICOM upper-layer analyzer: claims a connection whose requestor opens
 * with a well-formed A-ASSOCIATE-RQ (or whose acceptor answers with an AC or
 * RJ, when the request was missed), on any port.
 */
import type { ConnectionInfo, Direction, StreamAnalyzer } from '../../decoders/analyzer.ts';
import { DicomParser } from './parser.ts';

function printable(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end && i < b.length; i++) {
    if (b[i] < 0x20 || b[i] > 0x7e) return false;
  }
  return true;
}

/**
 * True when `b` starts like an A-ASSOCIATE-RQ (type 1) or -AC (type 2):
 * type, reserved 0, a plausible length, protocol version 1, printable AE
 * titles and the Application Context item first. Checks only what is there.
 */
export function looksLikeAssociate(b: Uint8Array, type: 1 | 2): boolean {
  if (b.length < 10 || b[0] !== type || b[1] !== 0) return false;
  const len = ((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0;
  if (len < 68 || len > 1 << 20) return false;
  if (b[6] !== 0 || (b[7] & 1) !== 1) return false;
  if (!printable(b, 10, 42)) return false;
  return b.length < 75 || b[74] === 0x10;
}

function looksLikeReject(b: Uint8Array): boolean {
  return b.length >= 10 && b[0] === 3 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0 && b[5] === 4
    && (b[7] === 1 || b[7] === 2) && b[8] >= 1 && b[8] <= 3;
}

export const dicomAnalyzer: StreamAnalyzer = {
  name: 'dicom',
  protocol: 'dicom',
  detect(dir: Direction, firstBytes: Uint8Array, _conn: ConnectionInfo): boolean {
    if (dir === 0) return looksLikeAssociate(firstBytes, 1);
    return looksLikeAssociate(firstBytes, 2) || looksLikeReject(firstBytes);
  },
  create(conn, sink) {
    return new DicomParser(conn, sink);
  },
};
