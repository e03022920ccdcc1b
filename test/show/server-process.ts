/** `wardline serve` as a child process, the way an operator starts it; stopped with SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../helpers/corpus.ts';

export interface ServeProcess {
  url: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

export function startServe(args: string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), 'serve', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start: ${err}`)); }, timeoutMs);
    child.stderr!.on('data', (d: string) => {
      err += d;
      const m = /dashboard on (https?:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1], stderr: () => err,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
            const code = await exited;
            clearTimeout(t);
            return code;
          },
        });
      }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited ${code} before listening: ${err}`)); });
  });
}

/** Logs in over HTTP; returns the session cookie and CSRF token. */
export async function login(url: string, user: string, password: string): Promise<{ status: number; cookie?: string; csrf?: string; setCookie?: string }> {
  const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
  const setCookie = r.headers.get('set-cookie') ?? undefined;
  const body = (await r.json()) as { csrf?: string };
  return { status: r.status, cookie: setCookie?.split(';')[0], csrf: body.csrf, setCookie };
}
