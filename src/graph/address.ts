/**
 * Address → (asset, zone, partner) as small integers, for the per-edge
 * evaluators. IPv4 goes through one Map per prefix length present (longest
 * first), so a lookup is a handful of integer Map probes; IPv6 falls back to
 * a scan of the (few) IPv6 prefixes. Results are cached by address string,
 * because edge sets repeat the same addresses many times.
 */
import { cidrContains, parseCidr, parseIp, type Cidr } from '../core/net.ts';

/** -1 means none. */
export interface Placed {
  asset: number;
  zone: number;
  partner: number;
}

const NONE: Placed = Object.freeze({ asset: -1, zone: -1, partner: -1 }) as Placed;

/** Parses dotted IPv4 without allocating; -1 when it is not one. */
export function ipv4ToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/** Longest-prefix match over IPv4 and IPv6 prefixes, each mapped to an integer value. */
export class PrefixMap {
  private readonly v4: Array<{ prefix: number; mask: number; map: Map<number, number> }> = [];
  private readonly v6: Array<{ cidr: Cidr; value: number }> = [];

  add(cidrText: string, value: number): boolean {
    const c = parseCidr(cidrText);
    if (!c) return false;
    if (c.family === 4) {
      let bucket = this.v4.find((b) => b.prefix === c.prefix);
      if (!bucket) {
        bucket = { prefix: c.prefix, mask: c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0, map: new Map() };
        this.v4.push(bucket);
        this.v4.sort((a, b) => b.prefix - a.prefix);
      }
      // First definition wins on identical prefixes; validation reports the clash.
      if (!bucket.map.has(Number(c.base))) bucket.map.set(Number(c.base), value);
    } else {
      this.v6.push({ cidr: c, value });
      this.v6.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    }
    return true;
  }

  lookupV4(ip: number): number {
    for (const b of this.v4) {
      const v = b.map.get((ip & b.mask) >>> 0);
      if (v !== undefined) return v;
    }
    return -1;
  }

  lookup(address: string): number {
    const v4 = ipv4ToInt(address);
    if (v4 >= 0) return this.lookupV4(v4);
    const ip = parseIp(address);
    if (!ip) return -1;
    for (const e of this.v6) if (cidrContains(e.cidr, ip)) return e.value;
    return -1;
  }
}

export class AddressIndex {
  readonly assets = new PrefixMap();
  readonly zones = new PrefixMap();
  readonly partners = new PrefixMap();
  /** asset index → its declared zone index (-1 when it declares none). */
  assetZone: Int32Array = new Int32Array(0);
  /**
   * Placements, by placement index: the hot loops read these typed arrays
   * instead of objects, so a placed address costs no pointer chasing.
   */
  placedAsset: Int32Array = new Int32Array(1024);
  placedZone: Int32Array = new Int32Array(1024);
  placedPartner: Int32Array = new Int32Array(1024);
  private placedCount = 0;
  private readonly placedObjects: Placed[] = [];
  private readonly other = new Map<string, number>();

  /**
   * IPv4 placements by address integer in an open-addressing table: parsing
   * the dotted quad and probing integers is cheaper than hashing and
   * comparing strings, and edges repeat the same few thousand addresses.
   */
  private v4Keys = new Int32Array(1024);
  private v4Vals = new Int32Array(1024).fill(-1);
  private v4Used = 0;

  /** The placement index of an address (see placedAsset/placedZone/placedPartner). */
  placeIndex(address: string): number {
    const v4 = ipv4ToInt(address);
    if (v4 >= 0) {
      const key = v4 | 0;
      const mask = this.v4Keys.length - 1;
      let slot = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (this.v4Vals[slot] !== -1) {
        if (this.v4Keys[slot] === key) return this.v4Vals[slot];
        slot = (slot + 1) & mask;
      }
      const idx = this.compute(address, v4);
      this.v4Keys[slot] = key;
      this.v4Vals[slot] = idx;
      if (++this.v4Used * 2 > this.v4Keys.length) this.growV4();
      return idx;
    }
    let idx = this.other.get(address);
    if (idx === undefined) {
      idx = this.compute(address, -1);
      this.other.set(address, idx);
    }
    return idx;
  }

  place(address: string): Placed {
    return this.placedObjects[this.placeIndex(address)];
  }

  private growV4(): void {
    const keys = this.v4Keys;
    const vals = this.v4Vals;
    this.v4Keys = new Int32Array(keys.length * 2);
    this.v4Vals = new Int32Array(keys.length * 2).fill(-1);
    const mask = this.v4Keys.length - 1;
    for (let i = 0; i < keys.length; i++) {
      if (vals[i] === -1) continue;
      let slot = (Math.imul(keys[i], 0x9e3779b1) >>> 0) & mask;
      while (this.v4Vals[slot] !== -1) slot = (slot + 1) & mask;
      this.v4Keys[slot] = keys[i];
      this.v4Vals[slot] = vals[i];
    }
  }

  private compute(address: string, v4: number): number {
    let asset: number, zone: number, partner: number;
    if (v4 >= 0) {
      asset = this.assets.lookupV4(v4);
      zone = asset >= 0 && this.assetZone[asset] >= 0 ? this.assetZone[asset] : this.zones.lookupV4(v4);
      partner = this.partners.lookupV4(v4);
    } else {
      asset = this.assets.lookup(address);
      zone = asset >= 0 && this.assetZone[asset] >= 0 ? this.assetZone[asset] : this.zones.lookup(address);
      partner = this.partners.lookup(address);
    }
    const idx = this.placedCount++;
    if (idx === this.placedAsset.length) {
      const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
      this.placedAsset = grow(this.placedAsset);
      this.placedZone = grow(this.placedZone);
      this.placedPartner = grow(this.placedPartner);
    }
    this.placedAsset[idx] = asset;
    this.placedZone[idx] = zone;
    this.placedPartner[idx] = partner;
    this.placedObjects.push(asset < 0 && zone < 0 && partner < 0 ? NONE : { asset, zone, partner });
    return idx;
  }
}

/** Loopback traffic (a sensor exporting to itself) never crosses a zone boundary: analyses skip it. */
export function isLoopbackAddress(a: string): boolean {
  return a.startsWith('127.') || a === '::1';
}
