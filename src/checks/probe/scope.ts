import { lookup } from 'node:dns/promises';
import { InputError } from '../../core/errors.ts';
import { cidrContains, formatIPv4, parseCidr, type Cidr } from '../../core/net.ts';
import type { ModelIndex } from '../../model/index.ts';
import type { EndpointRef } from '../../model/types.ts';

/** A CIDR target bigger than this is refused: probing is for known assets, not sweeps. */
export const MAX_ADDRESSES_PER_TARGET = 1024;

export interface PlannedTarget {
  address: string;
  /** What the user wrote (a host name, a CIDR). */
  given: string;
  asset?: string;
  zone?: string;
  /** Why this target counts as reachable from an internet-facing or DMZ zone. */
  exposedVia?: string[];
  /** AE titles the model knows for the asset: tried as called AE. */
  aeTitles: string[];
}

export interface ScopePlan {
  targets: PlannedTarget[];
  /** Targets the model marks do-not-probe (clinical engineering said so). */
  skipped: Array<{ address: string; asset: string; reason: string }>;
}

export function parseScope(scope: string[]): Cidr[] {
  if (scope.length === 0) throw new InputError('--scope is required: the CIDRs you are authorised to probe', { hint: 'e.g. --scope 10.20.0.0/16' });
  return scope.flatMap((s) => s.split(',')).filter(Boolean).map((s) => {
    const c = parseCidr(s);
    if (!c) throw new InputError(`--scope: '${s}' is not an address or CIDR`);
    return c;
  });
}

async function expand(target: string): Promise<string[]> {
  const c = parseCidr(target);
  if (c) {
    const bits = c.family === 4 ? 32 : 128;
    const size = 2 ** (bits - c.prefix);
    if (size > MAX_ADDRESSES_PER_TARGET) throw new InputError(`target ${target} has ${size} addresses; at most ${MAX_ADDRESSES_PER_TARGET} per target`, { hint: 'probe known assets, not sweeps' });
    if (c.family === 6) {
      if (size !== 1) throw new InputError(`IPv6 target ${target}: give single addresses`);
      return [target.split('/')[0]];
    }
    const base = Number(c.base);
    // Network and broadcast addresses of a /30 or larger are not hosts.
    const skipEnds = c.prefix <= 30;
    const out: string[] = [];
    for (let k = skipEnds ? 1 : 0; k < (skipEnds ? size - 1 : size); k++) out.push(formatIPv4(base + k));
    return out;
  }
  if (!/^[A-Za-z0-9.-]+$/.test(target)) throw new InputError(`target '${target}' is not an address, CIDR or host name`);
  try {
    const r = await lookup(target, { all: true });
    return r.map((x) => x.address);
  } catch (err) {
    throw new InputError(`cannot resolve target '${target}': ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Every target address, checked against the scope (any address outside it
 * refuses the whole run) and the model (do-not-probe assets are skipped).
 */
export async function planTargets(targets: string[], scope: Cidr[], index?: ModelIndex): Promise<ScopePlan> {
  if (targets.length === 0) throw new InputError('probe needs at least one target (address, CIDR or host name)');
  const plan: ScopePlan = { targets: [], skipped: [] };
  const outside: string[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    for (const address of await expand(t)) {
      if (seen.has(address)) continue;
      seen.add(address);
      if (!scope.some((c) => cidrContains(c, address))) { outside.push(address === t ? t : `${address} (${t})`); continue; }
      const asset = index?.assetFor(address);
      if (asset?.doNotProbe) { plan.skipped.push({ address, asset: asset.name, reason: 'the model marks this asset doNotProbe' }); continue; }
      const zone = index?.zoneFor(address);
      plan.targets.push({ address, given: t, asset: asset?.name, zone: zone?.name, exposedVia: index ? exposure(index, address) : undefined, aeTitles: asset?.aeTitles ?? [] });
    }
  }
  if (outside.length) {
    throw new InputError(`refusing to probe outside the scope: ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? ` and ${outside.length - 10} more` : ''}`, { hint: 'add the CIDR to --scope only if you are authorised to probe it' });
  }
  return plan;
}

function exposedZone(index: ModelIndex, name: string): boolean {
  const z = index.zones.get(name);
  return !!z && (z.internetFacing || z.kind === 'dmz' || z.kind === 'external');
}

function refExposed(index: ModelIndex, ref: EndpointRef): boolean {
  if ('zone' in ref) return exposedZone(index, ref.zone);
  if ('partner' in ref) return true;
  const a = index.assets.get(ref.asset);
  return !!a?.zone && exposedZone(index, a.zone);
}

/** Reasons the model gives for the address being reachable from an internet-facing or DMZ zone. */
export function exposure(index: ModelIndex, address: string): string[] {
  const out: string[] = [];
  const zone = index.zoneFor(address);
  if (zone && exposedZone(index, zone.name)) out.push(`in zone ${zone.name} (${zone.internetFacing ? 'internet-facing' : zone.kind})`);
  for (const c of index.model.conduits) {
    if (refExposed(index, c.from) && index.endpointContains(c.to, address)) out.push(`conduit ${c.id}`);
  }
  return out;
}
