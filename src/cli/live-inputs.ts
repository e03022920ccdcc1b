/** The live inputs that `monitor` and `sensor` both read, declared and parsed once. */
import { InputError } from '../core/errors.ts';
import type { CaptureSpec } from '../monitor/capture-tool.ts';
import { list, parsePort, str } from '../monitor/options.ts';
import type { OptionSpec } from './command.ts';

export const LIVE_INPUT_OPTIONS: Record<string, OptionSpec> = {
  netflow: { type: 'string', value: 'PORT', description: 'collect NetFlow v5/v9/IPFIX on this UDP port' },
  listen: { type: 'string', value: 'ADDR', description: 'address for the NetFlow socket (default 127.0.0.1; 0.0.0.0 for exporters on the network)' },
  zeek: { type: 'string', multiple: true, value: 'DIR', description: 'tail conn.log in this Zeek log directory (follows rotation)' },
  pcap: { type: 'string', value: '-', description: 'read a live pcap/pcapng stream from stdin' },
  interface: { type: 'string', value: 'IF', description: 'capture live from this interface (runs tcpdump or dumpcap: libpcap, their capture privileges)' },
  bpf: { type: 'string', value: 'FILTER', description: 'capture filter for --interface, pcap-filter syntax (e.g. "tcp port 104")' },
  snaplen: { type: 'string', value: 'N', description: 'bytes kept per packet with --interface (default: the whole packet)' },
};

export interface LiveInputs {
  netflowPort?: number;
  netflowHost?: string;
  zeekDirs: string[];
  /** --pcap - : a capture stream on standard input. */
  pcapStdin: boolean;
  /** --interface IF [--bpf FILTER] [--snaplen N]: live capture through tcpdump or dumpcap. */
  capture?: CaptureSpec;
  /** Whether any of them was given. */
  any: boolean;
}

export function parseLiveInputs(o: Record<string, unknown>): LiveInputs {
  const netflowPort = str(o.netflow) !== undefined ? parsePort(o.netflow, '--netflow') : undefined;
  const zeekDirs = list(o.zeek);
  const pcap = str(o.pcap);
  if (pcap !== undefined && pcap !== '-') {
    throw new InputError(`--pcap takes '-' (stdin), not '${pcap}'`, { hint: 'to analyse capture files use wardline discover FILE' });
  }
  const capture = parseCapture(o);
  if (capture && pcap !== undefined) throw new InputError('--pcap - and --interface are one capture input each: give one of them');
  return {
    netflowPort, netflowHost: str(o.listen), zeekDirs, pcapStdin: pcap === '-', capture,
    any: netflowPort !== undefined || zeekDirs.length > 0 || pcap !== undefined || capture !== undefined,
  };
}

/** --interface IF [--bpf FILTER] [--snaplen N]; --bpf and --snaplen without --interface are usage errors. */
function parseCapture(o: Record<string, unknown>): CaptureSpec | undefined {
  const iface = str(o.interface);
  if (iface === undefined) {
    if (o.bpf !== undefined || o.snaplen !== undefined) throw new InputError(`--${o.bpf !== undefined ? 'bpf' : 'snaplen'} needs --interface IF`);
    return undefined;
  }
  const snap = str(o.snaplen);
  if (snap !== undefined && (!/^\d{1,6}$/.test(snap) || Number(snap) < 64 || Number(snap) > 262_144)) {
    throw new InputError(`--snaplen: '${snap}' is not a snapshot length (64-262144 bytes)`, { hint: 'leave it out to keep whole packets: the analyzers need the payload' });
  }
  const bpf = str(o.bpf);
  if (bpf !== undefined && bpf.trim() === '') throw new InputError('--bpf: the filter is empty');
  return { iface, snaplen: snap !== undefined ? Number(snap) : undefined, bpf };
}
