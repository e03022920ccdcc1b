/**
 * ArcSight Common Event Format (CEF:0), as Sentinel and Splunk also read it.
 * Header fields escape '\' and '|'; extension values escape '\', '=' and
 * line breaks (CEF implementation standard, "Character Encoding").
 */
import type { Severity } from '../../core/severity.ts';
import type { SiemEvent } from './event.ts';

const CEF_SEVERITY: Record<Severity, number> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };

export function cefHeaderEscape(s: string): string {
  return s.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r?\n|\r/g, ' ');
}

export function cefValueEscape(s: string): string {
  return s.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
}

export interface CefOptions {
  vendor?: string;
  product?: string;
  version?: string;
}

/** Custom string fields, each with its label, as CEF wants them. */
const CUSTOM: Array<[string, keyof SiemEvent]> = [['cs1', 'rule'], ['cs2', 'state'], ['cs3', 'zone'], ['cs4', 'process'], ['cs5', 'site'], ['cs6', 'subject']];

export function formatCef(ev: SiemEvent, o: CefOptions = {}): string {
  const head = [
    'CEF:0', o.vendor ?? 'Wardline', o.product ?? 'Wardline Monitor', o.version ?? '0.1.0', ev.rule, ev.title, String(CEF_SEVERITY[ev.severity]),
  ].map((h, i) => (i === 0 ? h : cefHeaderEscape(h))).join('|');
  const ext: Array<[string, string]> = [['rt', String(ev.ts)], ['externalId', ev.id], ['cat', ev.kind], ['msg', ev.title]];
  if (ev.src) ext.push(['src', ev.src]);
  if (ev.dst) ext.push(['dst', ev.dst]);
  if (ev.dport !== undefined) ext.push(['dpt', String(ev.dport)]);
  if (ev.transport) ext.push(['proto', ev.transport.toUpperCase()]);
  for (const [k, f] of CUSTOM) {
    const v = ev[f];
    if (v === undefined || v === '') continue;
    ext.push([`${k}Label`, f], [k, String(v)]);
  }
  return `${head}|${ext.map(([k, v]) => `${k}=${cefValueEscape(v)}`).join(' ')}`;
}

/** Parses one CEF line back (header fields and extensions), honouring the escapes; for tests and receivers. */
export function parseCef(line: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === '|') { header.push(cur); cur = ''; }
    else cur += c;
  }
  const rest = line.slice(i);
  const ext: Record<string, string> = {};
  // Keys are word characters followed by an unescaped '='; a value runs to the next such key.
  const keyRe = /(?:^|\s)([A-Za-z0-9_]+)=/g;
  const keys: Array<{ k: string; start: number; valStart: number }> = [];
  for (let m = keyRe.exec(rest); m; m = keyRe.exec(rest)) {
    const eq = m.index + m[0].length - 1;
    let bs = 0;
    for (let j = eq - 1; j >= 0 && rest[j] === '\\'; j--) bs++;
    if (bs % 2 === 1) continue;
    keys.push({ k: m[1], start: m.index, valStart: eq + 1 });
  }
  keys.forEach((k, n) => {
    const raw = rest.slice(k.valStart, n + 1 < keys.length ? keys[n + 1].start : rest.length);
    ext[k.k] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return { header, ext };
}
