import { ProbeError, ProbeSocket, type TlsInfo } from './conn.ts';
import type { ProbeContext } from './types.ts';

export interface TlsAssessment {
  info: TlsInfo;
  /** Protocols older than TLS 1.2 that the server still completes a handshake with. */
  oldProtocols: string[];
}

const WEAK_CIPHER = /RC4|3DES|DES-CBC|NULL|EXPORT|MD5|anon/i;

export function weakCipher(name: string): boolean {
  return WEAK_CIPHER.test(name);
}

/**
 * The negotiated session plus one handshake per deprecated protocol
 * (TLS 1.0, 1.1) offered alone; each handshake is closed right after.
 */
export async function assessTls(ctx: ProbeContext, host: string, port: number, info: TlsInfo): Promise<TlsAssessment> {
  const oldProtocols: string[] = [];
  for (const v of ['TLSv1', 'TLSv1.1'] as const) {
    await ctx.gate();
    try {
      // SECLEVEL=0 lets OpenSSL offer what the server might still accept.
      const s = await ProbeSocket.open({ host, port, deadline: Date.now() + ctx.timeoutMs, tls: { minVersion: v, maxVersion: v, ciphers: 'DEFAULT:@SECLEVEL=0' } });
      if (s.tls?.protocol === v) oldProtocols.push(v);
      s.close();
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
    }
  }
  return { info, oldProtocols };
}
