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
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? t.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new InputError(`invalid JSON: ${(err as Error).message}`, { location: { file, line } });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new InputError('JSON is not an object', { location: { file, line: 1 } });
  const o = doc as Obj;
  if (isKevJson(o)) return parseKevJson(o, file);
  if (isCsaf(o)) return parseCsaf(o, file);
  if (isNvd(o)) return parseNvd(o, file);
  if (isOsv(o)) return parseOsv(o, file);
  throw new InputError('JSON is none of NVD CVE API 2.0, CISA KEV, CSAF 2.0 or OSV', { location: { file, line: 1 } });
}
