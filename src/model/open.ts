import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { loadModel } from './load.ts';
import { formatProblem, sortProblems, type Problem } from './problem.ts';
import type { SiteModel } from './types.ts';
import { validateModel, type ValidateOptions } from './validate.ts';

/** Where a model is looked for when no path is given, in order, relative to the working directory. */
export const DEFAULT_MODEL_PATHS = ['wardline.yaml', 'wardline.yml', 'model'] as const;

/** The model path to use: the one given, else the first default that exists. */
export function resolveModelPath(given?: string, cwd: string = process.cwd()): string {
  if (given) return given;
  for (const p of DEFAULT_MODEL_PATHS) if (existsSync(join(cwd, p))) return p;
  throw new InputError('no site model given and none found in the working directory', {
    hint: `pass a path, or create ${DEFAULT_MODEL_PATHS.join(' or ')} (wardline init writes a starter model)`,
  });
}

export interface CheckedModel {
  model: SiteModel;
  /** Load and validation problems, errors first, in file order. */
  problems: Problem[];
}

/** Loads and validates; throws InputError only for unreadable files or broken YAML. */
export function checkModel(path: string, opts: ValidateOptions = {}): CheckedModel {
  const { model, problems } = loadModel(path);
  return { model, problems: sortProblems([...problems, ...validateModel(model, opts)]) };
}

/**
 * The entry point for every other verb: a model that validates, or an
 * InputError pointing at the first error (warnings are returned for the
 * caller to print).
 */
export function openModel(path?: string, opts: ValidateOptions = {}): CheckedModel {
  const checked = checkModel(resolveModelPath(path), opts);
  const errors = checked.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    const first = errors[0];
    const more = errors.length > 1 ? `\n${errors.slice(1, 10).map((e) => formatProblem(e)).join('\n')}${errors.length > 10 ? `\n... and ${errors.length - 10} more` : ''}` : '';
    throw new InputError(`invalid site model: ${first.message}${more}`, {
      location: first.location,
      hint: first.hint ?? 'wardline model validate lists every problem',
    });
  }
  return checked;
}
