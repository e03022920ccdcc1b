import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Scalar, type YAMLMap } from 'yaml';
import { InputError, formatLocation, type SourceLocation } from '../core/errors.ts';
import { parseCidr } from '../core/net.ts';
import { DEFAULT_CRITICALITY, DEFAULT_SECURITY_LEVEL, DEFAULT_SITE_NAME, DEFAULT_TIMEZONE, defaultDoNotProbe, defaultPhi } from './defaults.ts';
import { ImplicitFields, normalise } from './normalise.ts';
import { fieldLoc as fieldLocOfLocated, setFieldLoc } from './locations.ts';
import type { Problem } from './problem.ts';
import { parseService } from './service.ts';
import { closest, suggestHint } from './suggest.ts';
import {
  ASSET_KINDS, BUILTIN_PROCESSES, PARTNER_KINDS, ZONE_KINDS,
  type Asset, type AssetKind, type Conduit, type Criticality, type DicomIdentity, type EndpointRef, type FhirIdentity,
  type Hl7Identity, type Partner, type PartnerKind, type Process, type SecurityLevel, type ServiceSpec, type Site,
  type SiteModel, type Zone, type ZoneKind,
} from './types.ts';

export interface LoadedModel {
  model: SiteModel;
  /** Problems found while reading: bad values, unknown keys and kinds. Cross-references are validate's job. */
  problems: Problem[];
}

/** A model source: its file name (as shown in locations) and its text. */
export interface ModelSource {
  file: string;
  text: string;
}

const CRITICALITIES: readonly Criticality[] = ['low', 'medium', 'high', 'critical'];
const SECTIONS = ['site', 'processes', 'zones', 'assets', 'conduits', 'partners'] as const;
/** Anchors and aliases are allowed, within reason: a billion-laughs file must not hang the loader. */
const MAX_ALIASES = 10_000;

/** The YAML files of a model: the file itself, or a directory's *.yaml|*.yml in name order. */
export function modelFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`no site model at ${path}`, { location: { file: path }, hint: 'pass a YAML file or a directory of them; `wardline init` writes a starter model' });
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.ya?ml$/i.test(extname(f)) && !f.startsWith('.'))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new InputError(`no *.yaml or *.yml files in ${path}`, { location: { file: path } });
  return files;
}

/** Loads a model from a YAML file or a directory; broken YAML throws InputError with file:line:column. */
export function loadModel(path: string): LoadedModel {
  const sources = modelFiles(path).map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { location: { file }, cause: err });
    }
  });
  return loadModelSources(sources);
}

/** Loads a model from in-memory sources, merged in the given order. */
export function loadModelSources(sources: readonly ModelSource[]): LoadedModel {
  const parts = new Parts();
  const problems: Problem[] = [];
  for (const s of sources) readSource(s, parts, problems);
  const model: SiteModel = {
    site: parts.site ?? { name: DEFAULT_SITE_NAME, timezone: DEFAULT_TIMEZONE },
    processes: [
      ...BUILTIN_PROCESSES.map((name): Process => ({ name, builtin: true })),
      ...parts.processes,
    ],
    zones: parts.zones,
    assets: parts.assets,
    conduits: parts.conduits,
    partners: parts.partners,
    files: sources.map((s) => s.file),
  };
  if (!parts.site && sources.length) {
    problems.push({ severity: 'warning', code: 'site.missing', message: `no site section; using name '${DEFAULT_SITE_NAME}', timezone ${DEFAULT_TIMEZONE}`, location: { file: sources[0].file }, hint: 'add `site: { name: ..., timezone: Europe/Dublin }`' });
  }
  normalise(model, parts.implicit, problems);
  return { model, problems };
}

/** What the sections of all files add up to, plus which values were left to defaults. */
class Parts {
  site: Site | undefined;
  siteLoc: SourceLocation | undefined;
  processes: Process[] = [];
  zones: Zone[] = [];
  assets: Asset[] = [];
  conduits: Conduit[] = [];
  partners: Partner[] = [];
  implicit = new ImplicitFields();
}

type YNode = Scalar | YAMLMap | { items: unknown[] } | null;

class Reader {
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

function readSource(src: ModelSource, parts: Parts, problems: Problem[]): void {
  const lc = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw new InputError(`cannot parse YAML: ${(err as Error).message}`, { location: { file: src.file }, cause: err });
  }
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const p = lc.linePos(err.pos[0]);
      let msg = err.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
      if (/call stack/i.test(msg)) msg = 'the document nests too deeply';
      throw new InputError(`YAML syntax: ${msg}`, { location: { file: src.file, line: p.line, column: p.col }, hint: yamlHint(err.code) });
    }
  }
  for (const doc of list) {
    const r = new Reader(src.file, lc, doc, problems);
    const root = r.deref(doc.contents);
    if (root === null) continue;
    if (!isMap(root)) {
      r.problem('error', 'yaml.root', root, 'a model file must be a mapping of sections (site, processes, zones, assets, conduits, partners)');
      continue;
    }
    for (const pair of root.items) {
      const key = keyText(r, pair.key);
      if (key === undefined) continue;
      const value = r.deref(pair.value);
      switch (key) {
        case 'site':
          readSite(r, value, pair.key, parts);
          break;
        case 'processes':
          for (const item of seqItems(r, value, pair.key, 'processes')) { const p = readProcess(r, item); if (p) parts.processes.push(p); }
          break;
        case 'zones':
          for (const item of seqItems(r, value, pair.key, 'zones')) { const z = readZone(r, item); if (z) parts.zones.push(z); }
          break;
        case 'assets':
          for (const item of seqItems(r, value, pair.key, 'assets')) { const a = readAsset(r, item); if (a) parts.assets.push(a); }
          break;
        case 'conduits':
          for (const item of seqItems(r, value, pair.key, 'conduits')) { const c = readConduit(r, item, parts.implicit); if (c) parts.conduits.push(c); }
          break;
        case 'partners':
          for (const item of seqItems(r, value, pair.key, 'partners')) { const p = readPartner(r, item); if (p) parts.partners.push(p); }
          break;
        default:
          // x-* sections hold anchors for merge keys (`x-monitor: &monitor {...}`) and are otherwise ignored.
          if (key.startsWith('x-')) break;
          r.problem('error', 'key.unknown', pair.key, `unknown section '${key}'`, suggestHint(key, SECTIONS, 'sections') ?? 'sections named x-... are ignored (for YAML anchors)');
      }
    }
  }
}

function yamlHint(code: string): string | undefined {
  if (code === 'DUPLICATE_KEY') return 'each key may appear once per mapping';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR') return 'check the indentation and that list items start with "- "';
  if (code === 'TAB_AS_INDENT') return 'YAML indentation must use spaces, not tabs';
  return undefined;
}

function keyText(r: Reader, key: unknown): string | undefined {
  const k = r.deref(key);
  if (k && isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
  r.problem('error', 'key.invalid', key, 'keys must be plain words');
  return undefined;
}

function seqItems(r: Reader, value: YNode, at: unknown, what: string): unknown[] {
  if (value === null) return [];
  if (!isSeq(value)) {
    r.problem('error', 'type.list', value, `'${what}' must be a list`, `write each entry on its own line starting with "- "`);
    return [];
  }
  return value.items;
}

function scalarText(s: Scalar): string {
  if (typeof s.value === 'string') return s.value;
  // Keep what was written: "version: 1.10" must stay 1.10, not become the number 1.1.
  return typeof s.source === 'string' && s.source !== '' ? s.source : String(s.value);
}

interface Field {
  key: unknown;
  value: YNode;
  /** Where the value is (or the key, when the value is empty). */
  loc: SourceLocation;
}

type Fields = Map<string, Field>;

/** Reads a mapping's keys against the allowed ones; `aliases` maps short forms ("cidr") to the canonical key. */
function fields(r: Reader, node: YNode, what: string, allowed: readonly string[], aliases: Record<string, string> = {}, depth = 0): Fields | undefined {
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

function str(r: Reader, f: Fields, key: string, el?: object): string | undefined {
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

function strList(r: Reader, f: Fields, key: string, el: object): string[] {
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

function bool(r: Reader, f: Fields, key: string, el: object): boolean | undefined {
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

function oneOf<T extends string>(r: Reader, f: Fields, key: string, el: object, allowed: readonly T[], what: string): T | undefined {
  const t = str(r, f, key, el);
  if (t === undefined) return undefined;
  const lower = t.toLowerCase();
  if ((allowed as readonly string[]).includes(lower)) return lower as T;
  r.problem('error', `${what.replace(/ /g, '-')}.unknown`, f.get(key)!.value, `unknown ${what} '${t}'`, closest(t, allowed) ? `did you mean '${closest(t, allowed)}'?` : `one of: ${allowed.join(', ')}`);
  return undefined;
}

function required(r: Reader, value: string | undefined, node: unknown, what: string, key: string): value is string {
  if (value !== undefined) return true;
  r.problem('error', 'key.missing', node, `${what} needs a '${key}'`);
  return false;
}

function readSite(r: Reader, node: YNode, keyNode: unknown, parts: Parts): void {
  const loc = r.loc(keyNode);
  if (parts.site) {
    r.problem('error', 'site.duplicate', keyNode, 'the site is defined twice', `the first definition is at ${parts.siteLoc ? formatLocation(parts.siteLoc) : 'another file'}`);
    return;
  }
  const f = fields(r, node, 'site', ['name', 'timezone', 'description']);
  if (!f) return;
  const site: Site = { name: DEFAULT_SITE_NAME, timezone: DEFAULT_TIMEZONE };
  site.name = str(r, f, 'name', site) ?? DEFAULT_SITE_NAME;
  const tz = str(r, f, 'timezone', site);
  if (tz !== undefined) {
    if (validTimezone(tz)) site.timezone = tz;
    else r.problem('error', 'site.timezone', f.get('timezone')!.value, `unknown timezone '${tz}'`, 'use an IANA name such as Europe/Dublin or America/Chicago');
  }
  parts.site = site;
  parts.siteLoc = loc;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function readProcess(r: Reader, item: unknown): Process | undefined {
  const node = r.deref(item);
  if (node && isScalar(node)) {
    return { name: scalarText(node).trim(), builtin: false, loc: r.loc(node) };
  }
  const f = fields(r, node, 'processes', ['name', 'description']);
  if (!f) return undefined;
  const p: Process = { name: '', builtin: false, loc: r.loc(node) };
  const name = str(r, f, 'name', p);
  if (!required(r, name, node, 'a process', 'name')) return undefined;
  p.name = name;
  const d = str(r, f, 'description', p);
  if (d !== undefined) p.description = d;
  return p;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkName(r: Reader, f: Fields, name: string, what: string): void {
  if (!NAME_RE.test(name)) {
    r.problem('error', 'name.invalid', f.get('name')!.value, `${what} name '${name}' may only contain letters, digits, '.', '_' and '-'`, 'names are used in references like zone:NAME');
  }
}

function checkCidrs(r: Reader, el: object, list: string[], key: string, what: string): void {
  list.forEach((text, i) => {
    const at = fieldLocOf(el, `${key}.${i}`);
    const c = parseCidr(text);
    if (!c) {
      r.problem('error', 'address.invalid', null, `'${text}' is not an IPv4/IPv6 address or CIDR (${what})`, 'e.g. 10.20.10.0/24, 10.20.10.11 or fd00:20::/64', at);
      return;
    }
    if (text.includes('/')) {
      const bits = c.family === 4 ? 32 : 128;
      const ip = text.split('/')[0];
      const host = parseCidr(`${ip}/${bits}`);
      if (host && host.base !== c.base) {
        r.problem('warning', 'address.host-bits', null, `'${text}' has host bits set; it means the network of prefix /${c.prefix}`, 'write the network address', at);
      }
    }
  });
}

function fieldLocOf(el: object, field: string): SourceLocation | undefined {
  return fieldLocOfLocated(el as { loc?: SourceLocation }, field);
}

function readZone(r: Reader, item: unknown): Zone | undefined {
  const node = r.deref(item);
  const f = fields(r, node, 'a zone', ['name', 'cidrs', 'processes', 'kind', 'securityLevel', 'internetFacing', 'description'], { cidr: 'cidrs', process: 'processes', sl: 'securityLevel' });
  if (!f) return undefined;
  const z: Zone = { name: '', cidrs: [], processes: [], kind: 'server', securityLevel: DEFAULT_SECURITY_LEVEL, internetFacing: false, loc: r.loc(node) };
  const name = str(r, f, 'name', z);
  if (!required(r, name, node, 'a zone', 'name')) return undefined;
  z.name = name;
  checkName(r, f, name, 'zone');
  const kind = oneOf<ZoneKind>(r, f, 'kind', z, ZONE_KINDS, 'zone kind');
  if (kind) z.kind = kind;
  else if (!f.has('kind')) r.problem('error', 'key.missing', node, `zone '${name}' needs a 'kind'`, `one of: ${ZONE_KINDS.join(', ')}`);
  z.cidrs = strList(r, f, 'cidrs', z);
  checkCidrs(r, z, z.cidrs, 'cidrs', `zone ${name}`);
  if (z.cidrs.length === 0 && z.kind !== 'external') {
    r.problem('error', 'key.missing', node, `zone '${name}' needs 'cidrs'`, 'only the external zone may omit them (it then means every address not in another zone)');
  }
  z.processes = strList(r, f, 'processes', z);
  const sl = str(r, f, 'securityLevel', z);
  if (sl !== undefined) {
    const n = Number(sl.replace(/^SL-?/i, ''));
    if (Number.isInteger(n) && n >= 1 && n <= 4) z.securityLevel = n as SecurityLevel;
    else r.problem('error', 'zone.security-level', f.get('securityLevel')!.value, `security level '${sl}' must be 1, 2, 3 or 4`, 'IEC 62443-3-2 target security level (SL-T)');
  }
  z.internetFacing = bool(r, f, 'internetFacing', z) ?? z.kind === 'external';
  const d = str(r, f, 'description', z);
  if (d !== undefined) z.description = d;
  return z;
}

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;
const CPE_RE = /^cpe:2\.3:[aho*-](:(?:[^:\\]|\\.)*){10}$/;

function readAsset(r: Reader, item: unknown): Asset | undefined {
  const node = r.deref(item);
  const f = fields(r, node, 'an asset', [
    'name', 'addresses', 'macs', 'hostnames', 'kind', 'vendor', 'product', 'version', 'cpe', 'process', 'zone', 'phi',
    'criticality', 'doNotProbe', 'owner', 'aeTitles', 'hl7Applications', 'sbom', 'description',
  ], { address: 'addresses', ip: 'addresses', mac: 'macs', hostname: 'hostnames', aeTitle: 'aeTitles', hl7Application: 'hl7Applications' });
  if (!f) return undefined;
  const a: Asset = {
    name: '', addresses: [], macs: [], hostnames: [], kind: 'other', phi: false, criticality: DEFAULT_CRITICALITY,
    doNotProbe: false, aeTitles: [], hl7Applications: [], loc: r.loc(node),
  };
  const name = str(r, f, 'name', a);
  if (!required(r, name, node, 'an asset', 'name')) return undefined;
  a.name = name;
  checkName(r, f, name, 'asset');
  const kind = oneOf<AssetKind>(r, f, 'kind', a, ASSET_KINDS, 'asset kind');
  if (kind) a.kind = kind;
  else if (!f.has('kind')) r.problem('error', 'key.missing', node, `asset '${name}' needs a 'kind'`, 'e.g. ct, mr, pacs, emr, workstation, infusion-pump, other');
  a.addresses = strList(r, f, 'addresses', a);
  checkCidrs(r, a, a.addresses, 'addresses', `asset ${name}`);
  a.macs = strList(r, f, 'macs', a).map((m, i) => {
    if (!MAC_RE.test(m)) r.problem('error', 'asset.mac', null, `'${m}' is not a MAC address`, 'six hex pairs, e.g. 00:1b:63:84:45:e6', fieldLocOf(a, `macs.${i}`));
    return m.toLowerCase().replace(/-/g, ':');
  });
  a.hostnames = strList(r, f, 'hostnames', a);
  for (const k of ['vendor', 'product', 'version', 'cpe', 'process', 'zone', 'owner', 'sbom', 'description'] as const) {
    const v = str(r, f, k, a);
    if (v !== undefined) a[k] = v;
  }
  if (a.cpe !== undefined && !CPE_RE.test(a.cpe)) {
    r.problem('warning', 'asset.cpe', f.get('cpe')!.value, `'${a.cpe}' is not a CPE 2.3 formatted string`, 'e.g. cpe:2.3:a:orthanc-server:orthanc:1.10.1:*:*:*:*:*:*:* (13 parts)');
  }
  const phi = bool(r, f, 'phi', a);
  a.phi = phi ?? defaultPhi(a.kind);
  const crit = oneOf<Criticality>(r, f, 'criticality', a, CRITICALITIES, 'criticality');
  if (crit) a.criticality = crit;
  a.doNotProbe = bool(r, f, 'doNotProbe', a) ?? defaultDoNotProbe(a.kind);
  a.aeTitles = strList(r, f, 'aeTitles', a);
  a.aeTitles.forEach((ae, i) => checkAeTitle(r, ae, fieldLocOf(a, `aeTitles.${i}`)));
  a.hl7Applications = strList(r, f, 'hl7Applications', a);
  return a;
}

/** DICOM PS3.5: an AE title is 1-16 characters of the default repertoire, no backslash or control characters. */
function checkAeTitle(r: Reader, ae: string, at: SourceLocation | undefined): void {
  if (ae.length === 0 || ae.length > 16 || /[\\\x00-\x1f\x7f]/.test(ae) || /[^\x20-\x7e]/.test(ae)) {
    r.problem('error', 'dicom.ae-title', null, `'${ae}' is not a valid DICOM AE title`, 'at most 16 printable ASCII characters, no backslash', at);
  }
}

function readPartner(r: Reader, item: unknown): Partner | undefined {
  const node = r.deref(item);
  const f = fields(r, node, 'a partner', ['name', 'kind', 'addresses', 'hostnames', 'description'], { address: 'addresses', ip: 'addresses', hostname: 'hostnames' });
  if (!f) return undefined;
  const p: Partner = { name: '', kind: 'other', addresses: [], hostnames: [], loc: r.loc(node) };
  const name = str(r, f, 'name', p);
  if (!required(r, name, node, 'a partner', 'name')) return undefined;
  p.name = name;
  checkName(r, f, name, 'partner');
  p.kind = oneOf<PartnerKind>(r, f, 'kind', p, PARTNER_KINDS, 'partner kind') ?? 'other';
  p.addresses = strList(r, f, 'addresses', p);
  checkCidrs(r, p, p.addresses, 'addresses', `partner ${name}`);
  p.hostnames = strList(r, f, 'hostnames', p);
  if (p.addresses.length === 0 && p.hostnames.length === 0) {
    r.problem('warning', 'partner.unreachable', node, `partner '${name}' has neither addresses nor hostnames`, 'traffic to it cannot be recognised');
  }
  const d = str(r, f, 'description', p);
  if (d !== undefined) p.description = d;
  return p;
}

const ENDPOINT_KINDS = ['zone', 'asset', 'partner'] as const;

function readEndpoint(r: Reader, f: Fields, key: 'from' | 'to', c: Conduit, implicit: ImplicitFields): EndpointRef | undefined {
  const field = f.get(key);
  if (!field || field.value === null) {
    r.problem('error', 'key.missing', field?.key ?? null, `conduit needs '${key}'`, 'e.g. zone:imaging-servers, asset:pacs-main or partner:clearinghouse', field ? undefined : c.loc);
    return undefined;
  }
  setFieldLoc(c, key, field.loc);
  const v = field.value;
  if (isScalar(v)) {
    const t = scalarText(v).trim();
    const m = /^([a-z]+):(.+)$/.exec(t);
    if (!m) {
      const bare = implicit.bareEndpoints.get(c) ?? {};
      bare[key] = t;
      implicit.bareEndpoints.set(c, bare);
      return { zone: t };
    }
    const kind = m[1] as (typeof ENDPOINT_KINDS)[number];
    if (!ENDPOINT_KINDS.includes(kind)) {
      r.problem('error', 'conduit.endpoint', v, `'${m[1]}:' is not an endpoint kind`, suggestHint(m[1], ENDPOINT_KINDS, 'endpoint kinds'));
      return undefined;
    }
    return endpoint(kind, m[2].trim());
  }
  const ef = fields(r, v, `conduit '${key}'`, ENDPOINT_KINDS);
  if (!ef) return undefined;
  const present = ENDPOINT_KINDS.filter((k) => ef.has(k));
  if (present.length !== 1) {
    r.problem('error', 'conduit.endpoint', v, `conduit '${key}' must name exactly one of zone, asset or partner`);
    return undefined;
  }
  const name = str(r, ef, present[0]);
  return name === undefined ? undefined : endpoint(present[0], name);
}

function endpoint(kind: 'zone' | 'asset' | 'partner', name: string): EndpointRef {
  return kind === 'zone' ? { zone: name } : kind === 'asset' ? { asset: name } : { partner: name };
}

function readServices(r: Reader, f: Fields, c: Conduit): ServiceSpec[] {
  const field = f.get('services');
  if (!field || field.value === null) {
    r.problem('error', 'key.missing', field?.key ?? null, `conduit${c.id ? ` '${c.id}'` : ''} needs 'services'`, 'e.g. services: [dicom] or [tcp/2575:hl7]; write tcp for any TCP port', field ? undefined : c.loc);
    return [];
  }
  setFieldLoc(c, 'services', field.loc);
  const items = isSeq(field.value) ? field.value.items : [field.value];
  const out: ServiceSpec[] = [];
  for (const item of items) {
    const n = r.deref(item);
    if (n === null) continue;
    let s: ServiceSpec | undefined;
    if (isScalar(n)) {
      const parsed = parseService(scalarText(n));
      if (typeof parsed === 'string') r.problem('error', 'conduit.service', n, parsed, 'e.g. dicom, dicom/104,11112, tcp/2575:hl7, tcp/8000-8100, udp/53, https');
      else s = parsed;
    } else {
      s = readLongService(r, n);
    }
    if (s) {
      setFieldLoc(c, `services.${out.length}`, r.loc(n));
      out.push(s);
    }
  }
  return out;
}

function readLongService(r: Reader, n: YNode): ServiceSpec | undefined {
  const f = fields(r, n, 'a service', ['transport', 'ports', 'protocol'], { port: 'ports' });
  if (!f) return undefined;
  const holder = {};
  const transport = oneOf<'tcp' | 'udp'>(r, f, 'transport', holder, ['tcp', 'udp'], 'transport');
  if (!transport) {
    if (!f.has('transport')) r.problem('error', 'key.missing', n, "a service needs 'transport: tcp' or 'transport: udp'");
    return undefined;
  }
  const ports: Array<number | [number, number]> = [];
  for (const [i, text] of strList(r, f, 'ports', holder).entries()) {
    const parsed = parseService(`${transport}/${text}`);
    if (typeof parsed === 'string') r.problem('error', 'conduit.service', null, parsed, 'ports are numbers 1-65535 or ranges like 8000-8100', fieldLocOf(holder, `ports.${i}`));
    else ports.push(...parsed.ports);
  }
  const protocol = str(r, f, 'protocol', holder)?.toLowerCase();
  return protocol ? { transport, ports, protocol } : { transport, ports };
}

const DICOM_KEYS = ['callingAeTitles', 'calledAeTitles'];
const HL7_KEYS = ['sendingApplications', 'sendingFacilities', 'receivingApplications', 'receivingFacilities', 'messageTypes', 'allowedSegments', 'allowedFields'];
const MESSAGE_TYPE_RE = /^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/;
const SEGMENT_RE = /^[A-Z][A-Z0-9]{2}$/;
const FIELD_RE = /^[A-Z][A-Z0-9]{2}-\d{1,3}(\.\d{1,3}){0,2}$/;
const FHIR_RESOURCE_RE = /^[A-Z][A-Za-z]+$/;

function readDicom(r: Reader, f: Fields, c: Conduit): DicomIdentity | undefined {
  const field = f.get('dicom');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'dicom', field.loc);
  const df = fields(r, field.value, 'dicom', DICOM_KEYS, { callingAeTitle: 'callingAeTitles', calledAeTitle: 'calledAeTitles', calling: 'callingAeTitles', called: 'calledAeTitles' });
  if (!df) return undefined;
  const holder = {};
  const out: DicomIdentity = {};
  for (const k of DICOM_KEYS as Array<keyof DicomIdentity>) {
    if (!df.has(k)) continue;
    const list = strList(r, df, k, holder);
    list.forEach((ae, i) => checkAeTitle(r, ae, fieldLocOf(holder, `${k}.${i}`)));
    out[k] = list;
  }
  return out;
}

function readHl7(r: Reader, f: Fields, c: Conduit): Hl7Identity | undefined {
  const field = f.get('hl7');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'hl7', field.loc);
  const hf = fields(r, field.value, 'hl7', HL7_KEYS, { messageType: 'messageTypes', sendingApplication: 'sendingApplications', receivingApplication: 'receivingApplications', sendingFacility: 'sendingFacilities', receivingFacility: 'receivingFacilities' });
  if (!hf) return undefined;
  const holder = {};
  const out: Hl7Identity = {};
  for (const k of HL7_KEYS as Array<keyof Hl7Identity>) {
    if (!hf.has(k)) continue;
    const list = strList(r, hf, k, holder);
    const re = k === 'messageTypes' ? MESSAGE_TYPE_RE : k === 'allowedSegments' ? SEGMENT_RE : k === 'allowedFields' ? FIELD_RE : undefined;
    const example = k === 'messageTypes' ? 'ADT^A01 or ADT' : k === 'allowedSegments' ? 'PID' : 'PID-5 or PID-3.1';
    list.forEach((v, i) => {
      if (re && !re.test(v)) r.problem('error', 'hl7.identity', null, `'${v}' is not a valid ${k === 'messageTypes' ? 'HL7 message type' : k === 'allowedSegments' ? 'HL7 segment' : 'HL7 field'}`, `e.g. ${example}`, fieldLocOf(holder, `${k}.${i}`));
    });
    out[k] = list;
  }
  return out;
}

function readFhir(r: Reader, f: Fields, c: Conduit): FhirIdentity | undefined {
  const field = f.get('fhir');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'fhir', field.loc);
  const ff = fields(r, field.value, 'fhir', ['allowedResources'], { resources: 'allowedResources' });
  if (!ff) return undefined;
  const holder = {};
  const list = strList(r, ff, 'allowedResources', holder);
  list.forEach((v, i) => {
    if (!FHIR_RESOURCE_RE.test(v)) r.problem('error', 'fhir.resource', null, `'${v}' is not a FHIR resource type`, 'e.g. Appointment, Patient, Observation', fieldLocOf(holder, `allowedResources.${i}`));
  });
  return { allowedResources: list };
}

function readConduit(r: Reader, item: unknown, implicit: ImplicitFields): Conduit | undefined {
  const node = r.deref(item);
  const f = fields(r, node, 'a conduit', [
    'id', 'from', 'to', 'services', 'dicom', 'hl7', 'fhir', 'tlsRequired', 'phiAllowed', 'owner', 'justification', 'expires',
  ], { name: 'id', service: 'services' });
  if (!f) return undefined;
  const c: Conduit = { id: '', from: { zone: '' }, to: { zone: '' }, services: [], tlsRequired: false, phiAllowed: true, loc: r.loc(node) };
  const id = str(r, f, 'id', c);
  if (id !== undefined) c.id = id;
  else implicit.conduitId.add(c);
  const from = readEndpoint(r, f, 'from', c, implicit);
  const to = readEndpoint(r, f, 'to', c, implicit);
  if (!from || !to) return undefined;
  c.from = from;
  c.to = to;
  c.services = readServices(r, f, c);
  const dicom = readDicom(r, f, c);
  if (dicom) c.dicom = dicom;
  const hl7 = readHl7(r, f, c);
  if (hl7) c.hl7 = hl7;
  const fhir = readFhir(r, f, c);
  if (fhir) c.fhir = fhir;
  c.tlsRequired = bool(r, f, 'tlsRequired', c) ?? false;
  const phi = bool(r, f, 'phiAllowed', c);
  if (phi === undefined) implicit.conduitPhi.add(c);
  else c.phiAllowed = phi;
  for (const k of ['owner', 'justification'] as const) {
    const v = str(r, f, k, c);
    if (v !== undefined) c[k] = v;
  }
  const exp = str(r, f, 'expires', c);
  if (exp !== undefined) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(exp) && !Number.isNaN(Date.parse(`${exp}T00:00:00Z`)) && new Date(`${exp}T00:00:00Z`).toISOString().startsWith(exp)) c.expires = exp;
    else r.problem('error', 'conduit.expires', f.get('expires')!.value, `'${exp}' is not a date`, 'write YYYY-MM-DD, e.g. 2026-12-31');
  }
  return c;
}
