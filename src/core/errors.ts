/** Where in an input a problem was found: file:line:column, all 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.column === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.column}`;
}

/**
 * An error the user can fix: bad arguments, unreadable or invalid input.
 * The CLI prints it without a stack trace and exits 2.
 */
export class InputError extends Error {
  readonly location?: SourceLocation;
  readonly hint?: string;
  constructor(message: string, opts: { location?: SourceLocation; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'InputError';
    this.location = opts.location;
    this.hint = opts.hint;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof InputError) {
    const where = err.location ? `${formatLocation(err.location)}: ` : '';
    return `${where}${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
