import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Output } from '../cli/output.ts';
import { describeError } from '../core/errors.ts';
import { openStore } from '../store/open.ts';
import type { DemoContext, DemoStep, DemoStepResult } from './types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');
const STEPS_DIR = join(HERE, 'steps');

export async function loadSteps(): Promise<DemoStep[]> {
  if (!existsSync(STEPS_DIR)) return [];
  const files = readdirSync(STEPS_DIR).filter((f) => /^\d\d-[a-z0-9-]+\.ts$/.test(f)).sort();
  const steps: DemoStep[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(STEPS_DIR, f)).href)) as { step: DemoStep };
    steps.push(mod.step);
  }
  return steps;
}

export interface DemoRun {
  workDir: string;
  steps: Array<{ name: string; ok: boolean; ms: number; result?: DemoStepResult; error?: string }>;
  summaryFile: string;
}

/**
 * Runs every demo step on the bundled sample hospital, each seeing the
 * results of the ones before it. A failing step is reported and the rest
 * still run, so one broken capability does not hide the others.
 */
export async function runDemo(workDir: string, out: Output, only?: string[]): Promise<DemoRun> {
  mkdirSync(workDir, { recursive: true });
  const db = await openStore(join(workDir, 'wardline.db'));
  const ctx: DemoContext = {
    root: REPO_ROOT,
    modelPath: join(REPO_ROOT, 'examples', 'hospital'),
    capturesDir: join(REPO_ROOT, 'examples', 'hospital', 'captures'),
    workDir,
    db,
    out,
    results: new Map(),
  };
  const run: DemoRun = { workDir, steps: [], summaryFile: join(workDir, 'demo-summary.md') };
  try {
    const steps = (await loadSteps()).filter((s) => !only?.length || only.includes(s.name));
    let i = 0;
    for (const step of steps) {
      out.progress(`demo: ${step.name}`, ++i, steps.length);
      const t0 = performance.now();
      try {
        const result = await step.run(ctx);
        ctx.results.set(step.name, result);
        run.steps.push({ name: step.name, ok: true, ms: performance.now() - t0, result });
      } catch (err) {
        run.steps.push({ name: step.name, ok: false, ms: performance.now() - t0, error: describeError(err) });
      }
    }
    out.clearProgress();
  } finally {
    await db.close();
  }
  writeFileSync(run.summaryFile, summaryMarkdown(run));
  return run;
}

export function summaryMarkdown(run: DemoRun): string {
  const lines = ['# Wardline demo: St. Brigid General Hospital', ''];
  for (const s of run.steps) {
    lines.push(`## ${s.name} ${s.ok ? '' : '(FAILED)'}`.trimEnd(), '');
    if (s.ok) lines.push(...(s.result?.summary ?? []).map((l) => `- ${l}`));
    else lines.push(`- error: ${s.error}`);
    if (s.result?.artifacts?.length) lines.push(`- files: ${s.result.artifacts.join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
