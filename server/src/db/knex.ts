// Builds a knex instance for a mysql:// URL (MySQL 8 / MariaDB 10.11 through mysql2) or an embedded SQLite file.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type Dialect = 'mysql' | 'sqlite';

export interface DbTarget {
  url: string | undefined;
  sqliteFile: string;
}

export function dialectOf(db: Knex): Dialect {
  const client = db.client.config.client as string;
  return client === 'mysql2' ? 'mysql' : 'sqlite';
}

/** Reads the query's rows FOR UPDATE on MySQL/MariaDB; SQLite has one writer at a time and needs no row lock. */
export function forUpdate<T extends Knex.QueryBuilder>(db: Knex | Knex.Transaction, q: T): T {
  return dialectOf(db as Knex) === 'mysql' ? (q.forUpdate() as T) : q;
}

/** Whether an insert failed on a unique or primary key, on either database. */
export function isDuplicateKey(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function createKnex(target: DbTarget, pool: { min?: number; max?: number } = {}): Knex {
  if (target.url) {
    return knexFactory({
      client: 'mysql2',
      connection: {
        uri: target.url,
        // Times are stored as UTC DATETIME(3) strings and read back as strings on both databases.
        timezone: 'Z',
        dateStrings: true,
        charset: 'utf8mb4',
        // BIGINT money (分) and weights (kg) come back as numbers while exact, never as floats.
        supportBigNumbers: true,
        bigNumberStrings: false,
        decimalNumbers: false,
      } as Knex.MySql2ConnectionConfig & { uri: string },
      pool: { min: pool.min ?? 0, max: pool.max ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  mkdirSync(path.dirname(target.sqliteFile), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: target.sqliteFile },
    useNullAsDefault: true,
    // better-sqlite3 is synchronous; one connection serialises writers the way SQLite wants anyway.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('synchronous = NORMAL');
        done(null, conn);
      },
    },
  });
}

/** UTC time as the 'YYYY-MM-DD HH:MM:SS.mmm' string both databases store in DATETIME(3) columns. */
export function toDbTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Reads a stored UTC time back as ISO 8601. */
export function fromDbTime(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return new Date(String(v).replace(' ', 'T') + (String(v).endsWith('Z') ? '' : 'Z')).toISOString();
}

/**
 * A LIKE condition for whereRaw / orWhereRaw with [column, pattern]: the pattern's own % and _ are escaped with '!',
 * and the ESCAPE clause says so. SQLite has no default escape character (MySQL's is the backslash), so without the
 * clause a search for "50%" would treat % as a wildcard on one database and not the other.
 */
export const LIKE = "?? like ? escape '!'";

/** A LIKE pattern (for LIKE) matching `text` anywhere, its own % _ and ! taken literally. */
export function likeContains(text: string): string {
  return `%${escapeLike(text)}%`;
}

/** A LIKE pattern (for LIKE) matching values that start with `text` (an index on the column still serves it). */
export function likePrefix(text: string): string {
  return `${escapeLike(text)}%`;
}

const escapeLike = (s: string) => s.replace(/[!%_]/g, (c) => '!' + c);

export function nowDb(): string {
  return toDbTime(new Date());
}
