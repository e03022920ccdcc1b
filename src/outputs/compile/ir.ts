/**
 * The firewall-neutral form of a model's policy: named address groups (one
 * per zone, asset or partner a conduit uses) and one rule per conduit. Every
 * target renders this, so all targets agree on what is allowed. Ordering is
 * by name and model order only, so the same model always gives the same text.
 */
import { parseCidr, type Cidr } from '../../core/net.ts';
import type { EndpointRef, SiteModel } from '../../model/types.ts';
import { compilePolicy } from '../../graph/policy.ts';

export interface AddressGroup {
  /** Target-safe name, e.g. Z_radiology-modalities, A_pacs-main, P_clearinghouse. */
  name: string;
  kind: 'zone' | 'asset' | 'partner';
  /** The model name it stands for. */
  of: string;
  v4: Cidr[];
  v6: Cidr[];
}

export interface RuleService {
  transport: 'tcp' | 'udp';
  /** Single ports and inclusive ranges; empty means any port. */
  ports: Array<[number, number]>;
}

export interface PolicyRule {
  id: string;
  comment: string;
  src: AddressGroup;
  dst: AddressGroup;
  services: RuleService[];
}

export interface PolicyIR {
  site: string;
  groups: AddressGroup[];
  rules: PolicyRule[];
  /** Conduits left out because they expired before `now`: listed in the output, never enforced. */
  expired: string[];
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Comments end up inside quotes and device remarks: printable ASCII, no quotes, bounded. */
export function safeComment(s: string, max = 120): string {
  const clean = s.replace(/[^\x20-\x7e]/g, ' ').replace(/["'\\`$]/g, '').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** `now` (epoch ms) decides expiry; without it no conduit is treated as expired. */
export function buildPolicyIR(model: SiteModel, now?: number): PolicyIR {
  const policy = compilePolicy(model); // refuses overlapping zones, unknown names and contradictions, with locations
  const expired = policy.conduits.filter((c) => now !== undefined && c.expiresAt < now).map((c) => c.conduit.id);
  const skip = new Set(expired);
  const groups = new Map<string, AddressGroup>();
  // An external zone without CIDRs is "everything else".
  const zoneCidrs = new Map(model.zones.map((z) => [z.name, z.kind === 'external' && z.cidrs.length === 0 ? ['0.0.0.0/0', '::/0'] : z.cidrs]));
  const assetAddrs = new Map(model.assets.map((a) => [a.name, a.addresses]));
  const partnerAddrs = new Map(model.partners.map((p) => [p.name, p.addresses]));
  const groupOf = (ref: EndpointRef): AddressGroup => {
    const [kind, of, texts] = 'zone' in ref
      ? ['zone' as const, ref.zone, zoneCidrs.get(ref.zone)!]
      : 'asset' in ref
        ? ['asset' as const, ref.asset, assetAddrs.get(ref.asset)!]
        : ['partner' as const, ref.partner, partnerAddrs.get(ref.partner)!];
    const name = `${kind === 'zone' ? 'Z' : kind === 'asset' ? 'A' : 'P'}_${safe(of)}`;
    let g = groups.get(name);
    if (!g) {
      const cidrs = texts.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
      const order = (a: Cidr, b: Cidr) => (a.base < b.base ? -1 : a.base > b.base ? 1 : a.prefix - b.prefix);
      g = { name, kind, of, v4: cidrs.filter((c) => c.family === 4).sort(order), v6: cidrs.filter((c) => c.family === 6).sort(order) };
      groups.set(name, g);
    }
    return g;
  };
  const rules: PolicyRule[] = model.conduits.filter((c) => !skip.has(c.id)).map((c) => ({
    id: c.id,
    comment: safeComment(`${c.id}: ${c.justification ?? 'no justification recorded'}${c.expires ? ` (expires ${c.expires})` : ''}`),
    src: groupOf(c.from),
    dst: groupOf(c.to),
    services: c.services.map((s) => ({
      transport: s.transport,
      ports: s.ports.map((p): [number, number] => (typeof p === 'number' ? [p, p] : [p[0], p[1]])).sort((a, b) => a[0] - b[0]),
    })),
  }));
  return { site: model.site.name, groups: [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), rules, expired };
}

/** 255.255.255.0 from /24; Cisco ACL wildcards are its inverse. */
export function v4Mask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

export function v4Addr(c: Cidr): string {
  const n = Number(c.base);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function cidrText(c: Cidr): string {
  if (c.family === 4) return c.prefix === 32 ? v4Addr(c) : `${v4Addr(c)}/${c.prefix}`;
  const hex = c.base.toString(16).padStart(32, '0');
  const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  const text = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:::+/, '::');
  return c.prefix === 128 ? text : `${text}/${c.prefix}`;
}

/** Comment lines naming the conduits left out because they expired. */
export function expiredNote(ir: PolicyIR, mark: string): string[] {
  return ir.expired.length ? [`${mark} Expired conduits not compiled: ${ir.expired.join(', ')}`] : [];
}

/** For IPv4-only targets: comment lines naming the IPv6 addresses left out, so nothing is dropped silently. */
export function ipv6Note(ir: PolicyIR, mark: string, hint: string): string[] {
  const v6 = ir.groups.filter((g) => g.v6.length > 0).map((g) => g.name);
  return v6.length ? [`${mark} IPv6 addresses not compiled for this target (${hint}): ${v6.join(', ')}`] : [];
}
