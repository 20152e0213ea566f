// Fixed-window request limits (public verification pages, share links, exports) over a pluggable count store:
// 'database' shares the counts between every instance on the portal DB, 'memory' keeps them in this process.
//
// Why the database and not Redis: every instance already shares the portal DB, so the limits hold across instances
// without a new service to run, secure and back up, or a new dependency; one indexed upsert per limited request is
// well within what the DB serves (docs/operations.md §9).
import type { Knex } from 'knex';
import { dialectOf } from './db/knex.js';
import { TooManyRequests } from './errors.js';

export const RATE_LIMIT_STORES = ['database', 'memory'] as const;
export type RateLimitStoreName = (typeof RATE_LIMIT_STORES)[number];

/**
 * Where the counts live. A key's window starts at its first request and lasts windowMs; the next request after that
 * starts a new one. hit counts one request and returns the requests in the key's window, this one included.
 */
export interface RateLimitStore {
  hit(key: string, now: number, windowMs: number): Promise<number>;
  /** when the key's current window started (only asked when a request is refused, for Retry-After) */
  windowStart(key: string): Promise<number | null>;
  /** forgets windows that started before `before`; returns how many */
  prune(before: number): Promise<number>;
}

/** Counts in this process: one instance only (a client spread over N instances gets N times the allowance). */
export function memoryStore(): RateLimitStore {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async hit(key, now, windowMs) {
      let w = windows.get(key);
      if (!w || now - w.start >= windowMs) {
        if (windows.size > 50_000) for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      return ++w.count;
    },
    async windowStart(key) {
      return windows.get(key)?.start ?? null;
    },
    async prune(before) {
      let n = 0;
      for (const [k, v] of windows) if (v.start < before && windows.delete(k)) n++;
      return n;
    },
  };
}

/**
 * Counts in the portal DB's rate_limit_windows: one statement per request, an atomic upsert that restarts a window
 * that is over and otherwise adds one, and hands back the count. SQLite reads it with RETURNING; MySQL and MariaDB
 * (no RETURNING on an upsert in both) through LAST_INSERT_ID(expr), which the statement's OK packet carries.
 */
export function databaseStore(db: Knex): RateLimitStore {
  const mysql = dialectOf(db) === 'mysql';
  return {
    async hit(key, now, windowMs) {
      const over = now - windowMs;
      if (mysql) {
        // Assignments run left to right and see earlier ones, so hits is decided on the old window_start first.
        const upsert = async () =>
          (await db.raw(
            'insert into rate_limit_windows (limit_key, window_start, hits) values (?, ?, last_insert_id(1)) ' +
              'on duplicate key update hits = last_insert_id(if(window_start <= ?, 1, hits + 1)), window_start = if(window_start <= ?, ?, window_start)',
            [key, now, over, over, now],
          )) as [{ insertId: number }];
        // InnoDB may pick a concurrent upsert of a new key as a deadlock victim (gap locks of the duplicate check);
        // nothing was counted then, and once more succeeds.
        const [res] = await upsert().catch((err: { code?: string }) => {
          if (err?.code === 'ER_LOCK_DEADLOCK') return upsert();
          throw err;
        });
        return Number(res.insertId);
      }
      // SQLite evaluates every assignment on the old row.
      const rows = (await db.raw(
        'insert into rate_limit_windows (limit_key, window_start, hits) values (?, ?, 1) ' +
          'on conflict (limit_key) do update set hits = case when window_start <= ? then 1 else hits + 1 end, ' +
          'window_start = case when window_start <= ? then ? else window_start end returning hits',
        [key, now, over, over, now],
      )) as Array<{ hits: number }>;
      return Number(rows[0].hits);
    },
    async windowStart(key) {
      const row = (await db('rate_limit_windows').where('limit_key', key).first('window_start')) as { window_start: number | string } | undefined;
      return row ? Number(row.window_start) : null;
    },
    async prune(before) {
      return db('rate_limit_windows').where('window_start', '<', before).delete();
    },
  };
}

export interface RateLimit {
  /** names the limit in keys and logs, e.g. 'exports' */
  name: string;
  perWindow: number;
  windowMs: number;
  /** the 429's message: says what was limited */
  message: string;
}

export type Limiter = (subject: string, now?: number) => Promise<void>;

/** Counts a request of `subject` (a client address, a user id) against the limit; over it throws 429 with Retry-After. */
export function createLimiter(store: RateLimitStore, limit: RateLimit): Limiter {
  return async (subject, now = Date.now()) => {
    const key = `${limit.name}:${subject}`.slice(0, 160);
    const count = await store.hit(key, now, limit.windowMs);
    if (count <= limit.perWindow) return;
    const start = (await store.windowStart(key)) ?? now;
    throw new TooManyRequests('rate_limited', limit.message, Math.max(1, Math.ceil((start + limit.windowMs - now) / 1000)));
  };
}
