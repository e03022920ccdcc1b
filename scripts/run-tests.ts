// Runs every test file under test/ with node's test runner. Files that need
// root-only peers (network namespaces) run in the same pass: CI is root.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'helpers' && name !== 'fixtures') collect(p, out);
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
}

const filter = process.argv.slice(2);
const files: string[] = [];
collect('test', files);
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...selected],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
