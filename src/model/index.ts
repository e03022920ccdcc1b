import { parseIPv4, parseIPv6 } from '../core/net.ts';
import { PrefixTable } from './prefix-table.ts';
import type { Asset, Conduit, EndpointRef, Partner, Process, SiteModel, Zone } from './types.ts';

const ANY = ['0.0.0.0/0', '::/0'];

/**
 * Fast lookups over a loaded site model: address → zone (longest prefix, the
 * external zone as fallback), address → asset, address → partner, and the
 * name maps. Build it once per model; every lookup after that is a binary
 * search over a typed array.
 */
export class ModelIndex {
  readonly model: SiteModel;
  readonly zones = new Map<string, Zone>();
  readonly assets = new Map<string, Asset>();
  readonly partners = new Map<string, Partner>();
  readonly conduits = new Map<string, Conduit>();
  readonly processes = new Map<string, Process>();
  /** The external (internet) zone, when the model has one. */
  readonly externalZone: Zone | undefined;
  private readonly zoneTable: PrefixTable<Zone>;
  private readonly assetTable: PrefixTable<Asset>;
  private readonly partnerTable: PrefixTable<Partner>;
  private readonly byAeTitle = new Map<string, Asset>();
  private readonly byHl7App = new Map<string, Asset>();
  private readonly byHostname = new Map<string, Asset | Partner>();
  private readonly byMac = new Map<string, Asset>();
  private readonly zoneAssets = new Map<string, Asset[]>();

  constructor(model: SiteModel) {
    this.model = model;
    for (const p of model.processes) if (!this.processes.has(p.name)) this.processes.set(p.name, p);
    for (const z of model.zones) if (!this.zones.has(z.name)) this.zones.set(z.name, z);
    for (const a of model.assets) if (!this.assets.has(a.name)) this.assets.set(a.name, a);
    for (const p of model.partners) if (!this.partners.has(p.name)) this.partners.set(p.name, p);
    for (const c of model.conduits) if (!this.conduits.has(c.id)) this.conduits.set(c.id, c);
    this.externalZone = model.zones.find((z) => z.kind === 'external');
    // External zones without CIDRs mean "everything else": a /0 that any real prefix beats.
    this.zoneTable = new PrefixTable<Zone>(model.zones.map((z) => ({
      item: z,
      cidrs: z.kind === 'external' && z.cidrs.length === 0 ? ANY : z.cidrs,
    })));
    this.assetTable = new PrefixTable<Asset>(model.assets.map((a) => ({ item: a, cidrs: a.addresses })));
    this.partnerTable = new PrefixTable<Partner>(model.partners.map((p) => ({ item: p, cidrs: p.addresses })));
    for (const a of model.assets) {
      for (const ae of a.aeTitles) if (!this.byAeTitle.has(ae)) this.byAeTitle.set(ae, a);
      for (const app of a.hl7Applications) {
        if (!this.byHl7App.has(app)) this.byHl7App.set(app, a);
        const bare = app.split('^')[0];
        if (!this.byHl7App.has(bare)) this.byHl7App.set(bare, a);
      }
      for (const h of a.hostnames) if (!this.byHostname.has(h.toLowerCase())) this.byHostname.set(h.toLowerCase(), a);
      for (const m of a.macs) if (!this.byMac.has(m.toLowerCase())) this.byMac.set(m.toLowerCase(), a);
      if (a.zone) {
        const list = this.zoneAssets.get(a.zone) ?? [];
        list.push(a);
        this.zoneAssets.set(a.zone, list);
      }
    }
    for (const p of model.partners) {
      for (const h of p.hostnames) if (!this.byHostname.has(h.toLowerCase())) this.byHostname.set(h.toLowerCase(), p);
    }
  }

  /** Hot path: IPv4 as an unsigned 32-bit number. */
  zoneForV4(ip: number): Zone | undefined {
    return this.zoneTable.lookupV4(ip);
  }

  zoneForV6(ip: bigint): Zone | undefined {
    return this.zoneTable.lookupV6(ip);
  }

  /** The most specific zone containing the address (the external zone when nothing else does). */
  zoneFor(address: string): Zone | undefined {
    const v4 = parseIPv4(address);
    if (v4 !== undefined) return this.zoneTable.lookupV4(v4);
    const v6 = parseIPv6(address);
    return v6 === undefined ? undefined : this.zoneTable.lookupV6(v6);
  }

  assetForV4(ip: number): Asset | undefined {
    return this.assetTable.lookupV4(ip);
  }

  assetForV6(ip: bigint): Asset | undefined {
    return this.assetTable.lookupV6(ip);
  }

  /** The asset owning the address (exact address or the most specific asset CIDR). */
  assetFor(address: string): Asset | undefined {
    const v4 = parseIPv4(address);
    if (v4 !== undefined) return this.assetTable.lookupV4(v4);
    const v6 = parseIPv6(address);
    return v6 === undefined ? undefined : this.assetTable.lookupV6(v6);
  }

  partnerForV4(ip: number): Partner | undefined {
    return this.partnerTable.lookupV4(ip);
  }

  partnerFor(address: string): Partner | undefined {
    const v4 = parseIPv4(address);
    if (v4 !== undefined) return this.partnerTable.lookupV4(v4);
    const v6 = parseIPv6(address);
    return v6 === undefined ? undefined : this.partnerTable.lookupV6(v6);
  }

  /** DICOM AE title → the asset that declares it. */
  assetByAeTitle(ae: string): Asset | undefined {
    return this.byAeTitle.get(ae.trim());
  }

  /** HL7 "APP" or "APP^FACILITY" (MSH-3 / MSH-4) → the asset that declares it. */
  assetByHl7Application(app: string, facility?: string): Asset | undefined {
    return (facility ? this.byHl7App.get(`${app}^${facility}`) : undefined) ?? this.byHl7App.get(app);
  }

  /** A hostname of an asset or a partner (case-insensitive). */
  byHost(hostname: string): Asset | Partner | undefined {
    return this.byHostname.get(hostname.toLowerCase().replace(/\.$/, ''));
  }

  assetByMac(mac: string): Asset | undefined {
    return this.byMac.get(mac.toLowerCase().replace(/-/g, ':'));
  }

  assetsInZone(zone: string): readonly Asset[] {
    return this.zoneAssets.get(zone) ?? [];
  }

  /** Whether an address belongs to a conduit endpoint: the asset, the partner, or the zone by longest prefix. */
  endpointContains(ref: EndpointRef, address: string): boolean {
    if ('asset' in ref) return this.assetFor(address)?.name === ref.asset;
    if ('partner' in ref) return this.partnerFor(address)?.name === ref.partner;
    return this.zoneFor(address)?.name === ref.zone;
  }
}

/** "zone:imaging-servers", "asset:pacs-main", "partner:clearinghouse". */
export function endpointText(ref: EndpointRef): string {
  if ('asset' in ref) return `asset:${ref.asset}`;
  if ('partner' in ref) return `partner:${ref.partner}`;
  return `zone:${ref.zone}`;
}
