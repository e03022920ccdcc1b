/** Where the dashboard listens: loopback unless told otherwise, and never cleartext off loopback. */
import { InputError } from '../core/errors.ts';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new InputError(`--listen takes HOST:PORT (e.g. 127.0.0.1:8443 or [::1]:8443), not '${s}'`);
  return { host: m[1] ?? m[2], port };
}
