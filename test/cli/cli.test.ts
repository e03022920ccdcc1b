import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listVerbs, loadCommand } from '../../src/cli/main.ts';
import { wardline } from '../helpers/cli.ts';

describe('wardline CLI', () => {
  it('lists its verbs with --help and exits 0', () => {
    const r = wardline(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: wardline <verb>/);
    for (const v of listVerbs()) assert.match(r.stdout, new RegExp(`^  ${v}\\b`, 'm'));
  });

  it('an unknown verb is a usage error (exit 2) on stderr', () => {
    const r = wardline(['frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown verb 'frobnicate'/);
    assert.equal(r.stdout, '');
  });

  it('an unknown option is a usage error naming it', () => {
    const r = wardline(['demo', '--no-such-flag']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no-such-flag/);
  });

  it('--version prints the version', () => {
    const r = wardline(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^wardline \d+\.\d+\.\d+/);
  });

  it('every verb (and sub-verb) has help with usage and examples', async () => {
    for (const v of listVerbs()) {
      const cmd = await loadCommand(v);
      assert.ok(cmd, v);
      assert.ok(cmd.examples.length > 0 || cmd.subcommands?.length, `${v} has examples`);
      const r = wardline([v, '--help']);
      assert.equal(r.status, 0, `${v} --help exits 0: ${r.stderr}`);
      assert.match(r.stdout, /Usage:/, v);
      for (const sub of cmd.subcommands ?? []) {
        assert.ok(sub.examples.length > 0, `${v} ${sub.name} has examples`);
        const s = wardline([v, sub.name, '--help']);
        assert.equal(s.status, 0, `${v} ${sub.name} --help`);
        assert.match(s.stdout, /Examples:/);
      }
    }
  });
});

describe('wardline in a pipeline', () => {
  it('a reader that stops early (| head) is not an error', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const { REPO } = await import('../helpers/corpus.ts');
    const child = spawn(process.execPath, [join(REPO, 'src/cli/main.ts'), 'model', 'show', 'examples/hospital', '--json'], { cwd: REPO });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE/);
  });
});
