import pg from 'pg';
import { toPgPlaceholders, type Db, type SqlValue } from './db.ts';

// BIGINT columns hold epoch milliseconds and counters, which fit a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

class PgConn implements Db {
  readonly kind = 'postgres' as const;
  readonly location: string;
  protected readonly q: Queryable;

  constructor(q: Queryable, location: string) {
    this.q = q;
    this.location = location;
  }

  async exec(sql: string): Promise<void> {
    await this.q.query(sql);
  }

  async run(sql: string, params: SqlValue[] = []): Promise<{ changes: number }> {
    const r = await this.q.query(toPgPlaceholders(sql), params);
    return { changes: r.rowCount ?? 0 };
  }

  async all<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return (await this.q.query(toPgPlaceholders(sql), params)).rows as T[];
  }

  async get<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {}
}

export class PostgresDb extends PgConn {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    super(pool, redact(url));
    this.pool = pool;
  }

  override async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await fn(new PgConn(client, this.location));
      await client.query('COMMIT');
      return r;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  override async close(): Promise<void> {
    await this.pool.end();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
