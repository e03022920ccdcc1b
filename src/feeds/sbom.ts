/**
 * Software bills of materials attached to assets: CycloneDX 1.2-1.6 JSON,
 * SPDX 2.2/2.3 JSON and tag-value. Each yields components with name,
 * version, CPE and purl; CycloneDX vulnerabilities with an analysis (VEX)
 * yield not-affected statements keyed by the component reference.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';
import { arr, obj, str, type Obj } from './json.ts';

export interface SbomComponent {
  name: string;
  version?: string;
  supplier?: string;
  group?: string;
  cpe?: string;
  purl?: string;
  /** bom-ref (CycloneDX) or SPDXID, for VEX statements. */
  ref?: string;
  type?: string;
}

/** A VEX statement: this vulnerability, for these component refs, is in this state. */
export interface VexStatement {
  vuln: string;
  /** Component references (bom-ref or purl; BOM-Link prefixes removed). */
  refs: string[];
  state: string;
  justification?: string;
  detail?: string;
  file: string;
}

export interface Sbom {
  format: 'cyclonedx' | 'spdx-json' | 'spdx-tag';
  specVersion: string;
  name?: string;
  components: SbomComponent[];
  vex: VexStatement[];
  file: string;
}

export function readSbom(file: string): Sbom {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read SBOM: ${(err as Error).message}`, { location: { file }, cause: err });
  }
  return parseSbom(text, file);
}

export function parseSbom(text: string, file: string): Sbom {
  const t = text.replace(/^\uFEFF/, '');
  if (/^\s*SPDXVersion:/m.test(t) && !t.trimStart().startsWith('{')) return parseSpdxTag(t, file);
  let doc: unknown;
  try {
    doc = JSON.parse(t);
  } catch (err) {
    throw new InputError(`SBOM is neither JSON nor SPDX tag-value: ${(err as Error).message}`, { location: { file } });
  }
  const o = obj(doc);
  if (o?.bomFormat === 'CycloneDX') return parseCycloneDx(o, file);
  if (o && typeof o.spdxVersion === 'string') return parseSpdxJson(o, file);
  throw new InputError('not a CycloneDX or SPDX 2.x document (no bomFormat or spdxVersion)', { location: { file, line: 1 } });
}

/** "urn:cdx:serial/1#pkg:maven/x@1" -> "pkg:maven/x@1". */
export function stripBomLink(ref: string): string {
  return ref.startsWith('urn:cdx:') && ref.includes('#') ? ref.slice(ref.indexOf('#') + 1) : ref;
}

function parseCycloneDx(o: Obj, file: string): Sbom {
  const components: SbomComponent[] = [];
  const walk = (list: unknown, depth: number) => {
    if (depth > 20) return;
    for (const c of arr(list).map(obj)) {
      if (!c) continue;
      const name = str(c.name);
      if (name) {
        components.push({
          name, version: str(c.version), group: str(c.group), supplier: str(obj(c.supplier)?.name) ?? str(obj(c.manufacturer)?.name) ?? str(c.publisher),
          cpe: str(c.cpe), purl: str(c.purl), ref: str(c['bom-ref']), type: str(c.type),
        });
      }
      walk(c.components, depth + 1);
    }
  };
  const meta = obj(obj(o.metadata)?.component);
  if (meta) walk([meta], 0);
  walk(o.components, 0);
  const vex: VexStatement[] = [];
  for (const v of arr(o.vulnerabilities).map(obj)) {
    const a = obj(v?.analysis);
    const id = str(v?.id);
    if (!v || !a || !id) continue;
    vex.push({
      vuln: id, refs: arr(v.affects).map((x) => str(obj(x)?.ref)).filter((s): s is string => !!s).map(stripBomLink),
      state: str(a.state) ?? 'unknown', justification: str(a.justification), detail: str(a.detail)?.slice(0, 300), file,
    });
  }
  return { format: 'cyclonedx', specVersion: str(o.specVersion) ?? '?', name: str(meta?.name), components, vex, file };
}

function refsOf(p: Obj): { cpe?: string; purl?: string } {
  let cpe: string | undefined, purl: string | undefined;
  for (const r of arr(p.externalRefs).map(obj)) {
    const type = str(r?.referenceType) ?? '';
    const loc = str(r?.referenceLocator);
    if (!loc) continue;
    if (!cpe && /cpe23Type|cpe22Type/i.test(type)) cpe = loc;
    if (!purl && /purl/i.test(type)) purl = loc;
  }
  return { cpe, purl };
}

function supplierName(s: string | undefined): string | undefined {
  if (!s || s === 'NOASSERTION') return undefined;
  return s.replace(/^(Organization|Person|Tool):\s*/i, '').replace(/\s*\(.*\)\s*$/, '');
}

function parseSpdxJson(o: Obj, file: string): Sbom {
  const components: SbomComponent[] = [];
  for (const p of arr(o.packages).map(obj)) {
    const name = str(p?.name);
    if (!p || !name) continue;
    components.push({ name, version: str(p.versionInfo), supplier: supplierName(str(p.supplier)), ref: str(p.SPDXID), ...refsOf(p) });
  }
  return { format: 'spdx-json', specVersion: str(o.spdxVersion) ?? '?', name: str(o.name), components, vex: [], file };
}

function parseSpdxTag(text: string, file: string): Sbom {
  const components: SbomComponent[] = [];
  let cur: SbomComponent | undefined;
  let version = '?';
  let name: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^([A-Za-z]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    const [, tag, value] = m;
    if (tag === 'SPDXVersion') version = value.trim();
    else if (tag === 'DocumentName') name = value.trim();
    else if (tag === 'PackageName') { cur = { name: value.trim() }; components.push(cur); }
    else if (tag === 'FileName' || tag === 'SnippetSPDXID') cur = undefined;
    else if (cur && tag === 'SPDXID') cur.ref = value.trim();
    else if (cur && tag === 'PackageVersion') cur.version = value.trim();
    else if (cur && tag === 'PackageSupplier') cur.supplier = supplierName(value.trim());
    else if (cur && tag === 'ExternalRef') {
      const [, type, loc] = value.trim().split(/\s+/);
      if (loc && /cpe2[23]Type/.test(type) && !cur.cpe) cur.cpe = loc;
      if (loc && /purl/.test(type) && !cur.purl) cur.purl = loc;
    }
  }
  if (version === '?') throw new InputError('SPDX tag-value without SPDXVersion', { location: { file, line: 1 } });
  return { format: 'spdx-tag', specVersion: version, name, components, vex: [], file };
}
