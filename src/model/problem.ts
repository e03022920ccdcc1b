import { formatLocation, type SourceLocation } from '../core/errors.ts';

export type ProblemSeverity = 'error' | 'warning';

/** One thing wrong with a site model, pointing at where it was written. */
export interface Problem {
  severity: ProblemSeverity;
  /** Stable machine-readable kind, e.g. "zone.overlap", "ref.unknown-zone". */
  code: string;
  message: string;
  location?: SourceLocation;
  hint?: string;
}

/** `file:line:column: error: message` followed by an indented hint line, like compilers print. */
export function formatProblem(p: Problem): string {
  const where = p.location ? `${formatLocation(p.location)}: ` : '';
  return `${where}${p.severity}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Errors first, then by file, line and column, so output reads top to bottom. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
    (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    (a.location?.column ?? 0) - (b.location?.column ?? 0));
}
