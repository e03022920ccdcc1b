import { LineCounter, isAlias, isMap, isScalar, isSeq, type Document, type Scalar, type YAMLMap } from 'yaml';
import { InputError, type SourceLocation } from '../core/errors.ts';
import { fieldLoc, setFieldLoc } from './locations.ts';
import type { Problem } from './problem.ts';
import { closest, suggestHint } from './suggest.ts';

/**
 * Reading YAML nodes into model values, recording where each value was
 * written and reporting bad ones as problems instead of throwing.
 */

/** Anchors and aliases are allowed, within reason: a billion-laughs file must not hang the loader. */
const MAX_ALIASES = 10_000;

export type YNode = Scalar | YAMLMap | { items: unknown[] } | null;

export class Reader {
  readonly file: string;
  readonly lc: LineCounter;
  readonly doc: Document;
  readonly problems: Problem[];
  aliases = 0;

  constructor(file: string, lc: LineCounter, doc: Document, problems: Problem[]) {
    this.file = file;
    this.lc = lc;
    this.doc = doc;
    this.problems = problems;
  }

  loc(node: unknown): SourceLocation {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return { file: this.file };
    const p = this.lc.linePos(range[0]);
    return { file: this.file, line: p.line, column: p.col };
  }

  problem(severity: 'error' | 'warning', code: string, node: unknown, message: string, hint?: string, at?: SourceLocation): void {
    this.problems.push({ severity, code, message, location: at ?? this.loc(node), ...(hint ? { hint } : {}) });
  }

  /** Follows aliases; null for empty values. */
  deref(node: unknown): YNode {
    let n = node;
    while (isAlias(n)) {
      if (++this.aliases > MAX_ALIASES) {
        throw new InputError('too many YAML aliases', { location: this.loc(n), hint: 'expand the anchors by hand' });
      }
      n = n.resolve(this.doc);
    }
    if (n === undefined || n === null) return null;
    if (isScalar(n) && (n.value === null || n.value === undefined)) return null;
    return n as YNode;
  }
}

export function keyText(r: Reader, key: unknown): string | undefined {
  const k = r.deref(key);
  if (k && isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
  r.problem('error', 'key.invalid', key, 'keys must be plain words');
  return undefined;
}

export function seqItems(r: Reader, value: YNode, at: unknown, what: string): unknown[] {
  if (value === null) return [];
  if (!isSeq(value)) {
    r.problem('error', 'type.list', value, `'${what}' must be a list`, `write each entry on its own line starting with "- "`);
    return [];
  }
  return value.items;
}

export function scalarText(s: Scalar): string {
  if (typeof s.value === 'string') return s.value;
  // Keep what was written: "version: 1.10" must stay 1.10, not become the number 1.1.
  return typeof s.source === 'string' && s.source !== '' ? s.source : String(s.value);
}

export interface Field {
  key: unknown;
  value: YNode;
  /** Where the value is (or the key, when the value is empty). */
  loc: SourceLocation;
}

export type Fields = Map<string, Field>;

/** Reads a mapping's keys against the allowed ones; `aliases` maps short forms ("cidr") to the canonical key. */
export function fields(r: Reader, node: YNode, what: string, allowed: readonly string[], aliases: Record<string, string> = {}, depth = 0): Fields | undefined {
  if (!node || !isMap(node)) {
    r.problem('error', 'type.map', node, `each entry of ${what} must be a mapping of keys`, `e.g. "- name: ..." with the keys indented below`);
    return undefined;
  }
  const out: Fields = new Map();
  const merges: unknown[] = [];
  for (const pair of node.items) {
    const raw = keyText(r, pair.key);
    if (raw === undefined) continue;
    if (raw === '<<') {
      // YAML merge keys (`<<: *defaults`): shared settings for many assets or conduits.
      const v = r.deref(pair.value);
      if (v && isSeq(v)) merges.push(...v.items);
      else merges.push(v);
      continue;
    }
    const key = aliases[raw] ?? raw;
    if (!allowed.includes(key)) {
      r.problem('error', 'key.unknown', pair.key, `unknown key '${raw}' in ${what}`, suggestHint(raw, [...allowed, ...Object.keys(aliases)], 'keys'));
      continue;
    }
    if (out.has(key)) {
      r.problem('error', 'key.duplicate', pair.key, `'${raw}' repeats '${key}' in ${what}`, 'keep one of them');
      continue;
    }
    const value = r.deref(pair.value);
    out.set(key, { key: pair.key, value, loc: value ? r.loc(value) : r.loc(pair.key) });
  }
  for (const m of merges) {
    if (depth >= 8) {
      r.problem('error', 'yaml.merge', m, 'merge keys (<<) nest too deeply');
      break;
    }
    const inherited = fields(r, r.deref(m), what, allowed, aliases, depth + 1);
    // Keys written in the mapping itself override merged ones.
    for (const [k, f] of inherited ?? []) if (!out.has(k)) out.set(k, f);
  }
  return out;
}

export function str(r: Reader, f: Fields, key: string, el?: object): string | undefined {
  const field = f.get(key);
  if (!field || field.value === null) return undefined;
  if (el) setFieldLoc(el, key, field.loc);
  if (!isScalar(field.value)) {
    r.problem('error', 'type.text', field.value, `'${key}' must be a single value, not a list or mapping`);
    return undefined;
  }
  const text = scalarText(field.value).trim();
  return text === '' ? undefined : text;
}

export function strList(r: Reader, f: Fields, key: string, el: object): string[] {
  const field = f.get(key);
  if (!field || field.value === null) return [];
  setFieldLoc(el, key, field.loc);
  const v = field.value;
  if (isScalar(v)) {
    const t = scalarText(v).trim();
    setFieldLoc(el, `${key}.0`, field.loc);
    return t === '' ? [] : [t];
  }
  if (!isSeq(v)) {
    r.problem('error', 'type.list', v, `'${key}' must be a value or a list of values`);
    return [];
  }
  const out: string[] = [];
  for (const item of v.items) {
    const n = r.deref(item);
    if (n === null) continue;
    if (!isScalar(n)) {
      r.problem('error', 'type.text', n, `each entry of '${key}' must be a single value`);
      continue;
    }
    setFieldLoc(el, `${key}.${out.length}`, r.loc(n));
    out.push(scalarText(n).trim());
  }
  return out;
}

export function bool(r: Reader, f: Fields, key: string, el: object): boolean | undefined {
  const field = f.get(key);
  if (!field || field.value === null) return undefined;
  setFieldLoc(el, key, field.loc);
  const v = field.value;
  if (isScalar(v)) {
    if (typeof v.value === 'boolean') return v.value;
    const t = scalarText(v).trim().toLowerCase();
    if (t === 'yes' || t === 'true' || t === 'on') return true;
    if (t === 'no' || t === 'false' || t === 'off') return false;
  }
  r.problem('error', 'type.boolean', v, `'${key}' must be true or false`);
  return undefined;
}

export function oneOf<T extends string>(r: Reader, f: Fields, key: string, el: object, allowed: readonly T[], what: string): T | undefined {
  const t = str(r, f, key, el);
  if (t === undefined) return undefined;
  const lower = t.toLowerCase();
  if ((allowed as readonly string[]).includes(lower)) return lower as T;
  r.problem('error', `${what.replace(/ /g, '-')}.unknown`, f.get(key)!.value, `unknown ${what} '${t}'`, closest(t, allowed) ? `did you mean '${closest(t, allowed)}'?` : `one of: ${allowed.join(', ')}`);
  return undefined;
}

export function required(r: Reader, value: string | undefined, node: unknown, what: string, key: string): value is string {
  if (value !== undefined) return true;
  r.problem('error', 'key.missing', node, `${what} needs a '${key}'`);
  return false;
}

export function fieldLocOf(el: object, field: string): SourceLocation | undefined {
  return fieldLoc(el as { loc?: SourceLocation }, field);
}
