/**
 * Sessions live in memory: a restart logs everyone out, which is the safe
 * default for a map of a hospital. The cookie holds a random 256-bit id and
 * nothing else; each session has its own CSRF token. Idle sessions end after
 * a timeout (HIPAA 164.312(a)(2)(iii), automatic logoff).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './users.ts';

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  created: number;
  lastSeen: number;
}

export const COOKIE_NAME = 'wardline_session';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  readonly idleMs: number;
  readonly maxMs: number;

  constructor(opts: { idleMs?: number; maxMs?: number } = {}) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.maxMs = opts.maxMs ?? 12 * 3600_000;
  }

  create(user: string, role: Role, now = Date.now()): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrf: randomBytes(32).toString('base64url'), created: now, lastSeen: now };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (now - s.lastSeen > this.idleMs || now - s.created > this.maxMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Drops expired sessions; called from a timer. */
  sweep(now = Date.now()): void {
    for (const [id, s] of this.sessions) if (now - s.lastSeen > this.idleMs || now - s.created > this.maxMs) this.sessions.delete(id);
  }
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export function sessionCookie(id: string, secure: boolean, maxAgeS: number): string {
  return `${COOKIE_NAME}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
