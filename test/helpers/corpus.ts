import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared corpus beside the checkout; CI always has it. */
export const CORPUS = process.env.WARDLINE_CORPUS ?? join(REPO, '..', 'shared', 'corpus');

export function corpusFile(...parts: string[]): string {
  const p = join(CORPUS, ...parts);
  if (!existsSync(p)) throw new Error(`corpus file missing: ${parts.join('/')} (set WARDLINE_CORPUS)`);
  return p;
}
