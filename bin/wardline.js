#!/usr/bin/env node
// Launcher: Node 24 strips TypeScript types natively, but refuses to do so for
// files under node_modules. Running from a checkout (npx wardline, npm link)
// imports the sources directly.
import { main } from '../src/cli/main.ts';
process.exitCode = await main(process.argv.slice(2));
