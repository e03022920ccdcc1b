/**
 * A network namespace joined to the test process by a veth pair, and peers
 * started inside it. Names start with wl-checks- so that nothing else is
 * touched; cleanup deletes the namespace (and with it the veth) even after a
 * failure, and stops only the processes started here, by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface Netns {
  name: string;
  hostIp: string;
  nsIp: string;
  /** Output goes to `log` (or nowhere): DCMTK's forking servers stall when their stdout is a pipe. */
  spawn(cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; log?: string }): ChildProcess;
  exec(cmd: string, args: string[]): string;
  cleanup(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createNetns(tag: string, octet: number): Netns {
  const name = `wl-checks-${tag}`;
  const vh = `wlck${tag}h`.slice(0, 15);
  const vn = `wlck${tag}n`.slice(0, 15);
  const hostIp = `10.213.${octet}.1`;
  const nsIp = `10.213.${octet}.2`;
  try { ip('netns', 'del', name); } catch { /* left over from a killed run, or absent */ }
  try { ip('link', 'del', vh); } catch { /* absent */ }
  ip('netns', 'add', name);
  const children: ChildProcess[] = [];
  const ns: Netns = {
    name, hostIp, nsIp,
    spawn(cmd, args, opts = {}) {
      const fd = openSync(opts.log ?? '/dev/null', 'a');
      const c = spawn('ip', ['netns', 'exec', name, cmd, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      children.push(c);
      return c;
    },
    exec(cmd, args) {
      return execFileSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8', timeout: 60_000 });
    },
    async cleanup() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      const deadline = Date.now() + 5000;
      for (const c of children) {
        while (c.exitCode === null && c.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
      try { ip('netns', 'del', name); } catch { /* already gone */ }
      try { ip('link', 'del', vh); } catch { /* went with the namespace */ }
    },
  };
  try {
    ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
    ip('link', 'set', vn, 'netns', name);
    ip('addr', 'add', `${hostIp}/30`, 'dev', vh);
    ip('link', 'set', vh, 'up');
    ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', vn);
    ip('netns', 'exec', name, 'ip', 'link', 'set', vn, 'up');
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    void ns.cleanup();
    throw err;
  }
  return ns;
}

