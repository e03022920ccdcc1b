import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { formatLocation, type SourceLocation } from '../core/errors.ts';
import { cidrContains, cidrsOverlap, parseCidr, type Cidr } from '../core/net.ts';
import { ModelIndex, endpointText } from './index.ts';
import { fieldLoc, hasField } from './locations.ts';
import type { Problem } from './problem.ts';
import { CLEARTEXT_PROTOCOLS, IDENTITY_PROTOCOLS, formatService } from './service.ts';
import { suggestHint } from './suggest.ts';
import type { Conduit, EndpointRef, Located, SiteModel, Zone } from './types.ts';

export interface ValidateOptions {
  /** Reference time for expiry checks (ms since epoch); default now. */
  now?: number;
}

const DAY = 86_400_000;

/**
 * Cross-checks a loaded model: references, address plan, duplicates and
 * contradictory conduits. Returns every problem; never throws.
 */
export function validateModel(model: SiteModel, opts: ValidateOptions = {}): Problem[] {
  const v = new Validator(model, opts.now ?? Date.now());
  v.duplicates();
  v.zones();
  v.assets();
  v.partners();
  v.conduits();
  return v.problems;
}

function where(loc: SourceLocation | undefined): string {
  return loc ? formatLocation(loc) : 'built in';
}

class Validator {
  readonly problems: Problem[] = [];
  private readonly model: SiteModel;
  private readonly now: number;
  private readonly index: ModelIndex;

  constructor(model: SiteModel, now: number) {
    this.model = model;
    this.now = now;
    this.index = new ModelIndex(model);
  }

  private add(severity: 'error' | 'warning', code: string, location: SourceLocation | undefined, message: string, hint?: string): void {
    this.problems.push({ severity, code, message, ...(location ? { location } : {}), ...(hint ? { hint } : {}) });
  }

  duplicates(): void {
    const check = <T extends Located>(list: readonly T[], key: (x: T) => string, what: string, field: string) => {
      const seen = new Map<string, T>();
      for (const x of list) {
        const k = key(x);
        const first = seen.get(k);
        if (first) this.add('error', 'name.duplicate', fieldLoc(x, field), `duplicate ${what} '${k}'`, `first defined at ${where(first.loc)}`);
        else seen.set(k, x);
      }
    };
    check(this.model.processes, (p) => p.name, 'process', 'name');
    check(this.model.zones, (z) => z.name, 'zone', 'name');
    check(this.model.assets, (a) => a.name, 'asset', 'name');
    check(this.model.partners, (p) => p.name, 'partner', 'name');
    check(this.model.conduits, (c) => c.id, 'conduit id', 'id');
  }

  private checkProcesses(el: Located, list: readonly string[]): void {
    const known = [...this.index.processes.keys()];
    list.forEach((p, i) => {
      if (!this.index.processes.has(p)) {
        this.add('error', 'ref.unknown-process', fieldLoc(el, `processes.${i}`) ?? fieldLoc(el, 'process'), `unknown process '${p}'`,
          suggestHint(p, known, 'processes') ?? 'declare custom processes under `processes:`');
      }
    });
  }

  zones(): void {
    const parsed: Array<{ zone: Zone; cidr: Cidr; i: number }> = [];
    for (const z of this.model.zones) {
      this.checkProcesses(z, z.processes);
      z.cidrs.forEach((text, i) => {
        const c = parseCidr(text);
        if (c) parsed.push({ zone: z, cidr: c, i });
      });
      if (z.kind === 'external' && z.securityLevel > 1 && hasField(z, 'securityLevel')) {
        this.add('warning', 'zone.external-sl', fieldLoc(z, 'securityLevel'), `external zone '${z.name}' has a target security level; nothing outside the site can be held to it`, 'omit securityLevel on the external zone');
      }
      const phi = this.index.assetsInZone(z.name).filter((a) => a.phi);
      if (z.internetFacing && z.kind !== 'external' && phi.length) {
        const names = phi.slice(0, 5).map((a) => a.name).join(', ') + (phi.length > 5 ? `, and ${phi.length - 5} more` : '');
        this.add('warning', 'zone.internet-facing-phi', fieldLoc(z, 'internetFacing'),
          `internet-facing zone '${z.name}' holds ${phi.length} asset(s) handling PHI: ${names}`,
          'keep PHI stores off internet-facing zones, or front them with a proxy (HICP TV2 Practice 6; HIPAA 164.312(e)(1))');
      }
    }
    // Catch-alls (0.0.0.0/0, ::/0) are the external zone's fallback, not an overlap.
    const specific = parsed.filter((p) => p.cidr.prefix > 0);
    for (let j = 0; j < specific.length; j++) {
      for (let k = 0; k < j; k++) {
        const a = specific[k];
        const b = specific[j];
        if (!cidrsOverlap(a.cidr, b.cidr)) continue;
        const same = a.zone === b.zone;
        this.add(same ? 'warning' : 'error', 'zone.overlap', fieldLoc(b.zone, `cidrs.${b.i}`),
          same
            ? `CIDR ${b.cidr.text} overlaps ${a.cidr.text} of the same zone '${a.zone.name}'`
            : `zone '${b.zone.name}' CIDR ${b.cidr.text} overlaps zone '${a.zone.name}' CIDR ${a.cidr.text}`,
          `zones must not share addresses; ${a.cidr.text} is at ${where(fieldLoc(a.zone, `cidrs.${a.i}`))}`);
      }
    }
  }

  assets(): void {
    const byAddress = new Map<string, { name: string; loc?: SourceLocation }>();
    const byMac = new Map<string, string>();
    const byAe = new Map<string, string>();
    const zoneNames = [...this.index.zones.keys()];
    for (const a of this.model.assets) {
      if (a.process !== undefined) this.checkProcesses(a, [a.process]);
      const zone = a.zone === undefined ? undefined : this.index.zones.get(a.zone);
      const explicitZone = hasField(a, 'zone');
      if (a.zone !== undefined && !zone) {
        this.add('error', 'ref.unknown-zone', fieldLoc(a, 'zone'), `asset '${a.name}' is in unknown zone '${a.zone}'`, suggestHint(a.zone, zoneNames, 'zones'));
      }
      if (zone && a.process !== undefined && zone.processes.length && !zone.processes.includes(a.process) && this.index.processes.has(a.process)) {
        this.add('warning', 'asset.process-zone', fieldLoc(a, 'process'), `asset '${a.name}' serves process '${a.process}', which zone '${zone.name}' does not list`, `add it to the zone's processes (${zone.processes.join(', ')}) or move the asset`);
      }
      if (a.addresses.length === 0 && a.macs.length === 0 && a.hostnames.length === 0) {
        this.add('warning', 'asset.unaddressed', a.loc, `asset '${a.name}' has no address, MAC or hostname`, 'it cannot be recognised in traffic');
      }
      a.addresses.forEach((text, i) => {
        const c = parseCidr(text);
        if (!c) return;
        const at = fieldLoc(a, `addresses.${i}`);
        const key = `${c.family}:${c.base}/${c.prefix}`;
        const prev = byAddress.get(key);
        if (prev && prev.name !== a.name) this.add('error', 'asset.address-duplicate', at, `address ${text} is also asset '${prev.name}'s`, `first at ${where(prev.loc)}`);
        else byAddress.set(key, { name: a.name, loc: at });
        const probe = { family: c.family, value: c.base };
        const inner = this.index.zoneFor(text.split('/')[0]);
        if (zone) {
          const inDeclared = zone.kind === 'external' && zone.cidrs.length === 0
            ? true
            : zone.cidrs.some((zc) => { const p = parseCidr(zc); return !!p && p.prefix <= c.prefix && cidrContains(p, probe); });
          if (!inDeclared) {
            this.add('error', 'asset.outside-zone', at, `address ${text} of asset '${a.name}' is outside its zone '${zone.name}' (${zone.cidrs.join(', ') || 'no CIDRs'})`,
              inner && inner !== zone ? `it falls in zone '${inner.name}'; fix the address or the zone` : 'fix the address or the zone');
          } else if (inner && inner !== zone) {
            this.add('error', 'asset.in-other-zone', at, `address ${text} of asset '${a.name}' is inside zone '${inner.name}', which isn't its zone '${zone.name}'`,
              `zone '${inner.name}' is more specific; move the asset to it or renumber`);
          }
        }
        if (!explicitZone && zone?.kind === 'external') {
          this.add('warning', 'asset.unzoned', at, `address ${text} of asset '${a.name}' is in no internal zone`, 'add the zone that holds it, or set `zone:` explicitly');
        }
      });
      if (!zone && a.zone === undefined && a.addresses.length) {
        this.add('warning', 'asset.unzoned', fieldLoc(a, 'addresses'), `asset '${a.name}' is in no zone`, 'add a zone whose CIDRs contain its address, or an external zone as the catch-all');
      }
      for (const m of a.macs) {
        const prev = byMac.get(m);
        if (prev && prev !== a.name) this.add('warning', 'asset.mac-duplicate', fieldLoc(a, 'macs'), `MAC ${m} is also asset '${prev}'s`);
        else byMac.set(m, a.name);
      }
      for (const ae of a.aeTitles) {
        const prev = byAe.get(ae);
        if (prev && prev !== a.name) this.add('warning', 'asset.ae-duplicate', fieldLoc(a, 'aeTitles'), `AE title ${ae} is also used by asset '${prev}'`, 'AE titles identify DICOM nodes; duplicates confuse routing and checks');
        else byAe.set(ae, a.name);
      }
      if (a.sbom && a.loc?.file) {
        const path = isAbsolute(a.sbom) ? a.sbom : join(dirname(a.loc.file), a.sbom);
        if (!existsSync(path)) this.add('warning', 'asset.sbom-missing', fieldLoc(a, 'sbom'), `SBOM file ${a.sbom} does not exist`, 'paths are relative to the model file');
      }
    }
  }

  partners(): void {
    for (const p of this.model.partners) {
      p.addresses.forEach((text, i) => {
        const z = this.index.zoneFor(text.split('/')[0]);
        if (z && z.kind !== 'external') {
          this.add('warning', 'partner.internal-address', fieldLoc(p, `addresses.${i}`), `partner '${p.name}' address ${text} is inside internal zone '${z.name}'`, 'partners are outside the site; model on-site equipment as assets');
        }
      });
    }
  }

  private checkRef(c: Conduit, side: 'from' | 'to', ref: EndpointRef): boolean {
    const at = fieldLoc(c, side);
    if ('zone' in ref) {
      if (this.index.zones.has(ref.zone)) return true;
      const all = [...this.index.zones.keys(), ...[...this.index.assets.keys()].map((n) => `asset:${n}`), ...[...this.index.partners.keys()].map((n) => `partner:${n}`)];
      this.add('error', 'ref.unknown-endpoint', at, `conduit '${c.id}' ${side} unknown zone '${ref.zone}'`, suggestHint(ref.zone, all, 'zones'));
      return false;
    }
    if ('asset' in ref) {
      if (this.index.assets.has(ref.asset)) return true;
      this.add('error', 'ref.unknown-endpoint', at, `conduit '${c.id}' ${side} unknown asset '${ref.asset}'`, suggestHint(ref.asset, [...this.index.assets.keys()], 'assets'));
      return false;
    }
    if (this.index.partners.has(ref.partner)) return true;
    this.add('error', 'ref.unknown-endpoint', at, `conduit '${c.id}' ${side} unknown partner '${ref.partner}'`, suggestHint(ref.partner, [...this.index.partners.keys()], 'partners'));
    return false;
  }

  conduits(): void {
    for (const c of this.model.conduits) {
      const okFrom = this.checkRef(c, 'from', c.from);
      const okTo = this.checkRef(c, 'to', c.to);
      if (okFrom && okTo && endpointText(c.from) === endpointText(c.to) && !('asset' in c.from)) {
        this.add('warning', 'conduit.self', fieldLoc(c, 'to'), `conduit '${c.id}' connects ${endpointText(c.from)} to itself`, 'traffic inside a zone needs no conduit');
      }
      if (hasField(c, 'services') && c.services.length === 0) {
        this.add('error', 'conduit.no-services', fieldLoc(c, 'services'), `conduit '${c.id}' allows no services`, 'list at least one, e.g. services: [dicom]');
      }
      c.services.forEach((s, i) => {
        const at = fieldLoc(c, `services.${i}`);
        if (s.ports.length === 0) {
          this.add('warning', 'conduit.any-port', at, `conduit '${c.id}' allows every ${s.transport.toUpperCase()} port`, 'name the ports: least functionality (IEC 62443-3-3 SR 7.7)');
        }
        if (c.tlsRequired && s.protocol && CLEARTEXT_PROTOCOLS.has(s.protocol)) {
          this.add('error', 'conduit.contradiction', at, `conduit '${c.id}' requires TLS but allows ${formatService(s)}, which is cleartext`, s.protocol === 'http' ? 'use https' : `drop tlsRequired or the ${s.protocol} service`);
        }
      });
      const protocols = c.services.map((s) => s.protocol);
      const untyped = protocols.some((p) => p === undefined);
      for (const kind of ['dicom', 'hl7', 'fhir'] as const) {
        if (!c[kind] || untyped) continue;
        if (!protocols.some((p) => p !== undefined && IDENTITY_PROTOCOLS[kind].includes(p))) {
          this.add('error', 'conduit.contradiction', fieldLoc(c, kind), `conduit '${c.id}' has ${kind.toUpperCase()} identity constraints but none of its services carries ${kind.toUpperCase()} (${c.services.map(formatService).join(', ') || 'none'})`,
            `add a ${IDENTITY_PROTOCOLS[kind][0]} service or remove the ${kind} block`);
        }
      }
      if (c.hl7?.allowedFields?.length && c.hl7.allowedSegments?.length) {
        const segs = new Set(c.hl7.allowedSegments);
        c.hl7.allowedFields.forEach((f, i) => {
          if (segs.has(f.slice(0, 3))) {
            this.add('warning', 'conduit.hl7-field-redundant', fieldLoc(c, `hl7.allowedFields.${i}`) ?? fieldLoc(c, 'hl7'), `field ${f} is already allowed by segment ${f.slice(0, 3)}`, 'a segment allows all its fields; list only fields of segments not allowed whole');
          }
        });
      }
      const partnerEnd = 'partner' in c.to ? c.to.partner : 'partner' in c.from ? c.from.partner : undefined;
      const externalEnd = [c.from, c.to].map((e) => ('zone' in e ? this.index.zones.get(e.zone) : undefined)).find((z) => z?.kind === 'external');
      if ((partnerEnd || externalEnd) && c.phiAllowed && !c.tlsRequired) {
        const who = partnerEnd ? `partner '${partnerEnd}'` : `the external zone '${externalEnd!.name}'`;
        this.add('warning', 'conduit.external-cleartext', fieldLoc(c, 'tlsRequired') ?? c.loc, `conduit '${c.id}' may carry PHI to or from ${who} without requiring TLS`, 'set tlsRequired: true (HIPAA 164.312(e)(1) transmission security), or phiAllowed: false');
      }
      if (c.expires) {
        const end = Date.parse(`${c.expires}T00:00:00Z`) + DAY;
        if (end <= this.now) {
          this.add('warning', 'conduit.expired', fieldLoc(c, 'expires'), `conduit '${c.id}' expired on ${c.expires}`, 'renew it with a new justification, or delete it so that the traffic is denied');
        }
      }
    }
  }
}
