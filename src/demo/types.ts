import type { Db } from '../store/db.ts';
import type { Output } from '../cli/output.ts';

/** What every demo step gets: the bundled sample hospital and a store of its own. */
export interface DemoContext {
  /** Repository root (for examples/). */
  root: string;
  /** The sample hospital's model directory, examples/hospital. */
  modelPath: string;
  /** The sample hospital's captures and other inputs, examples/hospital/captures. */
  capturesDir: string;
  /** The demo's working directory: store, report, logs. */
  workDir: string;
  db: Db;
  out: Output;
  /** Results of earlier steps, by step name, for later steps to build on. */
  results: Map<string, DemoStepResult>;
}

export interface DemoStepResult {
  /** A few lines a person reads in a minute. */
  summary: string[];
  /** Files written, relative to workDir. */
  artifacts?: string[];
  /** Anything later steps need. */
  data?: unknown;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<DemoStepResult>;
}
