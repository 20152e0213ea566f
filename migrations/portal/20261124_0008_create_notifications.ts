// In-app notifications (rendered per reader's language from a template key and parameters) and SMS delivery status.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A row keeps the template key and its parameters, not rendered text: one row reads in Chinese or English,
  // whichever the reader's portal shows at the time, and a corrected wording reaches old notifications too.
  await knex.schema.createTable('notifications', (t) => {
    t.bigIncrements('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('kind', 64).notNullable(); // e.g. allocation.published
    t.string('template', 32).notNullable(); // a key of server/src/modules/notifications/templates.ts
    t.text('params').notNullable(); // JSON; secret parameters (codes) are never stored here
    t.string('link', 255).nullable(); // a web path such as /allocations/12
    // The caller's key for the event: notifying again with it adds nothing for this user.
    t.string('idempotency_key', 128).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('read_at', { precision: 3 }).nullable();
    t.unique(['idempotency_key', 'user_id']);
    t.index(['user_id', 'read_at', 'id']);
  });
  await knex.schema.alterTable('sms_messages', (t) => {
    // What the gateway last said about the message (e.g. accepted, delivered), beside its id in provider_id.
    t.string('provider_status', 32).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sms_messages', (t) => {
    t.dropColumn('provider_status');
  });
  await knex.schema.dropTable('notifications');
}
