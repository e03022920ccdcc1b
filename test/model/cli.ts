import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/corpus.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node src/cli/main.ts ...`) in `cwd`. */
export function wardline(args: string[], cwd: string = REPO): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temp directory with the given files; removed by the returned cleanup. */
export function tempModel(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wl-model-'));
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
