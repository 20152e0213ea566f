// Authorised remote printing of quality certificates (issue 7): print rights per customer, a guarded copy counter
// per certificate and series, share links for a customer's buyers, and every printed copy with its sealed PDF, its
// hashes and its verification codes (the copy rows are the print log).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // No row: the configured default applies.
  await knex.schema.createTable('certificate_print_rights', (t) => {
    t.integer('customer_id').unsigned().primary().references('id').inTable('organisations');
    t.boolean('allowed').notNullable();
    t.integer('copies_per_certificate').notNullable();
    t.string('updated_by', 64).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });

  // series 'customer': the customer's copies (its users' and its buyers' through share links), limited;
  // series 'office': copies printed by the mill's quality staff, not counted against the customer.
  await knex.schema.createTable('certificate_print_counters', (t) => {
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('series', 8).notNullable();
    t.integer('used').notNullable();
    t.primary(['certificate_id', 'customer_id', 'series']);
  });

  await knex.schema.createTable('certificate_shares', (t) => {
    t.increments('id').primary();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('token', 64).notNullable().unique();
    t.string('buyer_name', 100).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.integer('max_copies').notNullable();
    t.integer('used').notNullable().defaultTo(0);
    t.datetime('revoked_at', { precision: 3 }).nullable();
    t.string('revoked_by', 64).nullable();
    t.integer('created_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['certificate_id']);
  });

  await knex.schema.createTable('certificate_copies', (t) => {
    t.increments('id').primary();
    t.string('copy_no', 64).notNullable().unique();
    t.integer('certificate_id').unsigned().notNullable().references('id').inTable('certificates');
    t.integer('customer_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('series', 8).notNullable();
    t.integer('n').notNullable();
    t.integer('m').notNullable();
    t.integer('share_id').unsigned().nullable().references('id').inTable('certificate_shares');
    t.integer('printed_by_user_id').unsigned().nullable().references('id').inTable('users');
    t.string('printed_by', 100).notNullable();
    t.string('printed_for', 100).notNullable();
    t.datetime('printed_at', { precision: 3 }).notNullable();
    // 32 Crockford base32 characters (160 bits) in the QR; its first 16 (80 bits) printed for typing
    t.string('verify_code', 32).notNullable().unique();
    t.string('short_code', 16).notNullable().unique();
    t.string('pdf_sha256', 64).notNullable();
    t.string('data_sha256', 64).notNullable();
    t.integer('size').notNullable();
    t.specificType('pdf', 'longblob').notNullable();
    t.unique(['certificate_id', 'customer_id', 'series', 'n']);
    t.index(['customer_id', 'printed_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('certificate_copies');
  await knex.schema.dropTable('certificate_shares');
  await knex.schema.dropTable('certificate_print_counters');
  await knex.schema.dropTable('certificate_print_rights');
}
