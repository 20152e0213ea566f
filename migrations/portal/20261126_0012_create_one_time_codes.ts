// One-time codes sent by SMS for a purpose and a subject, e.g. taking a listing: the willingness check before an
// electronic seal is applied (DESIGN.md §5). The code itself is kept only as an HMAC.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('one_time_codes', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('purpose', 32).notNullable(); // e.g. listing.take
    t.integer('subject_id').unsigned().notNullable();
    t.string('phone', 20).notNullable();
    t.string('code_hash', 64).notNullable(); // HMAC-SHA256 hex of purpose, subject, user, phone and code
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    t.datetime('consumed_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['user_id', 'created_at']);
    t.index(['user_id', 'purpose', 'subject_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('one_time_codes');
}
