import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './corpus.ts';

export interface CliResult {
  status: number;
  /** The same exit status, under the name most tests read it by. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user or a pipeline would. */
export function wardline(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), ...args], {
    cwd: opts.cwd ?? REPO,
    input: opts.input,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const status = r.status ?? -1;
  return { status, code: status, stdout: r.stdout, stderr: r.stderr };
}
