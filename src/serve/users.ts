/**
 * Who may use the dashboard: users from a config file (name, role, scrypt
 * hash), or accounts in the store. There is no default password: when
 * neither has an account, the first start creates "admin" with a random
 * password that is returned once, for the caller to print, and stored only
 * as a hash.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { hashPassword, isScryptHash, randomPassword, verifyPassword } from './password.ts';

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  name: string;
  role: Role;
  passwordHash: string;
}

export interface UserDirectory {
  /** Where the accounts come from: the file, or "store". */
  origin: string;
  find(name: string): User | undefined;
}

/** users.yaml (or .json): `users: [{ name, role: viewer|admin, hash: "scrypt$..." }]`. */
export function loadUsersFile(path: string): UserDirectory {
  let doc: unknown;
  const lines = new LineCounter();
  let parsed;
  try {
    parsed = parseDocument(readFileSync(path, 'utf8'), { lineCounter: lines });
    if (parsed.errors.length) throw parsed.errors[0];
    doc = parsed.toJS();
  } catch (err) {
    throw new InputError(`cannot read users file: ${(err as Error).message}`, { location: { file: path }, cause: err });
  }
  const list = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(list) || list.length === 0) throw new InputError('users file needs a non-empty "users:" list', { location: { file: path } });
  const users = new Map<string, User>();
  list.forEach((u: unknown, i) => {
    const node = parsed.getIn(['users', i], true) as { range?: [number, number, number] } | undefined;
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    const where = { file: path, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    const o = u as { name?: unknown; role?: unknown; hash?: unknown };
    if (typeof o?.name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(o.name)) throw new InputError(`users[${i}]: name must be 1-64 letters, digits or . _ @ -`, { location: where });
    if (o.role !== 'viewer' && o.role !== 'admin') throw new InputError(`users[${i}] (${o.name}): role must be viewer or admin`, { location: where });
    if (typeof o.hash !== 'string' || !isScryptHash(o.hash)) {
      throw new InputError(`users[${i}] (${o.name}): hash must be a scrypt hash, never a password`, { location: where, hint: 'make one with: wardline serve --hash-password < password.txt' });
    }
    if (users.has(o.name)) throw new InputError(`users[${i}]: ${o.name} is listed twice`, { location: where });
    users.set(o.name, { name: o.name, role: o.role, passwordHash: o.hash });
  });
  return { origin: path, find: (n) => users.get(n) };
}

interface UserRow { name: string; role: string; password_hash: string }

/** Accounts in the store; creates the first admin when there is none. */
export async function storeUsers(db: Db): Promise<{ directory: UserDirectory; created?: { name: string; password: string } }> {
  let created: { name: string; password: string } | undefined;
  const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM dashboard_users');
  if (Number(n?.n ?? 0) === 0) {
    const password = randomPassword();
    const hash = await hashPassword(password);
    const r = await db.run('INSERT INTO dashboard_users (name, role, password_hash, created_at, origin) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ['admin', 'admin', hash, Date.now(), 'first-start']);
    // Two dashboards starting at once: only the one whose insert won prints a password.
    if (r.changes === 1) created = { name: 'admin', password };
  }
  const rows = await db.all<UserRow>('SELECT name, role, password_hash FROM dashboard_users');
  const users = new Map(rows.filter((r) => r.role === 'viewer' || r.role === 'admin').map((r) => [r.name, { name: r.name, role: r.role as Role, passwordHash: r.password_hash }]));
  return { directory: { origin: 'store', find: (name) => users.get(name) }, ...(created ? { created } : {}) };
}

// A fixed hash to verify against for unknown names, so that timing does not tell which names exist.
let decoy: Promise<string> | undefined;

export async function authenticate(dir: UserDirectory, name: string, password: string): Promise<User | undefined> {
  const u = dir.find(name);
  if (!u) {
    decoy ??= hashPassword(randomPassword());
    await verifyPassword(password, await decoy);
    return undefined;
  }
  return (await verifyPassword(password, u.passwordHash)) ? u : undefined;
}
