/** tshark's CFLOW decode of a capture, flattened to one entry per flow record, as the reference for our decoder. */
import { execFileSync } from 'node:child_process';

export interface TsharkFlow {
  frame: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  proto?: number;
  bytes?: number;
  packets?: number;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function first(v: Json | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return first(v[0]);
  return typeof v === 'object' ? undefined : String(v);
}

function num(v: Json | undefined): number | undefined {
  const s = first(v);
  return s === undefined ? undefined : Number(s);
}

function collect(node: Json, frame: number, out: TsharkFlow[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, frame, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (/^(Flow \d+|pdu \d+\/\d+)$/.test(k)) {
      for (const f of Array.isArray(v) ? v : [v]) {
        if (f === null || typeof f !== 'object' || Array.isArray(f)) continue;
        out.push({
          frame,
          src: first(f['cflow.srcaddr'] ?? f['cflow.srcaddrv6']),
          dst: first(f['cflow.dstaddr'] ?? f['cflow.dstaddrv6']),
          sport: num(f['cflow.srcport']),
          dport: num(f['cflow.dstport']),
          proto: num(f['cflow.protocol']),
          bytes: num(f['cflow.octets'] ?? f['cflow.octets64']),
          packets: num(f['cflow.packets'] ?? f['cflow.packets64']),
        });
      }
    } else collect(v, frame, out);
  }
}

/** Decodes every UDP port in `ports` as CFLOW. */
export function tsharkFlows(pcap: string, ports: number[]): TsharkFlow[] {
  const args = ['-r', pcap, '-T', 'json', '--no-duplicate-keys'];
  for (const p of ports) args.push('-d', `udp.port==${p},cflow`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const frames = JSON.parse(out) as Json[];
  const flows: TsharkFlow[] = [];
  frames.forEach((fr, i) => collect(fr, i + 1, flows));
  return flows;
}
