/**
 * Addresses as the connection table keys them, and their text, interned.
 * IPv4 addresses are their own 32-bit number; IPv6 addresses get ids from
 * V6_BASE up, in order of first sight. Text is made once per address (and
 * per MAC), so the many connections of one host share one string.
 */
import { formatIPv4 } from '../core/net.ts';
import { formatIPv6, formatMac } from './packet.ts';

/** IPv6 ids start here, above every IPv4 address. */
export const V6_BASE = 4294967296;

/** Bound on each text cache: a scan of a /8 must not grow them without limit. */
const MAX_CACHED = 65536;

export class AddressBook {
  private readonly v6Ids = new Map<string, number>();
  private readonly v6Text: string[] = [];
  private readonly v4Text = new Map<number, string>();
  private readonly macText = new Map<number, string>();

  /** The id of the IPv6 address at buf[off, off + 16). */
  v6Id(buf: Uint8Array, off: number): number {
    let key = '';
    for (let i = 0; i < 16; i += 2) key += String.fromCharCode((buf[off + i] << 8) | buf[off + i + 1]);
    let id = this.v6Ids.get(key);
    if (id === undefined) {
      id = V6_BASE + this.v6Text.length;
      this.v6Text.push(formatIPv6(buf, off));
      this.v6Ids.set(key, id);
    }
    return id;
  }

  /** Text of an address id (an IPv4 number or an IPv6 id). */
  text(id: number): string {
    if (id >= V6_BASE) return this.v6Text[id - V6_BASE];
    let s = this.v4Text.get(id);
    if (s === undefined) {
      s = formatIPv4(id);
      if (this.v4Text.size >= MAX_CACHED) this.v4Text.clear();
      this.v4Text.set(id, s);
    }
    return s;
  }

  /** Text of the MAC address at buf[off, off + 6). */
  mac(buf: Uint8Array, off: number): string {
    const v = ((buf[off] << 8) | buf[off + 1]) * 4294967296 + (((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0);
    let s = this.macText.get(v);
    if (s === undefined) {
      s = formatMac(buf, off);
      if (this.macText.size < MAX_CACHED) this.macText.set(v, s);
    }
    return s;
  }
}
