// The audit log: who changed what, which record, when and from where; written in the same transaction as the change.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.datetime('at', { precision: 3 }).notNullable();
    t.integer('user_id').unsigned().nullable();
    t.string('username', 64).nullable();
    t.integer('organisation_id').unsigned().nullable();
    t.string('action', 64).notNullable();
    t.string('entity', 64).notNullable();
    t.string('entity_id', 64).nullable();
    t.string('ip', 64).nullable();
    t.string('request_id', 64).nullable();
    t.text('details').nullable(); // JSON
    t.index(['at']);
    t.index(['entity', 'entity_id']);
    t.index(['user_id', 'at']);
    t.index(['action', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
