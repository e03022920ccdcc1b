/**
 * Password hashing with scrypt (node:crypto), in a self-describing string
 * "scrypt$N$r$p$salt$hash" (base64url) so that cost can be raised later
 * without breaking stored hashes. Comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const DEFAULT = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, cost = DEFAULT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEYLEN, { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function isScryptHash(s: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/.test(s);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (!isScryptHash(stored)) return false;
  const [, n, r, p, saltText, keyText] = stored.split('$');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  // Refuse absurd parameters from a config file rather than burn memory on them.
  if (!(N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0 && R >= 1 && R <= 32 && P >= 1 && P <= 16)) return false;
  const expected = Buffer.from(keyText, 'base64url');
  if (expected.length < 16) return false;
  const key = await scryptAsync(password, Buffer.from(saltText, 'base64url'), expected.length, { N, r: R, p: P, maxmem: 256 * N * R });
  return timingSafeEqual(key, expected);
}

/** A random password for the first admin: 24 characters of base64url, 144 bits. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
