/**
 * One source touching many destinations or ports that no conduit allows is
 * a scan (reconnaissance or a worm), whatever each probe looked like.
 */
import type { FlowEdge } from '../../observations/types.ts';
import { VERDICT, type Evaluation } from './evaluate.ts';

/** Thresholds: nmap's smallest useful sweep of one /24 or one host's services exceeds these. */
export const SCAN_MIN_DESTINATIONS = 8;
export const SCAN_MIN_PAIRS = 20;

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
  const by = new Map<string, { dsts: Set<string>; ports: Set<number>; pairs: Set<string>; first: number; last: number }>();
  for (let i = 0; i < edges.length; i++) {
    const v = ev.verdict[i];
    const e = edges[i];
    // Inside a zone only unanswered or unidentified probes count: peers there may talk freely.
    if (v === VERDICT.ALLOWED || (v === VERDICT.INTRA_ZONE && e.protocolFrom === 'content')) continue;
    let s = by.get(e.src);
    if (!s) by.set(e.src, (s = { dsts: new Set(), ports: new Set(), pairs: new Set(), first: e.firstSeen, last: e.lastSeen }));
    s.dsts.add(e.dst);
    s.ports.add(e.dport);
    s.pairs.add(`${e.dst}:${e.dport}`);
    s.first = Math.min(s.first, e.firstSeen);
    s.last = Math.max(s.last, e.lastSeen);
  }
  const out: Scanner[] = [];
  for (const [src, s] of by) {
    if (s.dsts.size < SCAN_MIN_DESTINATIONS && s.pairs.size < SCAN_MIN_PAIRS) continue;
    out.push({
      src, destinations: s.dsts.size, ports: [...s.ports].sort((a, b) => a - b), pairs: s.pairs.size,
      sample: [...s.pairs].sort().slice(0, 10), firstSeen: s.first, lastSeen: s.last,
    });
  }
  return out.sort((a, b) => (a.src < b.src ? -1 : 1));
}
