/** Option parsing shared by the monitor and sensor verbs. */
import { InputError } from '../core/errors.ts';

/** "500ms", "10s", "5m", "2h" or bare seconds. */
export function parseDuration(v: unknown, option: string): number {
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new InputError(`${option}: '${s}' is not a duration`, { hint: 'e.g. 500ms, 10s, 5m, 2h (bare numbers are seconds)' });
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

export function parsePort(v: unknown, option: string): number {
  const s = String(v).trim();
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new InputError(`${option}: '${s}' is not a port (0-65535)`);
  return Number(s);
}

export function list(v: unknown): string[] {
  if (v === undefined || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Resolves on SIGTERM/SIGINT (once), or after `ms` when given. */
export function untilStopped(ms?: number, extra?: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      if (t) clearTimeout(t);
      resolve(why);
    };
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    const t = ms !== undefined ? setTimeout(() => done('duration'), ms) : undefined;
    void extra?.then(() => done('input ended'));
  });
}
