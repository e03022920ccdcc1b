/** Structured logs (pino, JSON lines) on stderr, so stdout stays free for --jsonl - and --json. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(opts: { level?: string; quiet?: boolean; name?: string } = {}): Logger {
  return pino({ name: opts.name ?? 'wardline-monitor', level: opts.quiet ? 'warn' : opts.level ?? 'info', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
