import type { Output } from './output.ts';

export const EXIT = {
  OK: 0,
  /** Findings at or above --fail-on. */
  FINDINGS: 1,
  /** Usage or input error. */
  USAGE: 2,
} as const;

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help, e.g. "FILE". */
  value?: string;
  default?: string | boolean;
}

export interface CommandContext {
  /** Positional arguments after the verb (and sub-verb). */
  args: string[];
  opts: Record<string, string | boolean | string[] | undefined>;
  out: Output;
}

/**
 * One verb of the CLI. Each lives in src/cli/commands/<name>.ts and exports
 * `command`; verbs with sub-verbs (model validate) list them in `subcommands`.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  examples: string[];
  options?: Record<string, OptionSpec>;
  subcommands?: Command[];
  /** Reports findings: gets --fail-on. */
  gate?: boolean;
  run?(ctx: CommandContext): Promise<number>;
}

/** Options every verb takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
  quiet: { type: 'boolean', short: 'q', description: 'only errors on stderr; no progress' },
  help: { type: 'boolean', short: 'h', description: 'show help for this verb' },
  db: { type: 'string', value: 'URL|PATH', description: 'store: a SQLite path (default .wardline/wardline.db) or postgres://...' },
};

export const GATE_OPTION: OptionSpec = {
  type: 'string',
  value: 'SEVERITY',
  description: 'exit 1 when a finding is at or above: info, low, medium, high, critical',
};
