/**
 * One source touching many destinations or ports that no conduit allows is
 * a scan (reconnaissance or a worm), whatever each probe looked like.
 */
import type { FlowEdge } from '../../observations/types.ts';
import { VERDICT, type Evaluation } from './evaluate.ts';

/**
 * Thresholds: a sweep of a subnet, or of a few hosts' clinical ports (nmap
 * -p 104,4242,8042,11112,2575 against three servers is 15 pairs), exceeds
 * them; a workstation's ordinary connections stay far below.
 */
export const SCAN_MIN_DESTINATIONS = 8;
export const SCAN_MIN_PAIRS = 10;

export interface Scanner {
  src: string;
  destinations: number;
  ports: number[];
  pairs: number;
  sample: string[];
  firstSeen: number;
  lastSeen: number;
}

export function findScanners(edges: readonly FlowEdge[], ev: Evaluation): Scanner[] {
  const by = new Map<string, { dsts: Set<string>; ports: Set<number>; pairs: Set<string>; probes: number; first: number; last: number }>();
  for (let i = 0; i < edges.length; i++) {
    const v = ev.verdict[i];
    const e = edges[i];
    // Inside a zone only unanswered or unidentified probes count: peers there may talk freely.
    if (v === VERDICT.ALLOWED || (v === VERDICT.INTRA_ZONE && e.protocolFrom === 'content')) continue;
    let s = by.get(e.src);
    if (!s) by.set(e.src, (s = { dsts: new Set(), ports: new Set(), pairs: new Set(), probes: 0, first: e.firstSeen, last: e.lastSeen }));
    if (e.protocolFrom !== 'content') s.probes++;
    s.dsts.add(e.dst);
    s.ports.add(e.dport);
    s.pairs.add(`${e.dst}:${e.dport}`);
    s.first = Math.min(s.first, e.firstSeen);
    s.last = Math.max(s.last, e.lastSeen);
  }
  const out: Scanner[] = [];
  for (const [src, s] of by) {
    if (s.dsts.size < SCAN_MIN_DESTINATIONS && s.pairs.size < SCAN_MIN_PAIRS) continue;
    // Probes carry no application data: most of a scanner's flows were never identified.
    if (s.probes * 2 < s.pairs.size) continue;
    out.push({
      src, destinations: s.dsts.size, ports: [...s.ports].sort((a, b) => a - b), pairs: s.pairs.size,
      sample: [...s.pairs].sort().slice(0, 10), firstSeen: s.first, lastSeen: s.last,
    });
  }
  return out.sort((a, b) => (a.src < b.src ? -1 : 1));
}
