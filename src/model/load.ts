import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, isMap, isScalar, parseAllDocuments } from 'yaml';
import { InputError, formatLocation, type SourceLocation } from '../core/errors.ts';
import { parseCidr } from '../core/net.ts';
import { checkAeTitle, readConduit } from './conduit-reader.ts';
import { DEFAULT_CRITICALITY, DEFAULT_SECURITY_LEVEL, DEFAULT_SITE_NAME, DEFAULT_TIMEZONE, defaultDoNotProbe, defaultPhi } from './defaults.ts';
import { ImplicitFields, normalise } from './normalise.ts';
import type { Problem } from './problem.ts';
import { suggestHint } from './suggest.ts';
import {
  ASSET_KINDS, BUILTIN_PROCESSES, PARTNER_KINDS, ZONE_KINDS,
  type Asset, type AssetKind, type Conduit, type Criticality, type Partner, type PartnerKind, type Process,
  type SecurityLevel, type Site, type SiteModel, type Zone, type ZoneKind,
} from './types.ts';
import { Reader, bool, fieldLocOf, fields, keyText, oneOf, required, scalarText, seqItems, str, strList, type Fields, type YNode } from './yaml-reader.ts';

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

