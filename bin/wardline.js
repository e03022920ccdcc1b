#!/usr/bin/env -S node --max-semi-space-size=2 --no-lazy-feedback-allocation
// Launcher: Node 24 strips TypeScript types natively, but refuses to do so for
// files under node_modules. Running from a checkout (npx wardline, npm link)
// imports the sources directly.
//
// Three settings make the CLI cheaper to run, measured by bench/capture.ts:
// - the compile cache keeps the type-stripped and compiled modules between
//   runs (about 0.7 s and 30 MB less per start);
// - a 2 MB semi-space (the shebang flag) keeps the young generation small:
//   a capture's per-connection garbage otherwise lets the heap, and peak RSS,
//   grow to twice the size;
// - feedback vectors from a function's first call (--no-lazy-feedback-allocation)
//   let a one-second run optimise sooner: 4-5% less time on both captures.
// The cache is enabled before the sources are imported, hence the dynamic import.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
