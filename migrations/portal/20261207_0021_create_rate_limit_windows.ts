// Request counts of the rate limits (public verification pages, share links, exports) shared by every portal
// instance on this database: one row per limited key (limit name and client address or user), its window's start
// and the requests counted in it (server/src/rate-limit.ts).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limit_windows', (t) => {
    t.string('limit_key', 160).notNullable().primary();
    // Epoch milliseconds of the first request of the current window: a window starts at a key's first request,
    // so a burst is never split across two clock-aligned windows.
    t.bigInteger('window_start').notNullable();
    t.integer('hits').notNullable();
    // The prune job deletes windows long over.
    t.index(['window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_windows');
}
