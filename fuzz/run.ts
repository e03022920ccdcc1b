/**
 * Runs every fuzzer in this folder, one child process each (a crash or a
 * hang in one does not hide the others), and exits 1 if any reported a
 * failure or died:
 *   npm run fuzz -- [cases=100000] [name ...]
 * A fuzzer is a file here that runs itself when started (`import.meta.main`
 * or the argv check); lib.ts and analyzer-case.ts are helpers.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const HELPERS = new Set(['lib.ts', 'analyzer-case.ts', 'run.ts']);

function fuzzers(): string[] {
  return readdirSync(HERE)
    .filter((f) => f.endsWith('.ts') && !HELPERS.has(f))
    .filter((f) => {
      const src = readFileSync(join(HERE, f), 'utf8');
      return src.includes('import.meta.main') || src.includes('=== process.argv[1]');
    })
    .sort();
}

const args = process.argv.slice(2);
const cases = args.length && /^\d+$/.test(args[0]) ? args.shift()! : '100000';
const all = fuzzers();
const unknown = args.filter((a) => !all.includes(`${a}.ts`));
if (unknown.length) {
  console.error(`unknown fuzzer(s): ${unknown.join(', ')}; there are ${all.map((f) => basename(f, '.ts')).join(', ')}`);
  process.exit(2);
}
const chosen = args.length ? all.filter((f) => args.includes(basename(f, '.ts'))) : all;

const failed: string[] = [];
for (const f of chosen) {
  const name = basename(f, '.ts');
  console.log(`== ${name} (${cases} cases)`);
  const r = spawnSync(process.execPath, [join(HERE, f), cases], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${name} (${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`})`);
}
console.log(failed.length ? `fuzz: ${failed.length} of ${chosen.length} failed: ${failed.join(', ')}` : `fuzz: all ${chosen.length} fuzzers passed`);
process.exitCode = failed.length ? 1 : 0;
