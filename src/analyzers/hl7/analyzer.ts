/**
 * The HL7 v2/MLLP analyzer: claims a connection whose first bytes are an
 * MLLP start block followed by an MSH (or a batch header), on any port.
 */
import type { ConnectionInfo, Direction, StreamAnalyzer } from '../../decoders/analyzer.ts';
import { Hl7Parser } from './parser.ts';

/** VT then "MSH", "BHS" or "FHS" and a field separator that is not alphanumeric. */
export function looksLikeMllp(b: Uint8Array): boolean {
  if (b.length < 5 || b[0] !== 0x0b) return false;
  // A UTF-8 byte-order mark may precede the header when a file is sent as is.
  const o = b[1] === 0xef && b[2] === 0xbb && b[3] === 0xbf ? 4 : 1;
  if (b.length < o + 4) return false;
  const id = String.fromCharCode(b[o], b[o + 1], b[o + 2]);
  if (id !== 'MSH' && id !== 'BHS' && id !== 'FHS') return false;
  const sep = b[o + 3];
  return sep > 0x20 && sep < 0x7f && !/[A-Za-z0-9]/.test(String.fromCharCode(sep));
}

export const hl7Analyzer: StreamAnalyzer = {
  name: 'hl7',
  protocol: 'hl7',
  detect(_dir: Direction, firstBytes: Uint8Array, _conn: ConnectionInfo): boolean {
    return looksLikeMllp(firstBytes);
  },
  create(conn, sink) {
    return new Hl7Parser(conn, sink);
  },
};
