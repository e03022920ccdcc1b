/** Recognising a Zeek conn.log (TSV with its header, or JSON lines) by its first bytes. */

/** True for the first bytes of a Zeek conn.log, TSV or JSON. */
export function sniff(firstBytes: Uint8Array): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(firstBytes.subarray(0, 4096));
  const lines = text.split('\n').slice(0, 12).map((l) => l.trimStart());
  if (lines.some((l) => l.startsWith('#separator'))) {
    return lines.some((l) => /^#path\s+conn\b/.test(l) || (l.startsWith('#fields') && l.includes('id.orig_h') && l.includes('proto')));
  }
  const first = lines.find((l) => l.trim().length > 0)?.trim() ?? '';
  return first.startsWith('{') && first.includes('"id.orig_h"') && first.includes('"id.resp_h"') && (first.includes('"proto"') || first.includes('"conn_state"'));
}
