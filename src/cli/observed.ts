/**
 * What the verbs that read back discovered traffic (assets, flows, segment,
 * simulate, blast) share: --db, an optional --model, --format, and reading
 * the observations out of the store without holding it open.
 */
import { InputError } from '../core/errors.ts';
import { openModel } from '../model/open.ts';
import type { SiteModel } from '../model/types.ts';
import { loadObservations } from '../observations/persist.ts';
import type { Observations } from '../observations/types.ts';
import type { CommandContext, OptionSpec } from './command.ts';
import { withStore } from './store.ts';

type Opts = CommandContext['opts'];

export type ViewFormat = 'table' | 'mermaid' | 'dot';

export const FORMAT_OPTION: OptionSpec = { type: 'string', value: 'F', description: 'table, mermaid or dot', default: 'table' };

/** --format, checked: a table, or a diagram renderDiagram understands. */
export function viewFormat(opts: Opts): ViewFormat {
  const format = String(opts.format ?? 'table');
  if (format !== 'table' && format !== 'mermaid' && format !== 'dot') throw new InputError(`--format takes table, mermaid or dot, not '${format}'`);
  return format;
}

/** The --model site model when one was given. */
export function optionalModel(opts: Opts): SiteModel | undefined {
  return typeof opts.model === 'string' ? openModel(opts.model).model : undefined;
}

/** Everything discovered so far; the store is closed again before this returns. */
export async function storedObservations(opts: Opts): Promise<Observations> {
  return withStore(opts, loadObservations);
}
