/**
 * A real PostgreSQL for tests: initdb + pg_ctl in a fresh temp directory,
 * listening only on 127.0.0.1 at a free port, run as the `postgres` user
 * (the server refuses to run as root). Stop it with `stop()`.
 *
 *   const pg = await startPostgres();
 *   const db = await openStore(pg.url);
 *   ...
 *   await pg.stop();
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** Kept here too: older tests import it from this module. */
export { freePort };

export interface PostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('PostgreSQL server binaries not found: run scripts/setup.sh');
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  return join(base, versions[0], 'bin', name);
}


function asPostgres(args: string[]): string {
  const isRoot = process.getuid?.() === 0;
  const [cmd, ...rest] = isRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
  return execFileSync(cmd, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startPostgres(): Promise<PostgresHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  asPostgres([pgBin('initdb'), '-D', data, '-U', 'wardline', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  asPostgres([
    pgBin('pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30',
    '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
    'start',
  ]);
  asPostgres([pgBin('createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', 'wardline', 'wardline']);
  return {
    url: `postgres://wardline@127.0.0.1:${port}/wardline`,
    port,
    async stop() {
      try {
        asPostgres([pgBin('pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
