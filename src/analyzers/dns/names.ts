/**
 * Address -> names, from dns records: what a reader of a flow to an
 * external address wants to see instead of the bare address.
 */
import type { ProtocolRecord } from '../../observations/types.ts';
import { reverseName } from './message.ts';

interface Answer {
  name?: unknown;
  type?: unknown;
  data?: unknown;
}

/**
 * Names that successful responses gave each address (A/AAAA owners and the
 * queried name behind CNAMEs; PTR targets for reverse lookups). Records of
 * other logs are ignored, so a whole record stream can be passed in.
 */
export function namesByAddress(records: Iterable<ProtocolRecord>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (addr: string, name: string): void => {
    const n = name.toLowerCase();
    let list = out.get(addr);
    if (!list) {
      list = [];
      out.set(addr, list);
    }
    if (!list.includes(n)) list.push(n);
  };
  for (const r of records) {
    if (r.log !== 'dns' || r.qr !== 'response' || r.rcode !== 'NOERROR' || !Array.isArray(r.answers)) continue;
    const query = typeof r.query === 'string' ? r.query : undefined;
    for (const a of r.answers as Answer[]) {
      if (typeof a.name !== 'string' || typeof a.data !== 'string') continue;
      if (a.type === 'A' || a.type === 'AAAA') {
        add(a.data, a.name);
        if (query && query !== a.name) add(a.data, query);
      } else if (a.type === 'PTR') {
        const addr = reverseName(a.name);
        if (addr) add(addr, a.data);
      }
    }
  }
  return out;
}
