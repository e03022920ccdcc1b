import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { STARTER_MODEL } from '../../model/template.ts';
import { EXIT, type Command } from '../command.ts';

export const command: Command = {
  name: 'init',
  summary: 'write a commented starter site model (wardline.yaml)',
  usage: 'wardline init [DIR] [--force]',
  description: 'Writes DIR/wardline.yaml (DIR defaults to the working directory): a small valid model with every section, commented. Other verbs find wardline.yaml in the working directory without a path. Refuses to overwrite an existing file unless --force.',
  examples: [
    'wardline init',
    'wardline init site-model && wardline model validate site-model/wardline.yaml',
    'wardline init --force',
  ],
  options: {
    force: { type: 'boolean', description: 'overwrite an existing wardline.yaml' },
  },
  async run({ args, opts, out }) {
    const dir = args[0] ?? '.';
    if (args.length > 1) throw new InputError('init takes at most one directory', { hint: 'wardline init --help' });
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`${dir} is not a directory`, { location: { file: dir } });
    const file = join(dir, 'wardline.yaml');
    if (existsSync(file) && !opts.force) {
      throw new InputError("a model file already exists here", { location: { file }, hint: 'pass --force to overwrite it' });
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, STARTER_MODEL);
    if (out.json) out.data({ written: file });
    else out.info(`wrote ${file}; next: edit it, then wardline model validate ${dir === '.' ? '' : file}`.trimEnd());
    return EXIT.OK;
  },
};
