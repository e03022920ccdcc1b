import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDemo } from '../../demo/run.ts';
import { EXIT, type Command } from '../command.ts';

export const command: Command = {
  name: 'demo',
  summary: 'run every capability end to end on the bundled sample hospital',
  usage: 'wardline demo [--dir DIR] [--step NAME ...] [--json]',
  description:
    'Loads the sample hospital (examples/hospital: its site model and captures of real traffic made by\n' +
    "Wardline's lab), and runs discovery, checks and every other capability on it with an embedded store\n" +
    'in DIR (default: a new temporary directory). Prints a summary and writes demo-summary.md and the report.',
  examples: ['wardline demo', 'wardline demo --dir ./demo-out', 'wardline demo --json | jq .steps[].name'],
  options: {
    dir: { type: 'string', value: 'DIR', description: 'working directory for the store and the report' },
    step: { type: 'string', multiple: true, value: 'NAME', description: 'run only these steps (repeatable)' },
  },
  async run({ opts, out }) {
    const dir = typeof opts.dir === 'string' ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'wardline-demo-'));
    const run = await runDemo(dir, out, opts.step as string[] | undefined);
    if (out.json) {
      out.data({
        workDir: run.workDir,
        summaryFile: run.summaryFile,
        steps: run.steps.map((s) => ({ name: s.name, ok: s.ok, ms: Math.round(s.ms), summary: s.result?.summary, artifacts: s.result?.artifacts, error: s.error })),
      });
    } else {
      out.write('Wardline demo — St. Brigid General Hospital\n');
      for (const s of run.steps) {
        out.write(`${s.ok ? '✔' : '✖'} ${s.name} (${Math.round(s.ms)} ms)`);
        for (const l of s.ok ? s.result?.summary ?? [] : [`error: ${s.error}`]) out.write(`    ${l}`);
      }
      out.write(`\nWork directory: ${run.workDir}\nSummary: ${run.summaryFile}`);
    }
    return run.steps.every((s) => s.ok) ? EXIT.OK : 3;
  },
};
