/**
 * The one data-access layer: the same calls over SQLite (node:sqlite, the
 * default, one machine) and PostgreSQL (pg, many sites). SQL is written once
 * with `?` placeholders and a portable subset (TEXT, BIGINT, DOUBLE
 * PRECISION, INSERT ... ON CONFLICT); JSON is stored as TEXT.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface Db {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, without credentials. */
  readonly location: string;
  /** Several statements, no parameters (DDL). */
  exec(sql: string): Promise<void>;
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>;
  all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Dialect tokens that migrations may use. */
export function dialectSql(sql: string, kind: Db['kind']): string {
  return sql
    .replaceAll('{{autoid}}', kind === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY')
    .replaceAll('{{blob}}', kind === 'sqlite' ? 'BLOB' : 'BYTEA');
}

/** `?` → `$1, $2, ...`, skipping quoted strings. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else out += ch;
  }
  return out;
}
