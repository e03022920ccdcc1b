#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError, describeError } from '../core/errors.ts';
import { EXIT, GATE_OPTION, GLOBAL_OPTIONS, type Command, type OptionSpec } from './command.ts';
import { Output } from './output.ts';

// fs and util through getBuiltinModule, not import: an ESM import of a built-in
// evaluates every lazy export (fs loads its streams), ~8 ms of every start.
const { existsSync, readdirSync } = process.getBuiltinModule('node:fs');
const { parseArgs } = process.getBuiltinModule('node:util');

const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'commands');

/** The verbs that exist, one file each; a verb appears when its capability works. */
export function listVerbs(): string[] {
  if (!existsSync(COMMANDS_DIR)) return [];
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function loadCommand(verb: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(verb) || !listVerbs().includes(verb)) return undefined;
  const mod = (await import(pathToFileURL(join(COMMANDS_DIR, `${verb}.ts`)).href)) as { command: Command };
  return mod.command;
}

function optionHelp(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(30)} ${o.description}${o.default !== undefined && o.default !== false ? ` (default ${o.default})` : ''}`;
  });
}

function commandHelp(cmd: Command, path: string): string {
  const lines = [`wardline ${path} — ${cmd.summary}`, '', `Usage: ${cmd.usage}`];
  if (cmd.description) lines.push('', cmd.description);
  if (cmd.subcommands?.length) {
    lines.push('', 'Sub-commands:');
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(16)} ${s.summary}`);
  }
  const opts = { ...(cmd.options ?? {}), ...(cmd.gate ? { 'fail-on': GATE_OPTION } : {}), ...GLOBAL_OPTIONS };
  lines.push('', 'Options:', ...optionHelp(opts));
  if (cmd.examples.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  lines.push('', 'Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error.');
  return lines.join('\n');
}

async function mainHelp(): Promise<string> {
  const lines = [
    'wardline — see, design, verify, enforce and watch the hospital network',
    '',
    'Usage: wardline <verb> [options]   (wardline <verb> --help for details)',
    '',
    'Verbs:',
  ];
  for (const v of listVerbs()) {
    const c = await loadCommand(v);
    if (c) lines.push(`  ${v.padEnd(12)} ${c.summary}`);
  }
  lines.push('', 'Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error.');
  return lines.join('\n');
}

let pipeGuard = false;

/** `wardline vulns | head` closes stdout early: that is the reader's choice, not an error. */
function exitQuietlyOnClosedPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const first = argv.findIndex((a) => !a.startsWith('-'));
  const globalOnly = first === -1;
  const wantsJson = argv.includes('--json');
  const quiet = argv.includes('--quiet') || argv.includes('-q');
  const out = new Output({ json: wantsJson, quiet });

  if (globalOnly) {
    if (argv.includes('--version') || argv.includes('-V')) {
      out.write('wardline 0.1.0');
      return EXIT.OK;
    }
    out.write(await mainHelp());
    return argv.length === 0 || argv.includes('--help') || argv.includes('-h') ? EXIT.OK : EXIT.USAGE;
  }

  const verb = argv[first];
  let cmd = await loadCommand(verb);
  if (!cmd) {
    const verbs = listVerbs();
    const near = verbs.filter((v) => v.startsWith(verb.slice(0, 2)));
    out.error(`unknown verb '${verb}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (wardline --help lists them)`);
    return EXIT.USAGE;
  }
  let rest = [...argv.slice(0, first), ...argv.slice(first + 1)];
  let path = verb;
  if (cmd.subcommands?.length) {
    const si = rest.findIndex((a) => !a.startsWith('-'));
    const sub = si >= 0 ? cmd.subcommands.find((s) => s.name === rest[si]) : undefined;
    if (sub) {
      rest = [...rest.slice(0, si), ...rest.slice(si + 1)];
      path = `${verb} ${sub.name}`;
      cmd = sub;
    } else if (!cmd.run) {
      const helpWanted = rest.includes('--help') || rest.includes('-h');
      if (!helpWanted) out.error(si >= 0 ? `unknown sub-command '${rest[si]}' for ${verb}` : `${verb} needs a sub-command`);
      out.write(commandHelp(cmd, verb));
      return helpWanted ? EXIT.OK : EXIT.USAGE;
    }
  }

  const specs = { ...(cmd.options ?? {}), ...(cmd.gate ? { 'fail-on': GATE_OPTION } : {}), ...GLOBAL_OPTIONS };
  const parseSpec: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [k, o] of Object.entries(specs)) {
    // parseArgs rejects `short: undefined`, so only set what the spec has.
    parseSpec[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseSpec, allowPositionals: true, strict: true });
  } catch (err) {
    out.error(`${describeError(err)}\n(wardline ${path} --help)`);
    return EXIT.USAGE;
  }
  if (parsed.values.help || !cmd.run) {
    out.write(commandHelp(cmd, path));
    return EXIT.OK;
  }
  const opts: Record<string, string | boolean | string[] | undefined> = {};
  for (const [k, o] of Object.entries(specs)) opts[k] = (parsed.values as Record<string, string | boolean | string[] | undefined>)[k] ?? o.default;
  try {
    return await cmd.run({ args: parsed.positionals, opts, out });
  } catch (err) {
    out.error(describeError(err));
    if (!(err instanceof InputError) && process.env.WARDLINE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof InputError ? EXIT.USAGE : 3;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
