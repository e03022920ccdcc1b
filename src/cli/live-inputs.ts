/** The live inputs that `monitor` and `sensor` both read, declared and parsed once. */
import { InputError } from '../core/errors.ts';
import { list, parsePort, str } from '../monitor/options.ts';
import type { OptionSpec } from './command.ts';

export const LIVE_INPUT_OPTIONS: Record<string, OptionSpec> = {
  netflow: { type: 'string', value: 'PORT', description: 'collect NetFlow v5/v9/IPFIX on this UDP port' },
  listen: { type: 'string', value: 'ADDR', description: 'address for the NetFlow socket (default 127.0.0.1; 0.0.0.0 for exporters on the network)' },
  zeek: { type: 'string', multiple: true, value: 'DIR', description: 'tail conn.log in this Zeek log directory (follows rotation)' },
  pcap: { type: 'string', value: '-', description: 'read a live pcap/pcapng stream from stdin' },
};

export interface LiveInputs {
  netflowPort?: number;
  netflowHost?: string;
  zeekDirs: string[];
  /** --pcap - : a capture stream on standard input. */
  pcapStdin: boolean;
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
  return {
    netflowPort, netflowHost: str(o.listen), zeekDirs, pcapStdin: pcap === '-',
    any: netflowPort !== undefined || zeekDirs.length > 0 || pcap !== undefined,
  };
}
