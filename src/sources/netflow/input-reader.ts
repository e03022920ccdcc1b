/**
 * The `discover` input plug-in for NetFlow/IPFIX (src/sources/input.ts).
 * Every input is sniffed, so this module stays light: the decoder and the
 * flow folder (index.ts) load only when an input turns out to be export
 * data, which keeps them out of the start-up of an ordinary capture.
 */
import type { InputReader } from '../input.ts';
import { sniff, sniffExportPcap } from './sniff.ts';

export { sniffExportPcap };

export const inputReader: InputReader = {
  format: 'netflow',
  sniff,
  async read(input, opts) {
    const { readInput } = await import('./index.ts');
    return readInput(input, opts);
  },
};
