/**
 * The `discover` input plug-in for Zeek conn.log (src/sources/input.ts).
 * Every input is sniffed, so this module stays light: the parser and the
 * flow folder (index.ts) load only for a conn.log.
 */
import type { InputReader } from '../input.ts';
import { sniff } from './sniff.ts';

export const inputReader: InputReader = {
  format: 'zeek',
  sniff,
  async read(input, opts) {
    const { readInput } = await import('./index.ts');
    return readInput(input, opts);
  },
};
