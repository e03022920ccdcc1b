/**
 * Tail positions in the store (table monitor_tail): read once when the
 * monitor starts, written by the engine's window checkpoint in the same
 * transaction as the edges those lines produced.
 */
import type { Db } from '../store/db.ts';
import type { TailPosition } from './zeek-tail.ts';

export async function loadTailPositions(db: Db, site: string): Promise<Map<string, TailPosition>> {
  const rows = await db.all<{ input: string; file_id: string; byte_offset: number | string; line_no: number | string; header_json: string; fingerprint: string; fingerprint_len: number | string }>(
    'SELECT input, file_id, byte_offset, line_no, header_json, fingerprint, fingerprint_len FROM monitor_tail WHERE site = ?', [site]);
  const out = new Map<string, TailPosition>();
  for (const r of rows) {
    let header: unknown;
    try {
      header = JSON.parse(r.header_json);
    } catch {
      continue; // unreadable row: that input starts at offset 0
    }
    if (!Array.isArray(header) || !header.every((h) => typeof h === 'string')) continue;
    out.set(r.input, {
      file: r.file_id, offset: Number(r.byte_offset), line: Number(r.line_no), header: header as string[],
      fingerprint: r.fingerprint, fingerprintLen: Number(r.fingerprint_len),
    });
  }
  return out;
}

export async function saveTailPositions(t: Db, site: string, positions: ReadonlyArray<readonly [input: string, pos: TailPosition]>, now = Date.now()): Promise<void> {
  for (const [input, p] of positions) {
    await t.run(
      `INSERT INTO monitor_tail (site, input, file_id, byte_offset, line_no, header_json, fingerprint, fingerprint_len, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site, input) DO UPDATE SET file_id = excluded.file_id, byte_offset = excluded.byte_offset, line_no = excluded.line_no,
         header_json = excluded.header_json, fingerprint = excluded.fingerprint, fingerprint_len = excluded.fingerprint_len, updated_at = excluded.updated_at`,
      [site, input, p.file, p.offset, p.line, JSON.stringify(p.header), p.fingerprint, p.fingerprintLen, now],
    );
  }
}
