import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './corpus.ts';

export interface CliResult {
  status: number;
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
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
