/**
 * PDF through headless Chromium's print-to-pdf: the HTML report is written
 * to a private temporary directory and printed with every flag that keeps
 * the browser off the network (the report references nothing external
 * anyway). Chromium is a separate program; when it is missing the error
 * says which one was looked for.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../core/errors.ts';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: $WARDLINE_CHROMIUM, else the first system one. */
export function findChromium(): string | undefined {
  const env = process.env.WARDLINE_CHROMIUM;
  if (env) return existsSync(env) ? env : undefined;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** Flags that keep headless Chromium off the network and out of the user's profile. */
export function chromiumFlags(userDataDir: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-default-apps', '--mute-audio', `--user-data-dir=${userDataDir}`];
}

export async function htmlToPdf(html: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
  const bin = findChromium();
  if (!bin) throw new InputError('PDF needs headless Chromium, and none was found', { hint: `install it (Debian: apt-get install chromium) or set WARDLINE_CHROMIUM; looked at ${CHROMIUM_CANDIDATES.join(', ')}` });
  const dir = mkdtempSync(join(tmpdir(), 'wardline-pdf-'));
  try {
    const page = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    writeFileSync(page, html, { mode: 0o600 });
    const args = [...chromiumFlags(join(dir, 'profile')), '--no-pdf-header-footer', `--print-to-pdf=${pdf}`, pathToFileURL(page).href];
    const stderr: Buffer[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
      p.stderr.on('data', (d: Buffer) => { if (stderr.length < 64) stderr.push(d); });
      p.on('error', (e) => { clearTimeout(timer); reject(e); });
      p.on('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    if (!existsSync(pdf)) throw new Error(`Chromium (${bin}) exited ${code} without writing a PDF: ${Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3).join(' | ')}`);
    return readFileSync(pdf);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
