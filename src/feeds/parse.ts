/** Recognises a feed file by content and parses it; throws InputError with the path when it cannot. */
import { InputError } from '../core/errors.ts';
import { isCsaf, parseCsaf } from './csaf.ts';
import type { Obj } from './json.ts';
import { isKevCsv, isKevJson, parseKevCsv, parseKevJson } from './kev.ts';
import { isNvd, parseNvd } from './nvd.ts';
import { isOsv, parseOsv } from './osv.ts';
import type { ParsedFeed } from './types.ts';

export function parseFeedText(text: string, file: string): ParsedFeed {
  const t = text.replace(/^\uFEFF/, '');
  if (isKevCsv(t)) return parseKevCsv(t, file);
  const trimmed = t.trimStart();
  if (!trimmed.startsWith('{')) {
    throw new InputError('not a feed file (expected NVD, CSAF or OSV JSON, or the KEV JSON/CSV)', { location: { file } });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(t);
  } catch (err) {
    const msg = (err as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    const line = lc ? Number(lc[1]) : pos ? t.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new InputError(`invalid JSON: ${msg.replace(/ \(line \d+ column \d+\)/, '')}`, { location: { file, line, column: lc ? Number(lc[2]) : undefined } });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new InputError('JSON is not an object', { location: { file, line: 1 } });
  const o = doc as Obj;
  if (isKevJson(o)) return parseKevJson(o, file);
  if (isCsaf(o)) return parseCsaf(o, file);
  if (isNvd(o)) return parseNvd(o, file);
  if (isOsv(o)) return parseOsv(o, file);
  throw new InputError('JSON is none of NVD CVE API 2.0, CISA KEV, CSAF 2.0 or OSV', { location: { file, line: 1 } });
}
